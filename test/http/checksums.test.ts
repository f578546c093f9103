import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { Problem, type ProblemCode } from '../../src/errors.js';
import { parseDigests, verifyDigests } from '../../src/http/checksums.js';

const BODY = Buffer.from('the bytes of an upload\n');
const SHA = createHash('sha256').update(BODY).digest('base64');
const MD5 = createHash('md5').update(BODY).digest('base64');
const actual = { sha256Base64: SHA, md5Base64: MD5 };

function refused(t: ExecutionContext, fn: () => unknown, code: ProblemCode, status: number): Problem | undefined {
  const err = t.throws(fn, { instanceOf: Problem });
  t.is(err?.code, code);
  t.is(err?.status, status);
  return err;
}

test('no digest headers: nothing expected, any body passes', (t) => {
  t.deepEqual(parseDigests(undefined, undefined), {});
  t.notThrows(() => verifyDigests({}, actual));
});

test('Content-Digest: the sha-256 member is taken, case-insensitively; other algorithms are ignored', (t) => {
  t.deepEqual(parseDigests(`sha-256=:${SHA}:`, undefined), { sha256: SHA });
  t.deepEqual(parseDigests(`SHA-256=:${SHA}:`, undefined), { sha256: SHA });
  t.deepEqual(parseDigests(`sha-512=:AAAA:, sha-256=:${SHA}:`, undefined), { sha256: SHA });
  t.deepEqual(parseDigests(`  sha-256 = :${SHA}:  ,unixsum=:MTI=:`, undefined), { sha256: SHA });
  t.deepEqual(parseDigests('sha-512=:AAAA:', undefined), {});
});

test('a malformed Content-Digest is 400 bad-request', (t) => {
  for (const h of [`sha-256=${SHA}`, `sha-256="${SHA}"`, 'sha-256=:not base64!:', 'garbage', '']) {
    refused(t, () => parseDigests(h, undefined), 'bad-request', 400);
  }
});

test('Content-MD5 must be a base64 MD5 digest', (t) => {
  t.deepEqual(parseDigests(undefined, MD5), { md5: MD5 });
  t.deepEqual(parseDigests(undefined, ` ${MD5} `), { md5: MD5 });
  for (const h of ['', 'abc', createHash('md5').update(BODY).digest('hex'), SHA]) refused(t, () => parseDigests(undefined, h), 'bad-request', 400);
});

test('both headers together', (t) => {
  t.deepEqual(parseDigests(`sha-256=:${SHA}:`, MD5), { sha256: SHA, md5: MD5 });
});

test('verifyDigests passes for the right digests', (t) => {
  t.notThrows(() => verifyDigests({ sha256: SHA }, actual));
  t.notThrows(() => verifyDigests({ md5: MD5 }, actual));
  t.notThrows(() => verifyDigests({ sha256: SHA, md5: MD5 }, actual));
});

test('verifyDigests refuses a wrong sha-256 or MD5 with 400 checksum-mismatch', (t) => {
  const otherSha = createHash('sha256').update('other').digest('base64');
  const otherMd5 = createHash('md5').update('other').digest('base64');
  const err = refused(t, () => verifyDigests({ sha256: otherSha }, actual), 'checksum-mismatch', 400);
  t.true(err?.message.includes(otherSha));
  t.true(err?.message.includes(SHA));
  refused(t, () => verifyDigests({ md5: otherMd5 }, actual), 'checksum-mismatch', 400);
  refused(t, () => verifyDigests({ sha256: SHA, md5: otherMd5 }, actual), 'checksum-mismatch', 400);
  refused(t, () => verifyDigests({ md5: MD5 }, { sha256Base64: SHA, md5Base64: undefined }), 'checksum-mismatch', 400);
});

test('parse then verify: a header computed by the client matches the server-side digest', (t) => {
  const expected = parseDigests(`sha-256=:${SHA}:`, MD5);
  t.notThrows(() => verifyDigests(expected, actual));
  const tampered = parseDigests(
    `sha-256=:${createHash('sha256')
      .update(Buffer.concat([BODY, Buffer.from('x')]))
      .digest('base64')}:`,
    undefined,
  );
  refused(t, () => verifyDigests(tampered, actual), 'checksum-mismatch', 400);
});
