import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a sign-in lasts: a working day, then the browser signs in again. */
export const SESSION_SECONDS = 12 * 3600;

/** What a valid session cookie says. */
export interface Session {
  name: string;
  expiresAt: number;
}

/**
 * Browser sessions of the web UI, stateless: the cookie is `<name>.<expiry>.<nonce>.<mac>`,
 * signed with HMAC-SHA256 under a secret every instance shares (`KLUIS_SESSION_SECRET`), so
 * any instance accepts it and nothing is stored. Its CSRF token is a second MAC of the cookie:
 * a page that cannot read the cookie (HttpOnly) cannot make it, and the UI learns it from
 * `GET /session`. Signing out forgets the cookie in the browser; a stolen cookie stays valid
 * until it expires (the price of keeping no session store).
 */
export class Sessions {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly clock: () => number = Date.now,
    private readonly seconds = SESSION_SECONDS,
  ) {
    this.key = createHmac('sha256', 'kluis session').update(secret).digest();
  }

  /** A new cookie value for `name`, valid for {@link SESSION_SECONDS}. */
  issue(name: string): { cookie: string; expiresAt: number } {
    const expiresAt = this.clock() + this.seconds * 1000;
    const body = `${Buffer.from(name).toString('base64url')}.${expiresAt}.${randomBytes(12).toString('base64url')}`;
    return { cookie: `${body}.${this.mac('cookie', body)}`, expiresAt };
  }

  /** The session a cookie value names, or undefined when it is forged, malformed or expired. */
  verify(cookie: string | undefined): Session | undefined {
    const parts = cookie?.split('.') ?? [];
    if (parts.length !== 4) return undefined;
    const [name64, expiry, nonce, mac] = parts as [string, string, string, string];
    if (!same(mac, this.mac('cookie', `${name64}.${expiry}.${nonce}`))) return undefined;
    const expiresAt = Number(expiry);
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= this.clock()) return undefined;
    return { name: Buffer.from(name64, 'base64url').toString('utf8'), expiresAt };
  }

  /** The CSRF token that goes with a cookie value. */
  csrf(cookie: string): string {
    return this.mac('csrf', cookie);
  }

  /** Whether `token` is the CSRF token of `cookie`, compared in constant time. */
  csrfMatches(cookie: string, token: string): boolean {
    return same(token, this.csrf(cookie));
  }

  private mac(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}:${value}`).digest('base64url');
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
