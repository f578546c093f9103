import type { Context } from 'koa';
import { Problem } from '../../errors.js';

/**
 * ownCloud's `X-OC-Mtime: <unix seconds>` on a PUT (sent by ownCloud and Nextcloud clients and
 * rclone's owncloud and nextcloud vendors): the file's modification time on the client, as an
 * ISO 8601 string, or undefined without the header. Fractions of a second are kept; a value
 * that is not a number, or outside JavaScript's dates, is 400.
 */
export function clientMtime(ctx: Context): string | undefined {
  const value = ctx.get('X-OC-Mtime').trim();
  if (value === '') return undefined;
  const seconds = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new Problem('bad-request', `X-OC-Mtime ${JSON.stringify(value)} is not a time in seconds since 1970`);
  return date.toISOString();
}

/**
 * A sync client that compares SHA-1 or MD5 hashes (ownCloud's protocol, as rclone's owncloud
 * vendor speaks it: every PUT carries `X-OC-Mtime`, or an `OC-Checksum`): its uploads get both
 * digests in the same pass as the SHA-256.
 */
export function syncClient(ctx: Context): boolean {
  return ctx.get('X-OC-Mtime') !== '' || ctx.get('OC-Checksum') !== '';
}

/** The answer that tells an ownCloud client its `X-OC-Mtime` was kept (it sets the time again otherwise). */
export const MTIME_ACCEPTED = { 'X-OC-Mtime': 'accepted' } as const;
