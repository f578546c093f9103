/** The web UI as shipped: at most 150 KB of script gzipped, everything from kluis itself. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { uiDirectory } from '../../src/http/ui.js';
import { ensureUi } from '../helpers/ui.js';

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
