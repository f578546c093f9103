/**
 * The contract of {@link UploadBytes} (resumable uploads' bytes) and of the upload states'
 * record removal, run by every backend (not a test file itself).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import type { Storage, UploadPosition } from '../../src/storage/contracts.js';
import { collect, sha256 } from './blob-store.js';
import { openFor, type StorageFactory } from './record-store.js';

const MIB = 2 ** 20;
const ID = 'upload-contract-0123456789abcdef';
const source = (...pieces: Buffer[]) => Readable.from(pieces);

/** Append each piece as its own append, acknowledging each position; returns the last. */
async function appendAll(s: Storage, id: string, start: UploadPosition, pieces: Buffer[]): Promise<UploadPosition> {
  let at = start;
  for (const piece of pieces) {
    const out = await s.uploads.bytes.append(id, at, source(piece));
    if (out.error !== undefined) throw out.error;
    at = out;
  }
  return at;
}

export function uploadBytesContract(title: string, open: StorageFactory): void {
  const it = (name: string, body: (t: ExecutionContext, s: Storage) => Promise<void>) => test(`${title} uploads: ${name}`, async (t) => body(t, await openFor(t, open)));

  it('appends of any size (across 5 MiB parts) read back and stage as one blob; the upload keeps its bytes until removed', async (t, s) => {
    const pieces = [randomBytes(3 * MIB), randomBytes(4 * MIB), randomBytes(6 * MIB + 5), randomBytes(1000)];
    const whole = Buffer.concat(pieces);
    const at = await appendAll(s, ID, await s.uploads.bytes.create(ID), pieces);
    t.is(at.length, whole.length);
    t.true(Buffer.compare(await collect(await s.uploads.bytes.read(ID, at)), whole) === 0);
    const staged = await s.uploads.bytes.stage(ID, at);
    t.true(await s.blobs.commit(staged, sha256(whole)));
    t.true(Buffer.compare(await collect(await s.blobs.read(sha256(whole))), whole) === 0);
    const again = await s.uploads.bytes.stage(ID, at);
    await s.blobs.discard(again);
    t.true(Buffer.compare(await collect(await s.uploads.bytes.read(ID, at)), whole) === 0, "neither commit nor discard took the upload's bytes");
    const ids = [];
    for await (const item of s.uploads.bytes.list()) ids.push(item.id);
    t.deepEqual(ids, [ID]);
    await s.uploads.bytes.remove(ID);
    await s.uploads.bytes.remove(ID);
    const after = [];
    for await (const item of s.uploads.bytes.list()) after.push(item.id);
    t.deepEqual(after, []);
  });

  it('an append from an acknowledged position drops what a later, unacknowledged append stored', async (t, s) => {
    const first = await appendAll(s, ID, await s.uploads.bytes.create(ID), [Buffer.from('acknowledged ')]);
    await s.uploads.bytes.append(ID, first, source(Buffer.from('lost in a crash '), randomBytes(6 * MIB)));
    const end = await appendAll(s, ID, first, [Buffer.from('resumed')]);
    t.is((await collect(await s.uploads.bytes.read(ID, end))).toString(), 'acknowledged resumed');
  });

  it('a source that fails midway keeps what arrived, and says why', async (t, s) => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('first ');
        yield Buffer.from('second ');
        throw new Error('client went away');
      })(),
    );
    const out = await s.uploads.bytes.append(ID, await s.uploads.bytes.create(ID), failing);
    t.is((out.error as Error).message, 'client went away');
    t.is(out.length, 13);
    const end = await appendAll(s, ID, out, [Buffer.from('third')]);
    t.is((await collect(await s.uploads.bytes.read(ID, end))).toString(), 'first second third');
  });

  it('an abandoned append writes nothing more and rejects', async (t, s) => {
    const start = await appendAll(s, ID, await s.uploads.bytes.create(ID), [Buffer.from('kept ')]);
    const abandon = new AbortController();
    abandon.abort();
    await t.throwsAsync(s.uploads.bytes.append(ID, start, source(Buffer.from('dropped')), abandon.signal));
    t.is((await collect(await s.uploads.bytes.read(ID, start))).toString(), 'kept ');
    const end = await appendAll(s, ID, start, [Buffer.from('then')]);
    t.is((await collect(await s.uploads.bytes.read(ID, end))).toString(), 'kept then');
  });

  it('an empty upload stages as the empty blob', async (t, s) => {
    const at = await s.uploads.bytes.create(ID);
    await s.blobs.commit(await s.uploads.bytes.stage(ID, at), sha256(Buffer.alloc(0)));
    t.is(await s.blobs.size(sha256(Buffer.alloc(0))), 0);
  });

  it('states: a removed record is gone, and removing it again is no error', async (t, s) => {
    await s.uploads.states.put('abc', { n: 1 }, null);
    await s.uploads.states.put('done/abc', { n: 2 }, null);
    await s.uploads.states.remove('abc');
    await s.uploads.states.remove('abc');
    t.is(await s.uploads.states.get('abc'), undefined);
    t.deepEqual((await s.uploads.states.list(''))?.files, []);
    t.deepEqual((await s.uploads.states.list('done'))?.files, ['abc']);
  });
}
