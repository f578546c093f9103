import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Problem } from '../../src/errors.js';
import { BodyDigest } from '../../src/http/body-digest.js';

/** Run `chunks` through a BodyDigest into a sink: the bytes the sink received, and the failure if any. */
async function run(meter: BodyDigest, chunks: Buffer[]): Promise<{ received: Buffer; error: unknown }> {
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      callback();
    },
  });
  let error: unknown;
  await pipeline(Readable.from(chunks), meter, sink).catch((err: unknown) => {
    error = err;
  });
  return { received: Buffer.concat(received), error };
}

function chunksOf(total: number, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < total; i += size) out.push(Buffer.alloc(Math.min(size, total - i), i % 251));
  return out;
}

test('bytes pass through unchanged while SHA-256 is computed; the digest matches node:crypto', async (t) => {
  const chunks = chunksOf(3 * 1024 * 1024 + 7, 65_536);
  const whole = Buffer.concat(chunks);
  const meter = new BodyDigest(10 * 1024 * 1024);
  const { received, error } = await run(meter, chunks);
  t.is(error, undefined);
  t.true(received.equals(whole));
  t.is(meter.bytes, whole.length);
  const digests = meter.digests();
  t.is(digests.sha256, createHash('sha256').update(whole).digest('hex'));
  t.is(digests.sha256Base64, createHash('sha256').update(whole).digest('base64'));
  t.is(digests.md5Base64, undefined);
});

test('MD5 is computed when asked for', async (t) => {
  const body = Buffer.from('content-md5 please');
  const meter = new BodyDigest(1024, { md5: true });
  t.is((await run(meter, [body])).error, undefined);
  t.is(meter.digests().md5Base64, createHash('md5').update(body).digest('base64'));
});

test('an empty body has the SHA-256 of nothing', async (t) => {
  const meter = new BodyDigest(10);
  t.is((await run(meter, [])).error, undefined);
  t.is(meter.bytes, 0);
  t.is(meter.digests().sha256, createHash('sha256').digest('hex'));
});

test('a body of exactly the limit passes', async (t) => {
  const meter = new BodyDigest(100);
  const { received, error } = await run(meter, chunksOf(100, 30));
  t.is(error, undefined);
  t.is(received.length, 100);
  t.is(meter.bytes, 100);
});

test("one byte over the limit fails with Problem 'too-large' (413), and the sink never sees more than the limit", async (t) => {
  const meter = new BodyDigest(100);
  const { received, error } = await run(meter, chunksOf(101, 30));
  t.true(error instanceof Problem);
  t.like(error, { code: 'too-large', status: 413 });
  t.true(received.length <= 100);
});

test('a large body over the limit fails as soon as the limit is passed', async (t) => {
  const meter = new BodyDigest(1024 * 1024);
  let produced = 0;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < 1000; i++) {
        produced += 65_536;
        yield Buffer.alloc(65_536);
      }
    })(),
  );
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const err = await t.throwsAsync(pipeline(source, meter, sink));
  t.like(err, { code: 'too-large' });
  t.true(produced < 1000 * 65_536, 'the source was not read to its end');
});

test('SHA-1 and MD5, when asked for, in the same pass as the SHA-256', async (t) => {
  const body = randomBytes(3 * 65536 + 7);
  const meter = new BodyDigest(1 << 20, { sha1: true, md5: true });
  await run(meter, [body.subarray(0, 65536), body.subarray(65536)]);
  const digests = meter.digests();
  t.is(digests.sha256, createHash('sha256').update(body).digest('hex'));
  t.is(digests.sha1, createHash('sha1').update(body).digest('hex'));
  t.is(digests.md5, createHash('md5').update(body).digest('hex'));
  t.is(new BodyDigest(10).digests().sha1, undefined);
});
