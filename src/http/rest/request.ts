import type { Context } from 'koa';
import { parseLockToken } from '../lock-headers.js';
import type { WriteIntent } from '../../domain/rules.js';
import { Problem } from '../../errors.js';
import { requestConditions } from '../preconditions.js';

/** True when the query names `flag` (`?versions`, `?checkin`, `?force`…). */
export function hasFlag(ctx: Context, flag: string): boolean {
  return Object.hasOwn(ctx.query, flag);
}

/** A whole-number query parameter (`?version=3`), or undefined when absent. */
export function intParam(ctx: Context, name: string, min: number): number | undefined {
  const raw = ctx.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw) || Number(raw) < min) {
    throw new Problem('bad-request', `?${name} must be a whole number of at least ${min}`);
  }
  return Number(raw);
}

/** A string query parameter given once, or undefined. */
export function stringParam(ctx: Context, name: string): string | undefined {
  const raw = ctx.query[name];
  if (Array.isArray(raw)) throw new Problem('bad-request', `?${name} is given more than once`);
  return raw;
}

function header(ctx: Context, name: string): string | undefined {
  const value = ctx.get(name);
  return value === '' ? undefined : value;
}

/** Lock token, base version and conditional headers of a write. */
export function writeIntent(ctx: Context): WriteIntent {
  return {
    token: parseLockToken(header(ctx, 'Lock-Token'), header(ctx, 'If')),
    base: intParam(ctx, 'base', 0),
    conditions: requestConditions(ctx, false),
  };
}

/** The URL of a file (or of one of its versions), percent-encoded segment by segment. */
export function fileUrl(key: string, version?: number): string {
  const url = `/files/${key.split('/').map(encodeURIComponent).join('/')}`;
  return version === undefined ? url : `${url}?version=${version}`;
}
