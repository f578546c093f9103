/**
 * rclone 1.60 (`vendor=other`, a plain RFC 4918 server) against `/dav/` on a real kluis
 * process: a tree of about 30 files, three directories deep, with spaces and non-ASCII names
 * and sizes from 0 bytes to 3 MiB, copied up and back down byte for byte; then a file changed
 * and one deleted, synced up and down again, and the deleted one gone from the server too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { request } from '../helpers/http.js';
import { ensureTool, runTool, scratchDir, startDavServer, tail } from './_tools.js';

const MiB = 2 ** 20;

/** Directories of the tree: three levels below its root, with spaces and non-ASCII names. */
const DIRS = ['', 'Docs é', 'Docs é/日本 語', 'Docs é/日本 語/deep dir', 'plain', 'plain/sub-ü', 'plain/sub-ü/x y z'];
const NAMES = ['file %d.bin', 'résumé %d.txt', '日本 %d.dat', 'a b c %d'];

/**
 * Write the tree under `root`: 30 files, 4 or 5 per directory, with random bytes. Sizes are
 * random up to 3 MiB, plus 0 bytes, 1 byte and exactly 3 MiB, so the edges are always there.
 */
async function writeTree(root: string): Promise<void> {
  const sizes = [0, 1, 3 * MiB, ...Array.from({ length: 27 }, () => Math.floor(Math.random() * 3 * MiB))];
  let i = 0;
  for (const [d, dir] of DIRS.entries()) {
    await mkdir(path.join(root, dir), { recursive: true });
    const count = d < 2 ? 5 : 4;
    for (let k = 0; k < count; k++, i++) {
      const name = (NAMES[k % NAMES.length] ?? 'f %d').replace('%d', String(i).padStart(2, '0'));
      await writeFile(path.join(root, dir, name), randomBytes(sizes[i] ?? 1024));
    }
  }
}

/** Every file under `root` by relative path (`/`-separated), with its SHA-256 and size. */
async function snapshot(root: string): Promise<Map<string, { sha256: string; size: number }>> {
  const files = new Map<string, { sha256: string; size: number }>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const bytes = await readFile(full);
    files.set(path.relative(root, full).split(path.sep).join('/').normalize('NFC'), { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
  }
  return files;
}

/** Assert two trees hold the same relative paths with the same bytes; the message lists every difference. */
async function assertSameTree(t: ExecutionContext, expectedRoot: string, actualRoot: string, what: string): Promise<void> {
  const [expected, actual] = [await snapshot(expectedRoot), await snapshot(actualRoot)];
  const differences: string[] = [];
  for (const [file, e] of expected) {
    const a = actual.get(file);
    if (!a) differences.push(`missing: ${file} (${e.size} bytes)`);
    else if (a.sha256 !== e.sha256) differences.push(`different bytes: ${file} (${e.size} bytes expected, ${a.size} received)`);
  }
  for (const file of actual.keys()) if (!expected.has(file)) differences.push(`unexpected: ${file}`);
  t.true(expected.size > 0, `${what}: the expected tree is empty`);
  t.deepEqual(differences, [], `${what}:\n${differences.join('\n')}`);
}

test('rclone: copy a tree up and back byte for byte, then sync a change and a delete both ways', async (t) => {
  t.timeout(15 * 60_000);
  const rclone = await ensureTool('rclone', 'rclone');
  const server = await startDavServer(t);
  const work = await scratchDir(t, 'kluis-rclone-');
  const [local, back, config] = [path.join(work, 'local'), path.join(work, 'back'), path.join(work, 'rclone.conf')];
  await writeTree(local);
  await mkdir(back);
  // An empty config file: no remote or option of the developer's own rclone setup is read.
  await writeFile(config, '');
  const remote = `:webdav,url='${server.dav}',vendor=other:tree`;
  const rcloneRun = async (...args: string[]) => {
    const run = await runTool(rclone, [...args, '--retries', '1', '--low-level-retries', '1', '--stats', '0'], { cwd: work, env: { RCLONE_CONFIG: config }, timeoutMs: 3 * 60_000 });
    const shown = `rclone ${args.join(' ')} exited ${run.code}${run.timedOut ? ' (killed after 3 minutes)' : ''}:\n${tail(run.stdout + run.stderr, 40)}`;
    t.is(run.code, 0, shown);
  };

  await rcloneRun('copy', local, remote);
  await rcloneRun('copy', remote, back);
  await assertSameTree(t, local, back, 'after copy up and back');
  // The largest file through the /files API: the bytes rclone put are the current version.
  const [largest, largestFile] = [...(await snapshot(local))].sort((a, b) => b[1].size - a[1].size)[0] ?? ['', undefined];
  const viaFiles = await request(`${server.url}/files/tree/${encodeURI(largest)}?versions`);
  t.is(viaFiles.status, 200, `GET /files/tree/${largest}?versions: ${viaFiles.text}`);
  t.is(viaFiles.json?.versions?.[0]?.sha256, largestFile?.sha256, viaFiles.text);

  // rclone sees no modification times on a vendor=other server and compares sizes only, so
  // the change also changes the size.
  const changed = 'Docs é/résumé 06.txt';
  const deleted = 'Docs é/日本 語/deep dir/file 14.bin';
  await appendFile(path.join(local, changed), 'a changed ending\n');
  await rm(path.join(local, deleted));
  await rcloneRun('sync', local, remote);
  await rcloneRun('sync', remote, back);
  await assertSameTree(t, local, back, 'after sync up and back');

  const gone = await request(`${server.dav}tree/${encodeURI(deleted)}`);
  t.is(gone.status, 404, `GET /dav/tree/${deleted} after rclone sync deleted it`);
  const history = await request(`${server.url}/files/tree/${encodeURI(changed)}?versions`);
  t.is(history.status, 200, history.text);
  t.deepEqual(
    (history.json?.versions ?? []).map((v: { version: number }) => v.version),
    [2, 1],
    `the changed file's history: ${history.text}`,
  );
});
