import type { Context } from 'koa';

/**
 * ETags on /dav carry the same SHA-256 as on /files, in base64url (43 characters) instead of hex
 * (64): some clients keep an `If` header in a fixed buffer (litmus: 200 bytes), and an `If`
 * naming a lock token and the ETag twice does not fit with hex.
 */
export function davEtag(sha256: string): string {
  return `"${Buffer.from(sha256, 'hex').toString('base64url')}"`;
}

const HEX_ETAG = /"([0-9a-f]{64})"/g;
const DAV_ETAG = /"([A-Za-z0-9_-]{43})"/g;

/** Entity tags in a request header, in the /files (hex) form the domain compares. */
export function toHexEtags(value: string): string {
  return value.replace(DAV_ETAG, (_, b64: string) => `"${Buffer.from(b64, 'base64url').toString('hex')}"`);
}

/** Conditional headers of a /dav request, their ETags turned to hex; the answer's ETag to base64url. */
export function translateEtags(ctx: Context): void {
  for (const name of ['if-match', 'if-none-match', 'if-range']) {
    const value = ctx.req.headers[name];
    if (typeof value === 'string') ctx.req.headers[name] = toHexEtags(value);
  }
}

/** The answer's ETag header in the /dav form. */
export function answerEtag(ctx: Context): void {
  const etag = ctx.response.get('ETag');
  if (etag) ctx.set('ETag', etag.replace(HEX_ETAG, (_, hex: string) => davEtag(hex)));
}
