import type { Context } from 'koa';
import type { Conditions, EntityTags } from '../domain/preconditions.js';

/** The conditional headers of a request as sent (absent ones undefined). */
export interface ConditionalHeaders {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

/** The conditions a request sends: `If-Modified-Since` only for a read (RFC 9110 §13.1.3: GET and HEAD). */
export function requestConditions(ctx: Context, read: boolean): Conditions {
  const header = (name: string) => ctx.get(name) || undefined;
  return parseConditions({
    ifMatch: header('If-Match'),
    ifNoneMatch: header('If-None-Match'),
    ifModifiedSince: read ? header('If-Modified-Since') : undefined,
    ifUnmodifiedSince: header('If-Unmodified-Since'),
  });
}

/** Read conditional headers into the domain's {@link Conditions} (RFC 9110 §13.1). */
export function parseConditions(headers: ConditionalHeaders): Conditions {
  const date = (value: string | undefined) => (value === undefined ? undefined : parseHttpDate(value));
  return {
    ifMatch: headers.ifMatch === undefined ? undefined : parseEtags(headers.ifMatch),
    ifNoneMatch: headers.ifNoneMatch === undefined ? undefined : parseEtags(headers.ifNoneMatch),
    ifModifiedSince: date(headers.ifModifiedSince),
    ifUnmodifiedSince: date(headers.ifUnmodifiedSince),
  };
}

/**
 * Parse an entity-tag list. Bare tokens (no quotes) are taken as strong tags, for curl users.
 * A tag names a SHA-256 in hex (as /files writes it) or in base64url (as /dav writes it); both
 * come out as the hex, so either form matches.
 */
export function parseEtags(value: string): EntityTags {
  const trimmed = value.trim();
  if (trimmed === '*') return { any: true, tags: [] };
  const tags: { weak: boolean; tag: string }[] = [];
  for (const part of trimmed.split(',')) {
    const m = /^\s*(W\/)?"([^"]*)"\s*$/.exec(part) ?? /^\s*()([^\s",]+)\s*$/.exec(part);
    if (m) tags.push({ weak: m[1] === 'W/', tag: hexOf(m[2] ?? '') });
  }
  return { any: false, tags };
}

/** A 43-character base64url tag is a SHA-256 written as /dav writes it: its hex. */
function hexOf(tag: string): string {
  return /^[A-Za-z0-9_-]{43}$/.test(tag) ? Buffer.from(tag, 'base64url').toString('hex') : tag;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime forms, all GMT) to
 * whole seconds since the epoch; undefined for anything else, which callers then ignore.
 */
export function parseHttpDate(value: string): number | undefined {
  const v = value.trim();
  let m = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(v);
  if (m) return utc(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(v);
  if (m) {
    // Two-digit years more than 50 years in the future are in the past century.
    const thisYear = new Date().getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2], m[1], m[4], m[5], m[6]);
  }
  m = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(v);
  if (m) return utc(Number(m[6]), m[1], m[2], m[3], m[4], m[5]);
  return undefined;
}

function utc(year: number, month = '', day = '', hh = '', mm = '', ss = ''): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  const [d, h, mi, s] = [day, hh, mm, ss].map((x) => Number(x.trim()));
  if (mon < 0 || d === undefined || h === undefined || mi === undefined || s === undefined) return undefined;
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  return Math.floor(Date.UTC(year, mon, d, h, mi, s) / 1000);
}
