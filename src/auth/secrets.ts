import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters for new hashes (RFC 7914; about 50 ms on a current core). */
const COST = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
/** Memory scrypt may use for one derivation. */
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { ...options, maxmem: MAX_MEMORY + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt base64>$<key base64>`: what a users file stores instead of a secret. */
export async function hashSecret(secret: string, cost: { N: number; r: number; p: number } = COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** The cost parameters of a {@link hashSecret} string (which {@link isSecretHash} accepted). */
export function costOf(hash: string): { N: number; r: number; p: number } {
  const [, N, r, p] = hash.split('$');
  return { N: Number(N), r: Number(r), p: Number(p) };
}

/** A well-formed hash whose cost parameters node:crypto accepts (N a power of two ≥ 2, 128·N·r within the memory limit). */
export function isSecretHash(value: string): boolean {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.exec(value);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return N >= 2 && (N & (N - 1)) === 0 && r >= 1 && p >= 1 && 128 * N * r <= MAX_MEMORY;
}

/** Constant-time check of `secret` against a {@link hashSecret} string. */
export async function verifySecret(secret: string, hash: string): Promise<boolean> {
  if (!isSecretHash(hash)) return false;
  const [, N, r, p, salt = '', key = ''] = hash.split('$');
  const expected = Buffer.from(key, 'base64');
  try {
    const actual = await derive(secret, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/** A fast, non-reversible cache key for a credential already verified by scrypt. */
export function fingerprint(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}
