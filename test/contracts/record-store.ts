/**
 * The RecordStore contract (src/storage/contracts.ts) as a reusable ava suite. Every backend
 * calls {@link recordStoreContract} with a factory that opens a fresh, empty store; the tests
 * use nothing but the contract, so they hold for local disk and S3 alike.
 */
import test, { type ExecutionContext } from 'ava';
import { RevisionMismatch, type Storage } from '../../src/storage/contracts.js';

/** A freshly opened, empty backend and how to remove what it left (called after close()). */
export interface OpenedStorage {
  storage: Storage;
  cleanup(): Promise<void>;
}

export type StorageFactory = () => Promise<OpenedStorage>;

/** Open a fresh store for one test; it is closed and cleaned up when the test ends. */
export async function openFor(t: ExecutionContext, open: StorageFactory): Promise<Storage> {
  const { storage, cleanup } = await open();
  t.teardown(async () => {
    await storage.close();
    await cleanup();
  });
  return storage;
}

const sorted = (names: string[] | undefined): string[] => [...(names ?? [])].sort();

/** Every key scan() yields, sorted (duplicates kept, so that a test sees them). */
export async function scanned(s: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of s.records.scan()) keys.push(key);
  return keys.sort();
}

export interface RecordContractOptions {
  /**
   * The backend checks the revision before it runs `prepare` (fs: under the record lock), so a
   * put that loses never prepares. False for backends whose check is the write itself (S3).
   */
  preparesOnlyOnMatch: boolean;
}

export function recordStoreContract(title: string, open: StorageFactory, options: RecordContractOptions): void {
  const it = (name: string, body: (t: ExecutionContext, s: Storage) => Promise<void>) => test(`${title} records: ${name}`, async (t) => body(t, await openFor(t, open)));

  it('get of a missing key is undefined', async (t, s) => {
    t.is(await s.records.get('missing.txt'), undefined);
    t.is(await s.records.get('no/such/dir/missing.txt'), undefined);
  });

  it('create-only put (expected null) succeeds once; a second create throws RevisionMismatch and changes nothing', async (t, s) => {
    const value = { n: 1, nested: { list: [1, 'two', null], flag: true } };
    const revision = await s.records.put('a.txt', value, null);
    t.is(typeof revision, 'string');
    t.deepEqual(await s.records.get('a.txt'), { value, revision });
    await t.throwsAsync(s.records.put('a.txt', { n: 2 }, null), { instanceOf: RevisionMismatch });
    t.deepEqual(await s.records.get('a.txt'), { value, revision });
  });

  it('put at the current revision succeeds and returns a new revision', async (t, s) => {
    const r1 = await s.records.put('docs/a.txt', { n: 1 }, null);
    const r2 = await s.records.put('docs/a.txt', { n: 2 }, r1);
    t.not(r2, r1);
    t.deepEqual(await s.records.get('docs/a.txt'), { value: { n: 2 }, revision: r2 });
    const r3 = await s.records.put('docs/a.txt', { n: 3 }, r2);
    t.not(r3, r2);
    t.not(r3, r1);
    t.deepEqual(await s.records.get('docs/a.txt'), { value: { n: 3 }, revision: r3 });
  });

  it('put at a stale revision throws RevisionMismatch and changes nothing', async (t, s) => {
    const r1 = await s.records.put('a.txt', { n: 1 }, null);
    const r2 = await s.records.put('a.txt', { n: 2 }, r1);
    await t.throwsAsync(s.records.put('a.txt', { n: 99 }, r1), { instanceOf: RevisionMismatch });
    t.deepEqual(await s.records.get('a.txt'), { value: { n: 2 }, revision: r2 });
    // The stale revision stays stale: the failed put did not move the record back to it.
    await t.throwsAsync(s.records.put('a.txt', { n: 98 }, r1), { instanceOf: RevisionMismatch });
  });

  it('put expecting a revision of a missing record throws RevisionMismatch and creates nothing', async (t, s) => {
    const elsewhere = await s.records.put('other.txt', { n: 1 }, null);
    await t.throwsAsync(s.records.put('missing.txt', { n: 1 }, elsewhere), { instanceOf: RevisionMismatch });
    t.is(await s.records.get('missing.txt'), undefined);
  });

  it('20 concurrent puts from the same revision: exactly one succeeds and its value is stored', async (t, s) => {
    const base = await s.records.put('race.txt', { writer: -1 }, null);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.records.put('race.txt', { writer: i }, base)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, revision: r.value }] : []));
    t.is(won.length, 1);
    for (const r of results) if (r.status === 'rejected') t.true(r.reason instanceof RevisionMismatch, String(r.reason));
    const winner = won[0] as { i: number; revision: string };
    t.deepEqual(await s.records.get('race.txt'), { value: { writer: winner.i }, revision: winner.revision });
  });

  it('20 concurrent create-only puts: exactly one creates the record', async (t, s) => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.records.put('new/race.txt', { writer: i }, null)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, revision: r.value }] : []));
    t.is(won.length, 1);
    t.is(results.filter((r) => r.status === 'rejected' && r.reason instanceof RevisionMismatch).length, 19);
    const winner = won[0] as { i: number; revision: string };
    t.deepEqual(await s.records.get('new/race.txt'), { value: { writer: winner.i }, revision: winner.revision });
  });

  it('list of an empty store finds no names', async (t, s) => {
    const root = await s.records.list('');
    t.deepEqual(sorted(root?.files), []);
    t.deepEqual(sorted(root?.directories), []);
  });

  it('list names the files and directories one level down, for the root and nested directories', async (t, s) => {
    for (const key of ['a.txt', 'b.txt', 'docs/c.txt', 'docs/sub/d.txt', 'docs/sub/deeper/e.txt', 'other/f.txt']) {
      await s.records.put(key, { key }, null);
    }
    const root = await s.records.list('');
    t.deepEqual(sorted(root?.files), ['a.txt', 'b.txt']);
    t.deepEqual(sorted(root?.directories), ['docs', 'other']);
    const docs = await s.records.list('docs');
    t.deepEqual(sorted(docs?.files), ['c.txt']);
    t.deepEqual(sorted(docs?.directories), ['sub']);
    const sub = await s.records.list('docs/sub');
    t.deepEqual(sorted(sub?.files), ['d.txt']);
    t.deepEqual(sorted(sub?.directories), ['deeper']);
    const deeper = await s.records.list('docs/sub/deeper');
    t.deepEqual({ files: sorted(deeper?.files), directories: sorted(deeper?.directories) }, { files: ['e.txt'], directories: [] });
  });

  it('list of a missing directory, or of a file, is undefined', async (t, s) => {
    await s.records.put('docs/a.txt', { n: 1 }, null);
    t.is(await s.records.list('nope'), undefined);
    t.is(await s.records.list('docs/nope'), undefined);
    t.is(await s.records.list('docs/a.txt'), undefined);
  });

  it('a file and a directory with the same name coexist', async (t, s) => {
    await s.records.put('x', { kind: 'file' }, null);
    await s.records.put('x/y', { kind: 'inner' }, null);
    const root = await s.records.list('');
    t.deepEqual(sorted(root?.files), ['x']);
    t.deepEqual(sorted(root?.directories), ['x']);
    t.deepEqual((await s.records.get('x'))?.value, { kind: 'file' });
    t.deepEqual((await s.records.get('x/y'))?.value, { kind: 'inner' });
    t.deepEqual(sorted((await s.records.list('x'))?.files), ['y']);
  });

  it('names with spaces, unicode and punctuation round-trip through put, get and list', async (t, s) => {
    const keys = ['my docs/naïve résumé.txt', '日本語/ファイル 1.txt', 'emoji 😀/a~b %41+c.txt', 'my docs/l~x', 'my docs/f~y', 'my docs/d~z'];
    for (const key of keys) await s.records.put(key, { key }, null);
    for (const key of keys) t.deepEqual((await s.records.get(key))?.value, { key });
    t.deepEqual(sorted((await s.records.list(''))?.directories), ['emoji 😀', 'my docs', '日本語']);
    t.deepEqual(sorted((await s.records.list('my docs'))?.files), ['d~z', 'f~y', 'l~x', 'naïve résumé.txt'].sort());
    t.deepEqual(sorted((await s.records.list('my docs'))?.directories), []);
    t.deepEqual(sorted((await s.records.list('日本語'))?.files), ['ファイル 1.txt']);
    t.deepEqual(sorted((await s.records.list('emoji 😀'))?.files), ['a~b %41+c.txt']);
  });

  it('records of different keys are independent', async (t, s) => {
    const ra = await s.records.put('a', { n: 'a' }, null);
    const rb = await s.records.put('b', { n: 'b' }, null);
    await s.records.put('a', { n: 'a2' }, ra);
    t.deepEqual(await s.records.get('b'), { value: { n: 'b' }, revision: rb });
  });

  it('prepare runs once, before the new record is visible', async (t, s) => {
    const r1 = await s.records.put('p.txt', { n: 1 }, null);
    const seen: unknown[] = [];
    const r2 = await s.records.put('p.txt', { n: 2 }, r1, async () => {
      seen.push((await s.records.get('p.txt'))?.value);
    });
    t.deepEqual(seen, [{ n: 1 }]);
    t.deepEqual(await s.records.get('p.txt'), { value: { n: 2 }, revision: r2 });
    let calls = 0;
    await s.records.put('fresh.txt', { n: 1 }, null, async () => {
      calls++;
    });
    t.is(calls, 1);
  });

  it('a prepare that throws fails the put, writes nothing and leaves the record writable', async (t, s) => {
    const r1 = await s.records.put('p.txt', { n: 1 }, null);
    const failing = async () => {
      throw new Error('blob could not be published');
    };
    await t.throwsAsync(s.records.put('p.txt', { n: 2 }, r1, failing), { message: 'blob could not be published' });
    t.deepEqual(await s.records.get('p.txt'), { value: { n: 1 }, revision: r1 });
    await t.throwsAsync(s.records.put('new.txt', { n: 1 }, null, failing), { message: 'blob could not be published' });
    t.is(await s.records.get('new.txt'), undefined);
    const r2 = await s.records.put('p.txt', { n: 3 }, r1);
    t.deepEqual(await s.records.get('p.txt'), { value: { n: 3 }, revision: r2 });
  });

  if (options.preparesOnlyOnMatch) {
    it('a put at a stale revision never runs prepare', async (t, s) => {
      const r1 = await s.records.put('p.txt', { n: 1 }, null);
      await s.records.put('p.txt', { n: 2 }, r1);
      let calls = 0;
      const prepare = async () => {
        calls++;
      };
      await t.throwsAsync(s.records.put('p.txt', { n: 3 }, r1, prepare), { instanceOf: RevisionMismatch });
      await t.throwsAsync(s.records.put('p.txt', { n: 3 }, null, prepare), { instanceOf: RevisionMismatch });
      t.is(calls, 0);
    });

    it('20 concurrent puts with prepare from the same revision: only the winner prepares', async (t, s) => {
      const base = await s.records.put('race.txt', { writer: -1 }, null);
      const prepared: number[] = [];
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          s.records.put('race.txt', { writer: i }, base, async () => {
            prepared.push(i);
          }),
        ),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      t.is(won.length, 1);
      t.deepEqual(prepared, won);
    });
  }

  it('scan of an empty store finds no key', async (t, s) => {
    t.deepEqual(await scanned(s), []);
  });

  it('scan yields the key of every record once, at every depth, whatever the names', async (t, s) => {
    const keys = [
      'a.txt',
      'x',
      'x/y',
      'docs/c.txt',
      'docs/sub/deeper/e.txt',
      'my docs/naïve résumé.txt',
      '日本語/ファイル 1.txt',
      'emoji 😀/a~b %41+c.txt',
      'my docs/l~x',
      'my docs/f~y',
      'my docs/d~z',
    ];
    for (const key of keys) await s.records.put(key, { key }, null);
    const rev = (await s.records.get('a.txt'))?.revision as string;
    await s.records.put('a.txt', { key: 'a.txt', n: 2 }, rev); // a replaced record is still one key
    t.deepEqual(await scanned(s), [...keys].sort());
  });

  it('check() resolves on a working store', async (t, s) => {
    await t.notThrowsAsync(s.check());
  });
}
