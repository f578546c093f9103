import test from 'ava';
import { FileService } from '../../src/domain/files.js';
import { History } from '../../src/domain/history.js';
import { MAX_SUMMARY_ENTRIES, type ListingSummary } from '../../src/domain/listing-summary.js';
import { childKey } from '../../src/domain/paths.js';
import { FileReader } from '../../src/domain/reads.js';
import type { FileRecord } from '../../src/domain/types.js';
import type { RecordStore, Revision } from '../../src/storage/contracts.js';
import { MemoryRecordStore } from '../../src/storage/memory/record-store.js';
import { alice, bob, memoryStore, stageText, START } from './_support.js';

/**
 * Listings from per-directory summaries (src/domain/listing-summary.ts), on the memory store
 * made to list revisions as S3 does; record reads are counted.
 */
function setup(t: Parameters<typeof memoryStore>[0]) {
  const { storage } = memoryStore(t);
  let now = START;
  const base = storage.records;
  let reads = 0;
  const records: RecordStore<FileRecord> = {
    get: (key) => {
      reads++;
      return base.get(key);
    },
    put: (key, value, expected, prepare) => base.put(key, value, expected, prepare),
    scan: () => base.scan(),
    async list(dir) {
      const listing = await base.list(dir);
      if (!listing) return listing;
      const revisions = new Map<string, Revision>();
      for (const name of listing.files) revisions.set(name, (await base.get(childKey(dir, name)))?.revision as Revision);
      return { ...listing, revisions };
    },
  };
  const history = new History(storage.history);
  const clock = () => now;
  const files = new FileService({ records: base, history, blobs: storage.blobs, clock, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  const summaries = new MemoryRecordStore<ListingSummary>();
  const reader = new FileReader(records, history, clock, undefined, summaries);
  const upload = async (key: string, text: string) => files.upload(alice, key, { conditions: {} }, await stageText(storage.blobs, text));
  return { files, reader, summaries, upload, reads: () => reads, advance: (ms: number) => (now += ms) };
}

test('a listing reads only the records that changed since the last one, and judges locks at its own time', async (t) => {
  const s = setup(t);
  for (const name of ['a', 'b', 'c']) await s.upload(`docs/${name}.txt`, name);
  const first = await s.reader.list('docs');
  t.is(s.reads(), 3, 'the first listing reads every record');
  t.deepEqual(await s.reader.list('docs'), first);
  t.is(s.reads(), 3, 'an unchanged directory reads none');
  await s.upload('docs/b.txt', 'b, changed');
  await s.files.checkout(bob, 'docs/c.txt', { conditions: {} }, 60);
  const listed = await s.reader.list('docs');
  t.is(s.reads(), 5, 'the two changed records are read again');
  t.like(
    listed.entries.find((e) => e.name === 'b.txt'),
    { version: 2, size: 'b, changed'.length },
  );
  t.like(
    listed.entries.find((e) => e.name === 'c.txt'),
    { locked: true },
  );
  s.advance(61_000);
  t.like(
    (await s.reader.list('docs')).entries.find((e) => e.name === 'c.txt'),
    { locked: false },
    'the lock expired without a write',
  );
  t.is(s.reads(), 5);
});

test(`a directory of more than ${MAX_SUMMARY_ENTRIES} files is listed from its records`, async (t) => {
  const s = setup(t);
  for (let i = 0; i <= MAX_SUMMARY_ENTRIES; i++) await s.upload(`big/${i}.txt`, 'same bytes');
  await s.reader.list('big');
  await s.reader.list('big');
  t.is(s.reads(), 2 * (MAX_SUMMARY_ENTRIES + 1));
});

test('a summary written before listings named authors is read again once, then used', async (t) => {
  const s = setup(t);
  for (const name of ['a', 'b']) await s.upload(`old/${name}.txt`, name);
  await s.reader.list('old');
  // What an older kluis wrote: the same entries without the author.
  const stored = await s.summaries.get('old/~');
  const entries = Object.fromEntries(Object.entries(stored?.value.entries ?? {}).map(([name, e]) => [name, { ...e, file: e.file && { ...e.file, author: undefined } }]));
  await s.summaries.put('old/~', { entries } as unknown as ListingSummary, stored?.revision ?? null);
  const before = s.reads();
  const listed = await s.reader.list('old');
  t.deepEqual(
    listed.entries.map((e) => (e.type === 'file' ? e.author : null)),
    ['alice', 'alice'],
  );
  t.is(s.reads() - before, 2, 'each entry without an author is read again');
  await s.reader.list('old');
  t.is(s.reads() - before, 2, 'and the summary is whole again');
});

test('a summary entry of a locked file written before listings named the holder is read again once', async (t) => {
  const s = setup(t);
  await s.upload('held/a.txt', 'a');
  await s.files.checkout(alice, 'held/a.txt', { conditions: {} }, 60, 'Alice on the laptop');
  await s.reader.list('held');
  const stored = await s.summaries.get('held/~');
  const entries = Object.fromEntries(Object.entries(stored?.value.entries ?? {}).map(([name, { lockedBy: _holder, ...e }]) => [name, e]));
  await s.summaries.put('held/~', { entries } as unknown as ListingSummary, stored?.revision ?? null);
  const before = s.reads();
  const [entry] = (await s.reader.list('held')).entries;
  t.like(entry, { name: 'a.txt', locked: true, lockedBy: { owner: 'alice', label: 'Alice on the laptop' } });
  t.is(s.reads() - before, 1, 'the entry without its holder is read again');
  await s.reader.list('held');
  t.is(s.reads() - before, 1, 'and then the summary serves it');
});
