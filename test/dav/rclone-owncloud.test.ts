/**
 * rclone 1.60 with `--webdav-vendor owncloud` against `/dav/`, on the backend of the pass
 * (`KLUIS_TEST_BACKEND`): it sends `X-OC-Mtime` and `OC-Checksum` on PUT and reads
 * `getlastmodified` and `oc:checksums` back. A tree synced up; a file changed keeping its
 * size (only its modification time tells rclone) and one only touched, synced again; then
 * `rclone check` compares every file by hash, with nothing left unchecked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';
import { ensureTool, runTool, scratchDir, tail } from './_tools.js';

const FILES: Record<string, number> = { 'a.bin': 0, 'b é.txt': 1, 'sub/c d.dat': 200_000, 'sub/deep/日本.bin': 1_500_000, 'sub/deep/same.txt': 4096 };

test('rclone owncloud vendor: sync keeps mtimes, a same-size change arrives, check compares every hash', async (t) => {
  t.timeout(10 * 60_000);
  const rclone = await ensureTool('rclone', 'rclone');
  const server = await startServer();
  t.teardown(() => server.close());
  const work = await scratchDir(t, 'kluis-rclone-oc-');
  const [local, config] = [path.join(work, 'local'), path.join(work, 'rclone.conf')];
  const old = new Date('2024-05-06T07:08:09Z');
  for (const [name, size] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(local, name)), { recursive: true });
    await writeFile(path.join(local, name), randomBytes(size));
    await utimes(path.join(local, name), old, old);
  }
  await writeFile(config, ''); // no remote or option of the developer's own rclone setup
  const remote = `:webdav,url='${server.url}/dav/',vendor=owncloud:tree`;
  const rcloneRun = async (...args: string[]) => {
    const run = await runTool(rclone, [...args, '--retries', '1', '--low-level-retries', '1', '--stats', '0'], { cwd: work, env: { RCLONE_CONFIG: config }, timeoutMs: 3 * 60_000 });
    const output = run.stdout + run.stderr;
    t.is(run.code, 0, `rclone ${args.join(' ')} exited ${run.code}:\n${tail(output, 40)}`);
    return output;
  };
  const versionsOf = async (name: string) => {
    const answer = await request(`${server.url}/files/tree/${encodeURI(name)}?versions`);
    t.is(answer.status, 200, answer.text);
    return (answer.json?.versions ?? []) as { version: number; sha256: string }[];
  };

  await rcloneRun('sync', local, remote);
  const listed = JSON.parse(await rcloneRun('lsjson', '-R', '--files-only', '--hash', remote)) as { Path: string; ModTime: string; Hashes?: Record<string, string> }[];
  t.is(listed.length, Object.keys(FILES).length);
  for (const entry of listed) {
    const bytes = await readFile(path.join(local, entry.Path));
    t.is(Date.parse(entry.ModTime), old.getTime(), `${entry.Path}: the client's mtime is its getlastmodified`);
    t.is(entry.Hashes?.sha1, createHash('sha1').update(bytes).digest('hex'), `${entry.Path}: oc:checksums SHA1`);
    t.is(entry.Hashes?.md5, createHash('md5').update(bytes).digest('hex'), `${entry.Path}: oc:checksums MD5`);
  }

  // Same size, new bytes, new mtime: only the mtime tells rclone (then the hash).
  const changed = 'sub/c d.dat';
  const newer = new Date('2025-01-02T03:04:05Z');
  await writeFile(path.join(local, changed), randomBytes(FILES[changed] ?? 0));
  await utimes(path.join(local, changed), newer, newer);
  // Same bytes, new mtime: rclone cannot set a time on WebDAV and sends the file again.
  const touched = 'sub/deep/same.txt';
  await utimes(path.join(local, touched), newer, newer);
  await rcloneRun('sync', local, remote);

  const changedVersions = await versionsOf(changed);
  t.is(changedVersions.length, 2, 'the same-size change is a new version');
  t.is(
    changedVersions[0]?.sha256,
    createHash('sha256')
      .update(await readFile(path.join(local, changed)))
      .digest('hex'),
  );
  t.is((await versionsOf(touched)).length, 1, 'the same bytes sent again make no version');

  const checked = await rcloneRun('check', local, remote);
  t.regex(checked, /0 differences found/, checked);
  t.regex(checked, new RegExp(`${Object.keys(FILES).length} matching files`), checked);
  t.notRegex(checked, /could not be checked|hashes could not/i, checked);
  // A second sync has nothing left to send: every mtime is as the client left it.
  const again = await rcloneRun('sync', local, remote, '-v');
  t.notRegex(again, /Copied/, again);
  const mtimes = JSON.parse(await rcloneRun('lsjson', '-R', '--files-only', remote)) as { Path: string; ModTime: string }[];
  for (const entry of mtimes) t.is(Date.parse(entry.ModTime), (await stat(path.join(local, entry.Path))).mtime.getTime(), entry.Path);
});

test('rclone check by hash of files uploaded over /files (no sync client): their SHA-1 and MD5 are filled in when rclone asks', async (t) => {
  t.timeout(5 * 60_000);
  const rclone = await ensureTool('rclone', 'rclone');
  const server = await startServer();
  t.teardown(() => server.close());
  const work = await scratchDir(t, 'kluis-rclone-fill-');
  const [local, config] = [path.join(work, 'local'), path.join(work, 'rclone.conf')];
  for (const [name, size] of Object.entries(FILES)) {
    const bytes = randomBytes(size);
    await mkdir(path.dirname(path.join(local, name)), { recursive: true });
    await writeFile(path.join(local, name), bytes);
    const put = await request(`${server.url}/files/plain/${encodeURI(name)}`, { method: 'PUT', body: bytes });
    t.is(put.status, 201, put.text);
    t.is(put.json?.sha1, undefined, 'a plain upload computes SHA-256 alone');
  }
  await writeFile(config, '');
  const run = await runTool(rclone, ['check', local, `:webdav,url='${server.url}/dav/',vendor=owncloud:plain`, '--retries', '1', '--low-level-retries', '1', '--stats', '0'], {
    cwd: work,
    env: { RCLONE_CONFIG: config },
    timeoutMs: 3 * 60_000,
  });
  const checked = run.stdout + run.stderr;
  t.is(run.code, 0, tail(checked, 40));
  t.regex(checked, /0 differences found/, checked);
  t.regex(checked, new RegExp(`${Object.keys(FILES).length} matching files`), checked);
  t.notRegex(checked, /could not be checked|hashes could not/i, checked);
  const kept = await request(`${server.url}/files/plain/sub/c%20d.dat?versions`);
  t.is(
    kept.json?.versions?.[0]?.md5,
    createHash('md5')
      .update(await readFile(path.join(local, 'sub/c d.dat')))
      .digest('hex'),
    'kept on the version',
  );
});
