import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, history, sha256hex } from './_support.js';

test('20 concurrent CHECKOUTs: exactly one 200, the other 19 are 409 locked, and the winner holds the lock', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'race.txt', Buffer.from('r'));
  const answers = await Promise.all(Array.from({ length: 20 }, () => checkout(s.url, 'race.txt')));
  const winners = answers.filter((a) => a.status === 200);
  t.is(winners.length, 1);
  for (const loser of answers.filter((a) => a.status !== 200)) assertProblem(t, loser, 409, 'locked');
  const winner = winners[0] as (typeof answers)[number];
  const lock = await request(`${s.url}/files/race.txt?lock`);
  t.is(lock.json.createdAt, winner.json.createdAt);
  t.is(lock.json.expiresAt, winner.json.expiresAt);
  // Only the winner's token writes.
  t.is((await put(s.url, 'race.txt', Buffer.from('r2'), { 'Lock-Token': `<${winner.token}>` })).status, 200);
});

test('20 concurrent CHECKOUTs of a path with no file: exactly one reserves it', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const answers = await Promise.all(Array.from({ length: 20 }, () => checkout(s.url, 'nothing/yet.txt')));
  t.is(answers.filter((a) => a.status === 200).length, 1);
  t.is(answers.filter((a) => a.status === 409 && a.json?.code === 'locked').length, 19);
});

test('50 concurrent PUTs with the same If-Match: exactly one succeeds, 49 are 412, one new version', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const base = await put(s.url, 'cas.txt', Buffer.from('base'));
  const etag = base.headers.get('etag') as string;
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => put(s.url, 'cas.txt', Buffer.from(`writer ${i}`), { 'If-Match': etag })));
  const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
  t.is(ok.length, 1);
  const refused = answers.filter((a) => a.status === 412);
  t.is(refused.length, 49);
  for (const r of refused) assertProblem(t, r, 412, 'precondition-failed');
  const winner = ok[0] as (typeof answers)[number];
  t.is(winner.status, 200);
  t.is(winner.json.version, 2);
  const h = await history(s, 'cas.txt');
  t.deepEqual(
    h.json.versions.map((v: { version: number }) => v.version),
    [2, 1],
  );
  t.is(h.json.versions[0].sha256, winner.json.sha256);
  t.deepEqual(await s.store.staged(), []);
});

test('the refused writers of a compare-and-set race leave no version, no staged bytes, and (on disk) no blob', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const base = await put(s.url, 'cas.txt', Buffer.from('base'));
  const etag = base.headers.get('etag') as string;
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => put(s.url, 'cas.txt', Buffer.from(`writer ${i}`), { 'If-Match': etag })));
  const winner = answers.find((a) => a.status === 200);
  t.truthy(winner);
  t.is(answers.filter((a) => a.status === 412).length, 49);
  t.deepEqual(
    (await history(s, 'cas.txt')).json.versions.map((v: { sha256: string }) => v.sha256),
    [winner?.json.sha256, sha256hex('base')],
  );
  t.deepEqual(await s.store.staged(), []);
  const stored = [sha256hex('base'), winner?.json.sha256].sort();
  if (s.backend === 'fs') {
    // The record lock is held while the blob is published: only the winner publishes.
    t.deepEqual(await s.store.blobs(), stored);
  } else {
    // S3 checks the revision only in the record write itself, after the blob is published:
    // a refused racer may leave an unreferenced blob (never a version), which GC reclaims.
    const racers = new Set(answers.map((_, i) => sha256hex(`writer ${i}`)));
    const blobs = await s.store.blobs();
    t.true(stored.every((sha) => blobs.includes(sha)));
    t.true(blobs.every((sha) => sha === sha256hex('base') || racers.has(sha)));
  }
});

test('30 concurrent unconditional PUTs of different bytes get gapless version numbers, one 201', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const n = 30;
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => put(s.url, 'many.txt', Buffer.from(`content ${i}`))));
  t.true(answers.every((a) => a.status === 200 || a.status === 201));
  t.is(answers.filter((a) => a.status === 201).length, 1);
  t.deepEqual(
    answers.map((a) => a.json.version as number).sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i + 1),
  );
  const h = await history(s, 'many.txt');
  t.deepEqual(
    h.json.versions.map((v: { version: number }) => v.version),
    Array.from({ length: n }, (_, i) => n - i),
  );
  // Each answer's record is the one in the history under its number.
  for (const a of answers) {
    const stored = h.json.versions.find((v: { version: number }) => v.version === a.json.version);
    t.is(stored.sha256, a.json.sha256);
  }
  t.is((await s.store.blobs()).length, n);
  t.deepEqual(await s.store.staged(), []);
});

test('concurrent writers holding and not holding the lock: only the holder gets through', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'held.txt', Buffer.from('h0'));
  const lock = await checkout(s.url, 'held.txt');
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => put(s.url, 'held.txt', Buffer.from(`h${i + 1}`), i % 2 === 0 ? { 'Lock-Token': `<${lock.token}>` } : {})));
  answers.forEach((a, i) => {
    if (i % 2 === 0) t.is(a.status, 200, `holder write ${i}`);
    else assertProblem(t, a, 409, 'locked');
  });
  const h = await history(s, 'held.txt');
  t.is(h.json.versions.length, 11);
});
