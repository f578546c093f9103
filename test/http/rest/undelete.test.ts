/**
 * Undelete for a UI: GET /files/<dir>/?deleted lists deleted files (their last version with
 * content, and the delete) and folders deleted on /dav or moved away; POST ?restore=N brings a
 * deleted file back.
 */
import test from 'ava';
import { checkout, put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { dav, propfind } from '../dav/_support.js';
import { assertProblem, sha256hex } from './_support.js';

const listing = async (url: string, dir: string, deleted: boolean) => (await request(`${url}/files/${dir}${deleted ? '?deleted' : ''}`)).json;

test('?deleted lists a deleted file with its last content version and the delete; ?restore of that version brings it back (201)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'd/a.txt', Buffer.from('one'), { 'Content-Type': 'text/plain' });
  const two = await put(s.url, 'd/a.txt', Buffer.from('two!'), { 'Content-Type': 'text/plain' });
  await put(s.url, 'd/live.txt', Buffer.from('live'));
  t.is((await request(`${s.url}/files/d/a.txt`, { method: 'DELETE' })).status, 204);

  t.deepEqual(
    (await listing(s.url, 'd/', false)).entries.map((e: { name: string }) => e.name),
    ['live.txt'],
    'a plain listing leaves deleted files out',
  );
  const withDeleted = await listing(s.url, 'd/', true);
  t.deepEqual(
    withDeleted.entries.map((e: { name: string }) => e.name),
    ['a.txt', 'live.txt'],
  );
  const entry = withDeleted.entries[0];
  t.like(entry, { name: 'a.txt', type: 'file', deleted: true, version: 2, size: 4, sha256: sha256hex('two!'), contentType: 'text/plain', deletedVersion: 3, deletedBy: 'anonymous', locked: false });
  t.is(entry.modifiedAt, two.json.createdAt);
  t.is(new Date(entry.deletedAt).toISOString(), entry.deletedAt);
  t.false('deleted' in withDeleted.entries[1], 'a live file is not marked');
  t.is((await request(`${s.url}/files/d/a.txt?version=${entry.version}`)).text, 'two!', 'the version listed is readable');

  // Restore guarded by the delete marker's number: a stale base is 409 modified.
  assertProblem(t, await request(`${s.url}/files/d/a.txt?restore=${entry.version}&base=1`, { method: 'POST' }), 409, 'modified');
  const restored = await request(`${s.url}/files/d/a.txt?restore=${entry.version}&base=${entry.deletedVersion}`, { method: 'POST' });
  t.is(restored.status, 201, restored.text);
  t.like(restored.json, { path: 'd/a.txt', version: 4, sha256: sha256hex('two!'), comment: 'restored from version 2' });
  t.is((await request(`${s.url}/files/d/a.txt`)).text, 'two!');
  const after = await listing(s.url, 'd/', true);
  t.like(after.entries[0], { name: 'a.txt', version: 4 });
  t.false('deleted' in after.entries[0]);
});

test('?deleted finds the last content version in a history page (a marker alone in its record)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  for (let i = 1; i <= 16; i++) await put(s.url, 'long.txt', Buffer.from(`v${i}`));
  t.is((await request(`${s.url}/files/long.txt`, { method: 'DELETE' })).status, 204);
  const entry = (await listing(s.url, '', true)).entries.find((e: { name: string }) => e.name === 'long.txt');
  t.like(entry, { deleted: true, version: 16, sha256: sha256hex('v16'), deletedVersion: 17 });
  t.is((await request(`${s.url}/files/long.txt?restore=16`, { method: 'POST' })).status, 201);
});

test('a deleted file still checked out is listed locked; its holder restores it with the token', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'c.txt', Buffer.from('c'));
  const held = await checkout(s.url, 'c.txt');
  t.is((await request(`${s.url}/files/c.txt`, { method: 'DELETE', headers: { 'Lock-Token': held.token } })).status, 204);
  t.like((await listing(s.url, '', true)).entries[0], { name: 'c.txt', deleted: true, locked: true });
  assertProblem(t, await request(`${s.url}/files/c.txt?restore=1`, { method: 'POST' }), 409, 'locked');
  t.is((await request(`${s.url}/files/c.txt?restore=1`, { method: 'POST', headers: { 'Lock-Token': held.token } })).status, 201);
});

test('a folder deleted on /dav leaves the /files listing; ?deleted shows it and its deleted files; a restore brings both back', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'f/x.txt', Buffer.from('x'));
  await put(s.url, 'f/sub/y.txt', Buffer.from('y'));
  await put(s.url, 'keep/k.txt', Buffer.from('k'));
  t.is((await dav(s, 'DELETE', 'f/')).status, 204);
  t.deepEqual((await listing(s.url, '', false)).entries, [{ name: 'keep', type: 'directory' }]);
  t.deepEqual((await listing(s.url, '', true)).entries, [
    { name: 'f', type: 'directory', deleted: true },
    { name: 'keep', type: 'directory' },
  ]);
  const inside = await listing(s.url, 'f/', true);
  t.deepEqual(
    inside.entries.map((e: { name: string; type: string; deleted?: boolean }) => [e.name, e.type, e.deleted ?? false]),
    [
      ['sub', 'directory', true],
      ['x.txt', 'file', true],
    ],
  );
  t.is((await request(`${s.url}/files/f/sub/y.txt?restore=1`, { method: 'POST' })).status, 201);
  t.deepEqual((await listing(s.url, '', false)).entries, [
    { name: 'f', type: 'directory' },
    { name: 'keep', type: 'directory' },
  ]);
  t.deepEqual((await listing(s.url, 'f/', false)).entries, [{ name: 'sub', type: 'directory' }]);
  t.is((await propfind(s, 'f/sub/', '0', ['resourcetype'])).status, 207, '/dav sees the folders again');
});

test('a deleted file whose last content version retention pruned is listed with pruned: true; its restore is 410', async (t) => {
  const s = await startServer({ retention: [{ prefix: 'old/', keepDays: 7 }] });
  t.teardown(() => s.close());
  await put(s.url, 'old/p.txt', Buffer.from('p'));
  t.is((await request(`${s.url}/files/old/p.txt`, { method: 'DELETE' })).status, 204);
  s.advance(8 * 86_400_000);
  t.is((await request(`${s.url}/admin/retention`, { method: 'POST' })).status, 200);
  t.like((await listing(s.url, 'old/', true)).entries[0], { name: 'p.txt', deleted: true, version: 1, pruned: true });
  assertProblem(t, await request(`${s.url}/files/old/p.txt?restore=1`, { method: 'POST' }), 410, 'version-pruned');
});
