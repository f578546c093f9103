import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { put, request } from './helpers/http.js';
import { ROOT, tempDir, waitForListening } from './helpers/server.js';
import { tracked } from './helpers/children.js';

test.serial('`npm start` builds and serves on local disk, the web UI at /; SIGTERM to its process group drains and stops it', async (t) => {
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
  // Said once, by worker 0, when it listens: the request above may have been served by another worker first.
  for (let waited = 0; !/OPEN MODE/.test(output()) && waited < 30_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  t.regex(output(), /OPEN MODE/);
  t.regex(output(), /a lock guards cooperating clients from accidental overwrites, not from a hostile one/, 'the warning says what a lock is worth in open mode');
  // npm does not forward SIGTERM to its script, so signal the group, as a terminal or init does.
  process.kill(-(child.pid as number), 'SIGTERM');
  await exited;
  t.regex(output(), /"signal":"SIGTERM".*draining/);
});

test.serial('SIGTERM to `npm start` alone (not its group) stops kluis, primary and workers; OPEN MODE is said once, every line is JSON', async (t) => {
  t.timeout(180_000);
  const dataDir = await tempDir('kluis-npm-start-');
  const child = tracked(
    spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KLUIS_DATA_DIR: dataDir, KLUIS_WORKERS: '2', KLUIS_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    true,
  );
  t.teardown(async () => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
    await rm(dataDir, { recursive: true, force: true });
  });
  const { output } = await waitForListening(child);
  const pids = () => new Set([...output().matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1])));
  for (const deadline = Date.now() + 60_000; [...output().matchAll(/kluis listening/g)].length < 2; await sleep(100)) {
    if (Date.now() > deadline) throw new Error(`two workers did not listen:\n${output()}`);
  }
  const running = pids();
  t.is(running.size, 3, 'a primary and two workers');
  process.kill(child.pid as number, 'SIGTERM'); // npm only, as a service manager stops what it started
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + 30_000; [...running].some(alive); await sleep(100)) {
    if (Date.now() > deadline) throw new Error(`still running after SIGTERM to npm: ${[...running].filter(alive).join(', ')}\n${output()}`);
  }
  t.is([...output().matchAll(/OPEN MODE/g)].length, 1, 'said once, not once per worker');
  const kluisLines = output()
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('>'));
  t.deepEqual(
    kluisLines.filter((line) => !line.startsWith('{')),
    [],
    'no plain-text line (a Node warning among them) outside the JSON log',
  );
});
