import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { checkout } from '../helpers/http.js';
import { ROOT, startServer } from '../helpers/server.js';
import { tracked } from '../helpers/children.js';

/** Run src/main.ts with `env` and collect how it ends. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = tracked(
    spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // 'close': stderr has been read to its end (its last lines can come after 'exit').
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

test('bad configuration stops the start with a message naming every bad variable', async (t) => {
  const { code, stderr } = await runMain({ PORT: 'abc', KLUIS_LOCK_DEFAULT_SECONDS: '0', KLUIS_MAX_UPLOAD_BYTES: 'lots' });
  t.is(code, 1);
  t.regex(stderr, /invalid configuration/);
  t.regex(stderr, /PORT="abc"/);
  t.regex(stderr, /KLUIS_LOCK_DEFAULT_SECONDS="0"/);
  t.regex(stderr, /KLUIS_MAX_UPLOAD_BYTES="lots"/);
});

test('a users file that does not exist stops the start with its name', async (t) => {
  const { code, stderr } = await runMain({ KLUIS_USERS_FILE: '/nonexistent/users.json' });
  t.is(code, 1);
  t.regex(stderr, /users file \/nonexistent\/users\.json/);
});

test('Expect: 100-continue: a refused upload is answered 409 at once, without asking for the body', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.is((await checkout(s.url, 'held.bin')).status, 200);
  const { port } = new URL(s.url);
  const first = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write('PUT /files/held.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n');
    });
    let data = '';
    socket.on('data', (c: Buffer) => {
      data += c.toString();
      if (data.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
  t.regex(first, /^HTTP\/1\.1 409 /);
  t.notRegex(first, /100 Continue/);
  t.regex(first, /Connection: close/i);
});

test('Expect: 100-continue: an accepted upload gets 100 Continue, then its answer', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const { port } = new URL(s.url);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write('PUT /files/free.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    });
    let data = '';
    socket.on('data', (c: Buffer) => {
      data += c.toString();
      if (data.startsWith('HTTP/1.1 100') && !data.includes('hello-sent')) {
        data += 'hello-sent';
        socket.write('hello');
      }
      if (/HTTP\/1\.1 201[\s\S]*\r\n\r\n\{.*\}/.test(data)) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
  t.regex(answer, /^HTTP\/1\.1 100 Continue/);
  t.regex(answer, /HTTP\/1\.1 201 Created/);
});
