import type { LockTimeouts } from '../domain/locks.js';

/**
 * `Timeout: Second-600, Infinite` (RFC 4918 §10.7): the first value understood wins, capped
 * by the configured maximum; no header or nothing understood gives the default.
 */
export function parseTimeout(header: string | undefined, limits: LockTimeouts): number {
  for (const part of (header ?? '').split(',')) {
    const value = part.trim();
    if (/^infinite$/i.test(value)) return limits.maxSeconds;
    const m = /^Second-(\d{1,15})$/i.exec(value);
    if (m) return Math.max(1, Math.min(Number(m[1]), limits.maxSeconds));
  }
  return Math.min(limits.defaultSeconds, limits.maxSeconds);
}

/**
 * A lock token as clients send it: `Lock-Token: <urn:uuid:…>`, a bare `urn:uuid:…`, or the
 * first state token of a WebDAV `If: (<urn:uuid:…>)` header.
 */
export function parseLockToken(lockToken: string | undefined, ifHeader: string | undefined): string | undefined {
  const direct = lockToken?.trim();
  if (direct) return direct.replace(/^<(.*)>$/, '$1').trim();
  const m = ifHeader ? /<(urn:uuid:[^>]+)>/i.exec(ifHeader) : null;
  return m?.[1];
}
