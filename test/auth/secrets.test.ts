import test from 'ava';
import { fingerprint, hashSecret, isSecretHash, verifySecret } from '../../src/auth/secrets.js';

test('hashSecret then verifySecret: the right secret verifies, a wrong one does not', async (t) => {
  const hash = await hashSecret('correct horse battery staple');
  t.true(await verifySecret('correct horse battery staple', hash));
  t.false(await verifySecret('correct horse battery stapl', hash));
  t.false(await verifySecret('', hash));
  t.false(await verifySecret('Correct horse battery staple', hash));
});

test('a hash is scrypt$N$r$p$salt$key, never contains the secret, and is salted', async (t) => {
  const [a, b] = await Promise.all([hashSecret('s3cret-pw'), hashSecret('s3cret-pw')]);
  t.regex(a, /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.false(a.includes('s3cret-pw'));
  t.not(a, b, 'two hashes of one secret differ by their salt');
  t.true(await verifySecret('s3cret-pw', b));
});

test('unicode secrets round-trip', async (t) => {
  const hash = await hashSecret('pässwörd 🔑');
  t.true(await verifySecret('pässwörd 🔑', hash));
  t.false(await verifySecret('passwörd 🔑', hash));
});

test('isSecretHash recognises hashes and refuses plain text', async (t) => {
  t.true(isSecretHash(await hashSecret('x')));
  for (const plain of ['hunter2', '', 'scrypt$', 'scrypt$16384$8$1$$', 'bcrypt$2b$10$abc', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy']) {
    t.false(isSecretHash(plain), plain);
  }
});

test('verifySecret is false for anything that is not a scrypt hash', async (t) => {
  for (const hash of ['hunter2', 'hunter2$', '', 'md5$abc$def', 'scrypt$16384$8$1$c2FsdA==']) {
    t.false(await verifySecret('hunter2', hash), hash);
  }
});

test('fingerprint is a stable sha-256 hex that differs per credential', (t) => {
  t.regex(fingerprint('basic:alice:pw'), /^[0-9a-f]{64}$/);
  t.is(fingerprint('basic:alice:pw'), fingerprint('basic:alice:pw'));
  t.not(fingerprint('basic:alice:pw'), fingerprint('basic:alice:pw2'));
});

test('verifySecret answers false, never throws, for a hash whose scrypt parameters cannot be used', async (t) => {
  // N must be a power of two, and N·r·128 bytes must fit the memory limit.
  for (const hash of ['scrypt$1000$8$1$c2FsdA==$a2V5', 'scrypt$1048576$8$1$c2FsdA==$a2V5']) {
    t.false(await verifySecret('hunter2', hash).catch((err: unknown) => `threw: ${(err as Error).message}`), hash);
  }
});
