/**
 * Conditional requests, RFC 9110 §13. Pure: the caller supplies the header values and the
 * current representation's validators; the result says what to answer.
 */
export interface ConditionalHeaders {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

/** Validators of the current representation, or null when there is none. */
export interface Validators {
  /** Hex SHA-256: the strong entity-tag without quotes. */
  etag: string;
  lastModified: Date;
}

export type Outcome = 'pass' | 'precondition-failed' | 'not-modified';

/**
 * Parse an entity-tag list. Bare tokens (no quotes) are taken as strong tags, for curl users.
 * A tag names a SHA-256 in hex (as /files writes it) or in base64url (as /dav writes it); both
 * come out as the hex, so either form matches.
 */
export function parseEtags(value: string): { any: boolean; tags: { weak: boolean; tag: string }[] } {
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

/** Evaluate in the order of RFC 9110 §13.2.2. `safe` is true for GET and HEAD. */
export function evaluate(headers: ConditionalHeaders, current: Validators | null, safe: boolean): Outcome {
  if (headers.ifMatch !== undefined) {
    // §13.1.1: strong comparison; `*` needs a current representation.
    const { any, tags } = parseEtags(headers.ifMatch);
    const ok = current !== null && (any || tags.some((t) => !t.weak && t.tag === current.etag));
    if (!ok) return 'precondition-failed';
  } else if (headers.ifUnmodifiedSince !== undefined && current !== null) {
    // §13.1.4: ignored when the date is invalid.
    const since = parseHttpDate(headers.ifUnmodifiedSince);
    if (since !== undefined && seconds(current.lastModified) > since) return 'precondition-failed';
  }
  if (headers.ifNoneMatch !== undefined) {
    // §13.1.2: weak comparison.
    const { any, tags } = parseEtags(headers.ifNoneMatch);
    const matched = current !== null && (any || tags.some((t) => t.tag === current.etag));
    if (matched) return safe ? 'not-modified' : 'precondition-failed';
  } else if (safe && headers.ifModifiedSince !== undefined && current !== null) {
    // §13.1.3: only for GET and HEAD.
    const since = parseHttpDate(headers.ifModifiedSince);
    if (since !== undefined && seconds(current.lastModified) <= since) return 'not-modified';
  }
  return 'pass';
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

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
