/**
 * GNOME's GVFS (the WebDAV client of GNOME Files, driven here by its command line, `gio`)
 * against `/dav/` on a real kluis process, in a private D-Bus session: mount, make a folder,
 * copy a 3 MiB file in, save a note twice, rename it, list, read back, remove. What it did is
 * then read through `/files`: the bytes, the versions, the delete marker.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { request } from '../helpers/http.js';
import { ensureTool, runTool, scratchDir, startDavServer, tail } from './_tools.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

test('gio (GVFS): mkdir, copy, save twice, rename, list, cat and remove on /dav, each visible through /files', async (t) => {
  t.timeout(5 * 60_000);
  await ensureTool('/usr/libexec/gvfsd-dav', 'gvfs-backends');
  const gio = await ensureTool('gio', 'libglib2.0-bin');
  const session = await ensureTool('dbus-run-session', 'dbus-daemon');
  const server = await startDavServer(t);
  const work = await scratchDir(t, 'kluis-gio-');
  const big = randomBytes(3 * 2 ** 20);
  await writeFile(path.join(work, 'big.bin'), big);
  const dav = server.dav.replace(/^http:/, 'dav:');

  // One shell in a private session bus. gvfsd is started first without its FUSE mount (nothing
  // mounted on this machine's file system); each step is echoed, and the first failure stops it.
  const script = `
set -eu
/usr/libexec/gvfsd --no-fuse &
for i in $(seq 1 200); do
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.NameHasOwner org.gtk.vfs.Daemon | grep -q true && break
  sleep 0.05
done
step() { echo "## $*"; "$@"; }
step ${gio} mount "${dav}" </dev/null
step ${gio} mkdir "${dav}docs"
step ${gio} copy big.bin "${dav}docs/big.bin"
printf 'first note' | step ${gio} save "${dav}docs/note.txt"
printf 'second note' | step ${gio} save "${dav}docs/note.txt"
step ${gio} move "${dav}docs/note.txt" "${dav}docs/renamed.txt"
step ${gio} list "${dav}docs/"
step ${gio} cat "${dav}docs/renamed.txt"; echo
step ${gio} copy "${dav}docs/big.bin" big-back.bin
step ${gio} remove "${dav}docs/big.bin"
echo "## done"
`;
  // HOME and XDG_* in the scratch directory: nothing of this machine's desktop settings is read or written.
  const env = { HOME: work, XDG_RUNTIME_DIR: work, XDG_CACHE_HOME: path.join(work, 'cache'), XDG_DATA_HOME: path.join(work, 'data'), XDG_CONFIG_HOME: path.join(work, 'config') };
  const run = await runTool(session, ['--', 'bash', '-c', script], { cwd: work, env, timeoutMs: 3 * 60_000 });
  const shown = `gio session exited ${run.code}${run.timedOut ? ' (killed after 3 minutes)' : ''}:\n${tail(run.stdout + run.stderr, 40)}\nkluis log:\n${tail(server.output(), 20)}`;
  t.is(run.code, 0, shown);
  t.regex(run.stdout, /## done/, shown);

  const listing = /## .* list [^\n]*\n([\s\S]*?)## /.exec(run.stdout)?.[1]?.split('\n').filter(Boolean).sort();
  t.deepEqual(listing, ['big.bin', 'renamed.txt'], `gio list of docs/ after the rename:\n${run.stdout}`);
  t.regex(run.stdout, /## .* cat [^\n]*\nsecond note\n/, 'gio cat reads the second save');

  t.is(sha256(await readFile(path.join(work, 'big-back.bin'))), sha256(big), 'the 3 MiB file read back through gio is the one copied in');
  const bigHistory = await request(`${server.url}/files/docs/big.bin?versions`);
  t.is(bigHistory.json?.versions?.[1]?.sha256, sha256(big), `the copied bytes are a version: ${bigHistory.text}`);
  t.true(bigHistory.json?.versions?.[0]?.deleted, `gio remove left a delete marker: ${bigHistory.text}`);
  const renamed = await request(`${server.url}/files/docs/renamed.txt`);
  t.is(renamed.text, 'second note');
  t.is((await request(`${server.url}/files/docs/note.txt`)).status, 404, 'the old name is gone after the move');
  const noteHistory = await request(`${server.url}/files/docs/note.txt?versions`);
  t.deepEqual(
    (noteHistory.json?.versions ?? []).map((v: { sha256: string | null; deleted?: boolean }) => (v.deleted ? 'deleted' : v.sha256)),
    ['deleted', sha256('second note'), sha256('first note')],
    `each save was a version, and the move left a delete marker: ${noteHistory.text}`,
  );
});
