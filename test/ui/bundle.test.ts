/** The web UI as shipped: at most 150 KB of script gzipped, everything from kluis itself. */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { uiDirectory } from '../../src/http/ui.js';
import { buildUi, ensureUi } from '../helpers/ui.js';

const LIMIT = 150 * 1024;

test('the UI bundle is at most 150 KB of JS gzipped, and its page loads nothing from elsewhere', async (t) => {
  await ensureUi();
  const dir = uiDirectory();
  const script = await readFile(path.join(dir, 'app.js'));
  const gzipped = gzipSync(script, { level: 9 }).length;
  t.true(gzipped <= LIMIT, `app.js is ${gzipped} bytes gzipped`);
  t.log(`app.js: ${script.length} bytes, ${gzipped} gzipped; app.css: ${(await readFile(path.join(dir, 'app.css'))).length} bytes`);
  const page = await readFile(path.join(dir, 'index.html'), 'utf8');
  const loads = [...page.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  t.deepEqual(loads, ['data:,', '/ui/app.css', '/ui/app.js']);
  t.notRegex(page, /<script>|style=/, 'no inline script or style (the CSP allows none)');
});

// A server reads the UI once, at its start: one starting while `npm start` rebuilds (the test
// suite does both at once) once read a truncated app.js and served a blank page for its life.
test('a rebuild replaces each file whole (written beside it, then renamed), so a reader never sees half of one', async (t) => {
  await ensureUi();
  const dir = uiDirectory();
  const names = ['app.js', 'app.css', 'app.js.LEGAL.txt', 'index.html'];
  const before = await Promise.all(names.map(async (name) => ({ inode: (await stat(path.join(dir, name))).ino, body: await readFile(path.join(dir, name)) })));
  const { pid, done } = buildUi();
  await done;
  for (const [i, name] of names.entries()) {
    t.not((await stat(path.join(dir, name))).ino, before[i]?.inode, `${name} is a new file, not the old one rewritten in place`);
    t.deepEqual(await readFile(path.join(dir, name)), before[i]?.body, `${name} has the same bytes`);
  }
  // Only this build's: `npm start` (another test) may be building at the same time.
  t.deepEqual(
    (await readdir(dir)).filter((name) => name.endsWith(`.${pid}.tmp`)),
    [],
    'no temporary file left',
  );
});
