import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import test from 'ava';
import { put, request } from './helpers/http.js';
import { ROOT, tempDir, waitForListening } from './helpers/server.js';
import { tracked } from './helpers/children.js';

test('`npm start` builds and serves on local disk, the web UI at /; SIGTERM to its process group drains and stops it', async (t) => {
  const dataDir = await tempDir('kluis-npm-start-');
  const child = tracked(
    spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KLUIS_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    true,
  );
  t.teardown(async () => {
    if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  const { port, output, exited } = await waitForListening(child);
  const url = `http://127.0.0.1:${port}`;
  t.is((await put(url, 'hello.txt', 'hi')).status, 201);
  t.is((await request(`${url}/files/hello.txt`)).text, 'hi');
  // The web UI was built by `npm start` and is served at /, its script with it.
  const page = await request(`${url}/`);
  t.is(page.status, 200);
  t.regex(page.text, /<script type="module" src="\/ui\/app.js"><\/script>/);
  t.regex(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.is((await request(`${url}/ui/app.js`)).status, 200);
  t.regex(output(), /OPEN MODE/);
  t.regex(output(), /a lock guards cooperating clients from accidental overwrites, not from a hostile one/, 'the warning says what a lock is worth in open mode');
  // npm does not forward SIGTERM to its script, so signal the group, as a terminal or init does.
  process.kill(-(child.pid as number), 'SIGTERM');
  await exited;
  t.regex(output(), /"signal":"SIGTERM".*draining/);
});
