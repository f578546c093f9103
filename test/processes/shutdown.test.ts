import { rm } from 'node:fs/promises';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { fsView } from '../helpers/backend.js';
import { put, request } from '../helpers/http.js';
import { type ChildServer, startChild, tempDir } from '../helpers/server.js';

const MIB = 1 << 20;

/** A PUT whose body is sent in 1 MiB pieces every `pauseMs`, `pieces` in all (0: never ends). */
function slowPut(url: string, pieces: number, pauseMs: number): { answer: Promise<{ status: number; text: string } | Error>; started: Promise<void> } {
  let begin: () => void = () => {};
  const started = new Promise<void>((resolve) => (begin = resolve));
  const answer = new Promise<{ status: number; text: string } | Error>((resolve) => {
    const req = http.request(url, { method: 'PUT', headers: pieces > 0 ? { 'Content-Length': String(pieces * MIB) } : { 'Content-Length': String(1024 * MIB) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', resolve);
    });
    req.on('error', resolve);
    void (async () => {
      for (let i = 0; pieces === 0 || i < pieces; i++) {
        if (req.destroyed) return;
        req.write(Buffer.alloc(MIB, i));
        if (i === 0) begin();
        await sleep(pauseMs);
      }
      req.end();
    })();
  });
  return { answer, started };
}

async function child(t: { teardown(fn: () => Promise<void>): void }, grace: number): Promise<{ server: ChildServer; dataDir: string }> {
  const dataDir = await tempDir('kluis-shutdown-');
  const server = await startChild(dataDir, { KLUIS_SHUTDOWN_GRACE_SECONDS: String(grace) });
  t.teardown(async () => {
    await server.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  return { server, dataDir };
}

test('SIGTERM during an upload: /readyz turns 503, a new upload is refused, the running one finishes and is kept; exit 0', async (t) => {
  const { server, dataDir } = await child(t, 30);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(async () => agent.destroy());
  t.is((await request(`${server.url}/readyz`)).status, 200);
  const upload = slowPut(`${server.url}/files/big.bin`, 12, 150);
  await upload.started;
  await sleep(200);
  const exited = server.stop('SIGTERM');
  await sleep(200);

  const ready = await request(`${server.url}/readyz`);
  t.is(ready.status, 503);
  t.is(ready.json.code, 'shutting-down');
  t.is(ready.headers.get('connection'), 'close');
  const refused = await put(server.url, 'late.txt', 'after SIGTERM');
  t.is(refused.status, 503);
  t.is(refused.json.code, 'shutting-down');
  t.truthy(refused.headers.get('retry-after'));

  const answer = await upload.answer;
  t.false(answer instanceof Error, String(answer));
  t.is((answer as { status: number }).status, 201, 'the upload in flight finished');
  t.is(await exited, 0);
  t.regex(server.output(), /draining/);
  t.regex(server.output(), /"stopped"|stopped/);
  t.notRegex(server.output(), /request failed/, 'a refusal while draining is no error: nothing is logged at error level for it');

  const again = await startChild(dataDir);
  t.teardown(async () => void (await again.stop('SIGKILL')));
  const history = await request(`${again.url}/files/big.bin?versions`);
  t.is(history.json.versions.length, 1);
  t.is(history.json.versions[0].size, 12 * MIB);
  t.is((await request(`${again.url}/files/late.txt`)).status, 404, 'the refused upload stored nothing');
});

test('grace period over: the upload still running is cut, nothing of it is stored or staged; exit 0', async (t) => {
  const { server, dataDir } = await child(t, 1);
  const upload = slowPut(`${server.url}/files/endless.bin`, 0, 100);
  await upload.started;
  await sleep(300);
  const started = Date.now();
  t.is(await server.stop('SIGTERM'), 0);
  const took = Date.now() - started;
  t.true(took >= 900, `exited after ${took} ms, before the grace period`);
  const answer = await upload.answer;
  t.true(answer instanceof Error || answer.status >= 500, 'the cut upload was not acknowledged');
  t.deepEqual(await fsView(dataDir).staged(), [], 'its staged bytes are removed');
  t.regex(server.output(), /grace period over/);
  const again = await startChild(dataDir);
  t.teardown(async () => void (await again.stop('SIGKILL')));
  t.is((await request(`${again.url}/files/endless.bin`)).status, 404);
});
