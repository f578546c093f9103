/**
 * A full disk, for real: each test mounts its own small tmpfs as the data root of a server
 * process and fills it (uploads, or a filler file next to the data directory). ENOSPC must be
 * 507 `insufficient-storage` with nothing stored, reads must go on, and writes must work again
 * once space is back, without a restart. tmpfs counts 4 KiB pages of file data (directories
 * are free), which makes "the blob fits, the record does not" exact.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { fsView, type StoreView } from '../helpers/backend.js';
import { checkout, request, type Answer } from '../helpers/http.js';
import { type ChildServer, startChild } from '../helpers/server.js';
import { assertProblem, multipart, raw, sha256hex } from '../http/rest/_support.js';

const SOAK = process.env.KLUIS_SOAK === '1';
const PAGE = 4096;
const HOW = 'run the disk-full tests as root (they mount a tmpfs: mount -t tmpfs -o size=4m tmpfs <dir>), e.g. sudo npx ava test/reliability/disk-full.test.ts';
const figures = { mounts: 0, uploads: 0, refused507: 0, readsChecked: 0, recovered: 0, answers500: 0 };

interface Disk {
  server: ChildServer;
  dataDir: string;
  store: StoreView;
  free(): Promise<number>;
  /** Add a filler file outside the data dir so that exactly `leave` bytes stay free. */
  fillTo(leave: number): Promise<void>;
  /** Remove every filler file. */
  unfill(): Promise<void>;
  remount(mib: number): void;
}

/** A `mib` MiB tmpfs with a server on `<mount>/data`; unmounted in teardown. Fails (never skips) without root. */
async function disk(t: ExecutionContext, mib = 4): Promise<Disk> {
  const mnt = await mkdtemp(path.join(os.tmpdir(), 'kluis-full-'));
  try {
    if (process.getuid?.() !== 0) throw new Error('not root');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    await rmdir(mnt);
    t.fail(`cannot mount a tmpfs (${(err as Error).message.trim()}): ${HOW}`);
    throw err;
  }
  figures.mounts++;
  let server: ChildServer | undefined;
  t.teardown(async () => {
    await server?.stop('SIGKILL');
    execFileSync('umount', [mnt]);
    await rmdir(mnt);
  });
  const dataDir = path.join(mnt, 'data');
  await mkdir(dataDir);
  server = await startChild(dataDir);
  const free = async () => {
    const s = await statfs(mnt);
    return s.bavail * s.bsize;
  };
  let fillers = 0;
  return {
    server,
    dataDir,
    store: fsView(dataDir),
    free,
    fillTo: async (leave) => {
      const now = await free();
      if (now < leave) throw new Error(`only ${now} bytes free, cannot leave ${leave}`);
      if (now > leave) await writeFile(path.join(mnt, `filler-${fillers++}`), Buffer.alloc(now - leave));
      t.is(await free(), leave, 'the filler leaves exactly the bytes asked for');
    },
    unfill: async () => {
      for (const name of await readdir(mnt)) if (name.startsWith('filler-')) await rm(path.join(mnt, name));
    },
    remount: (size) => execFileSync('mount', ['-o', `remount,size=${size}m`, mnt]),
  };
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;

/** Count an answer for the figures. */
function note(a: Answer): Answer {
  figures.uploads++;
  if (a.status === 507) figures.refused507++;
  if (a.status === 500) figures.answers500++;
  return a;
}

async function putRaw(d: Disk, file: string, body: Buffer, headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  return note(await raw(d.server.url, 'PUT', `/files/${file}${query}`, headers, body));
}

async function postParts(d: Disk, target: string, files: Record<string, Buffer>, headers: Record<string, string> = {}): Promise<Answer> {
  const form = multipart(Object.entries(files).map(([filename, data]) => ({ name: 'file', filename, data })));
  return note(await raw(d.server.url, 'POST', `/files/${target}`, { 'Content-Type': form.contentType, ...headers }, form.body));
}

/** A 507 that stored nothing: the problem, Retry-After, no new version, blob or staged byte. */
async function assertFull(t: ExecutionContext, d: Disk, answer: Answer, files: string[], before: { blobs: string[]; histories: Answer[] }): Promise<void> {
  assertProblem(t, answer, 507, 'insufficient-storage');
  t.truthy(answer.headers.get('retry-after'), '507 carries Retry-After');
  for (const [i, file] of files.entries()) {
    const after = await request(`${d.server.url}/files/${file}?versions`);
    t.is(after.status, before.histories[i]?.status ?? 0, `${file}: history status changed`);
    t.deepEqual(after.json?.versions, before.histories[i]?.json?.versions, `${file}: a version was added`);
  }
  t.deepEqual(await d.store.blobs(), before.blobs, 'no blob was added (partial or whole)');
  await assertBlobsWhole(t, d);
  t.deepEqual(await d.store.staged(), [], 'the staged upload was removed');
}

/** Every blob file hashes to its name: none is partial. */
async function assertBlobsWhole(t: ExecutionContext, d: Disk): Promise<void> {
  for (const name of await d.store.blobs()) {
    const bytes = await readFile(path.join(d.dataDir, 'blobs', name.slice(0, 2), name.slice(2, 4), name));
    t.is(sha256hex(bytes), name, `blob ${name} is whole`);
  }
}

async function snapshot(d: Disk, files: string[]): Promise<{ blobs: string[]; histories: Answer[] }> {
  return { blobs: await d.store.blobs(), histories: await Promise.all(files.map((f) => request(`${d.server.url}/files/${f}?versions`))) };
}

/** Reads still work: every file reads back with its bytes, /healthz is 200. */
async function assertReads(t: ExecutionContext, d: Disk, stored: Map<string, Buffer>): Promise<void> {
  for (const [file, body] of stored) {
    const r = await fetch(`${d.server.url}/files/${file}`);
    const bytes = Buffer.from(await r.arrayBuffer());
    t.is(r.status, 200, `GET ${file}`);
    t.is(sha256hex(bytes), sha256hex(body), `${file} reads back with its bytes`);
    figures.readsChecked++;
  }
  t.is((await request(`${d.server.url}/healthz`)).status, 200);
}

/** A body that does not end exactly at the free space (which would move the failure to the record write). */
function bodyNotFitting(free: number, size: number): Buffer {
  return randomBytes(Math.ceil(size / PAGE) * PAGE === free ? size + PAGE : size);
}

test('uploads until the disk is full: 507 with nothing half-written; reads and /healthz go on; uploads work again once space is freed or the disk grows, without a restart', async (t) => {
  const d = await disk(t, 4);
  const pid = d.server.child.pid;
  await d.fillTo((await d.free()) - (1 << 20)); // 1 MiB to free later
  const stored = new Map<string, Buffer>();
  let refused: { file: string; body: Buffer } | undefined;
  for (let i = 0; i < 100 && !refused; i++) {
    const file = `full/f${i}.bin`;
    const body = bodyNotFitting(await d.free(), 150_000 + ((i * 37_123) % 200_000));
    const before = await snapshot(d, [file]);
    const answer = await putRaw(d, file, body);
    if (ok(answer)) stored.set(file, body);
    else {
      await assertFull(t, d, answer, [file], before);
      refused = { file, body };
    }
  }
  t.true(stored.size >= 5, `${stored.size} uploads fit before the disk was full`);
  if (!refused) return void t.fail('the disk never filled up');
  await assertReads(t, d, stored);
  const listing = await request(`${d.server.url}/files/full/`);
  t.is(listing.status, 200);
  t.is(listing.json.entries.length, stored.size, 'the listing shows the stored files only');
  const ready = await request(`${d.server.url}/readyz`);
  t.log(`/readyz on a full disk: ${ready.status}`);

  // Free space (the filler outside the data dir): the refused upload now succeeds, same process.
  await d.unfill();
  const again = await putRaw(d, refused.file, refused.body);
  t.is(again.status, 201, again.text);
  stored.set(refused.file, refused.body);
  figures.recovered++;

  // Full again, then the disk grows (remount with a bigger size); the soak repeats it.
  let size = 4;
  for (let cycle = 0; cycle < (SOAK ? 30 : 1); cycle++) {
    let last: Answer | undefined;
    for (let i = 0; i < 1000 && (!last || ok(last)); i++) {
      const file = `full/c${cycle}-${i}.bin`;
      const body = bodyNotFitting(await d.free(), 300_000);
      const before = await snapshot(d, [file]);
      last = await putRaw(d, file, body);
      if (ok(last)) stored.set(file, body);
      else {
        await assertFull(t, d, last, [file], before);
        size += 2;
        d.remount(size);
        const grown = await putRaw(d, file, body);
        t.is(grown.status, 201, grown.text);
        stored.set(file, body);
        figures.recovered++;
      }
    }
    t.is(last?.status, 507, `the disk filled up again (cycle ${cycle})`);
  }
  await assertReads(t, d, stored);
  t.deepEqual(await d.store.staged(), []);
  t.is(d.server.child.pid, pid);
  t.is(d.server.child.exitCode, null, 'no restart: the same process served throughout');
});

test('a multipart POST that hits ENOSPC stores none of its files (to a directory or to a file URL)', async (t) => {
  const d = await disk(t, 4);
  await d.fillTo(256 * 1024);
  const files = { 'a.bin': randomBytes(100_000), 'b.bin': randomBytes(400_000) };
  const before = await snapshot(d, ['form/a.bin', 'form/b.bin']);
  await assertFull(t, d, await postParts(d, 'form/', files), ['form/a.bin', 'form/b.bin'], before);
  const beforeOne = await snapshot(d, ['one.bin']);
  await assertFull(t, d, await postParts(d, 'one.bin', { 'one.bin': files['b.bin'] }), ['one.bin'], beforeOne);
  await d.unfill();
  const stored = await postParts(d, 'form/', files);
  t.is(stored.status, 201, stored.text);
  t.deepEqual(
    stored.json.map((v: { path: string; sha256: string }) => [v.path, v.sha256]),
    [
      ['form/a.bin', sha256hex(files['a.bin'])],
      ['form/b.bin', sha256hex(files['b.bin'])],
    ],
  );
  await assertReads(
    t,
    d,
    new Map([
      ['form/a.bin', files['a.bin']],
      ['form/b.bin', files['b.bin']],
    ]),
  );
  figures.recovered++;
});

test('a check-in that hits ENOSPC (PUT and POST): 507, the lock is kept, and the same token checks in once space is back', async (t) => {
  const d = await disk(t, 4);
  const v1 = randomBytes(10_000);
  t.is((await putRaw(d, 'doc.bin', v1)).status, 201);
  const lock = await checkout(d.server.url, 'doc.bin', { Timeout: 'Second-600' });
  t.is(lock.status, 200);
  await d.fillTo(64 * 1024);
  const body = randomBytes(300_000);
  const token = { 'Lock-Token': `<${lock.token}>` };
  const before = await snapshot(d, ['doc.bin']);
  await assertFull(t, d, await putRaw(d, 'doc.bin', body, token, '?checkin'), ['doc.bin'], before);
  const form = multipart([{ name: 'file', filename: 'doc.bin', data: body }]);
  await assertFull(t, d, note(await raw(d.server.url, 'POST', '/files/doc.bin?checkin', { 'Content-Type': form.contentType, ...token }, form.body)), ['doc.bin'], before);
  const held = await request(`${d.server.url}/files/doc.bin?lock`);
  t.is(held.status, 200, 'the lock survives the refused check-in');
  t.is(held.json.expiresAt, lock.json.expiresAt);
  await assertReads(t, d, new Map([['doc.bin', v1]]));
  await d.unfill();
  const done = await putRaw(d, 'doc.bin', body, token, '?checkin');
  t.is(done.status, 200, done.text);
  t.is(done.json.released, true);
  t.is(done.json.version.version, 2);
  t.is((await request(`${d.server.url}/files/doc.bin?lock`)).status, 404);
  figures.recovered++;
});

/**
 * Exactly 3 pages free and a 3-page body: staging takes the last page, the blob is committed,
 * and the record's pending file finds no page. The server's log proves where it failed.
 */
async function recordWriteFails(t: ExecutionContext): Promise<{ d: Disk; v1: Buffer; body: Buffer; before: { blobs: string[]; histories: Answer[] } }> {
  const d = await disk(t, 4);
  const v1 = randomBytes(5_000);
  t.is((await putRaw(d, 'rec.bin', v1)).status, 201);
  await d.fillTo(3 * PAGE);
  const body = randomBytes(3 * PAGE);
  const before = await snapshot(d, ['rec.bin']);
  const answer = await putRaw(d, 'rec.bin', body);
  assertProblem(t, answer, 507, 'insufficient-storage');
  const where = /ENOSPC[^\n]*record-lock[^\n]*record-store/;
  for (let i = 0; i < 100 && !where.test(d.server.output()); i++) await sleep(20); // the log line may trail the answer
  t.regex(d.server.output(), where, 'the failure came from the record write');
  return { d, v1, body, before };
}

test('ENOSPC in the record write (the blob fits, the record does not): 507, no version, reads go on, the upload works once space is back', async (t) => {
  const { d, v1, body, before } = await recordWriteFails(t);
  const after = await request(`${d.server.url}/files/rec.bin?versions`);
  t.deepEqual(after.json.versions, before.histories[0]?.json.versions, 'no version was added');
  await assertBlobsWhole(t, d);
  await assertReads(t, d, new Map([['rec.bin', v1]]));
  // Metadata-only writes on the now full disk: CHECKOUT and DELETE are refused the same way.
  assertProblem(t, note(await raw(d.server.url, 'CHECKOUT', '/files/rec.bin')), 507, 'insufficient-storage');
  assertProblem(t, note(await raw(d.server.url, 'DELETE', '/files/rec.bin')), 507, 'insufficient-storage');
  t.is((await request(`${d.server.url}/files/rec.bin?lock`)).status, 404, 'no lock was taken');
  t.deepEqual((await request(`${d.server.url}/files/rec.bin?versions`)).json.versions, before.histories[0]?.json.versions);
  await d.unfill();
  const again = await putRaw(d, 'rec.bin', body);
  t.is(again.status, 200, again.text);
  t.is(again.json.version, 2);
  figures.recovered++;
});

test('a record write that fails with ENOSPC leaves nothing in the staging area', async (t) => {
  const { d } = await recordWriteFails(t);
  t.deepEqual(await d.store.staged(), [], 'staging is empty after the 507');
});

// By design (docs/storage-design.md): the blob is published before the record
// that references it, so a record write that fails leaves a blob that nothing references. It
// is not deleted on the spot (a concurrent upload of the same bytes may be reusing it); GC
// reclaims it. What must hold: no version, and the blob is a GC candidate, not a reference.
test('a record write that fails with ENOSPC adds no version; a blob it published is referenced by nothing', async (t) => {
  const { d, before } = await recordWriteFails(t);
  const added = (await d.store.blobs()).filter((sha) => !before.blobs.includes(sha));
  t.true(added.length <= 1, `at most the refused body's blob: ${added.join(', ')}`);
  const versions = (await request(`${d.server.url}/files/rec.bin?versions`)).json.versions as { sha256: string | null }[];
  for (const sha of added)
    t.false(
      versions.some((v) => v.sha256 === sha),
      `${sha} is referenced by a version`,
    );
});
