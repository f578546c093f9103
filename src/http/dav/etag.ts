/**
 * ETags on /dav carry the same SHA-256 as on /files, in base64url (43 characters) instead of hex
 * (64): some clients keep an `If` header in a fixed buffer (litmus: 200 bytes), and an `If`
 * naming a lock token and the ETag twice does not fit with hex. Conditional headers take either
 * form (src/http/preconditions.ts reads both).
 */
export function davEtag(sha256: string): string {
  return `"${Buffer.from(sha256, 'hex').toString('base64url')}"`;
}
