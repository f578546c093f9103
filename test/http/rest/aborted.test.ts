import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/server.js';

/** Send the start of a request, then drop the connection in the middle of the body. */
async function sendAndDrop(s: TestServer, head: string, partialBody: Buffer): Promise<void> {
  const { port } = new URL(s.url);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(head);
      socket.write(partialBody, () =>
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100),
      );
    });
    socket.on('error', reject);
  });
}

/** Wait (bounded) until the server has dropped every staged file. */
async function stagingEmpty(s: TestServer): Promise<string[]> {
  for (let i = 0; i < 50 && (await s.store.staged()).length > 0; i++) await sleep(100);
  return s.store.staged();
}

test('a raw upload dropped mid-body stores nothing, leaves no staged file, and the server goes on', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await sendAndDrop(s, 'PUT /files/dropped.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n', Buffer.alloc(3_000_000, 1));
  t.deepEqual(await stagingEmpty(s), []);
  t.is((await request(`${s.url}/files/dropped.bin?versions`)).status, 404);
  t.is((await put(s.url, 'after.txt', 'still serving')).status, 201);
});

test('a multipart upload dropped in the middle of a file part stores nothing and leaves no staged file', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const boundary = 'kluis-boundary-1';
  const part = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(part), Buffer.alloc(3_000_000, 2)]);
  await sendAndDrop(s, `POST /files/dir/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000000\r\n\r\n`, body);
  t.deepEqual(await stagingEmpty(s), []);
  t.is((await request(`${s.url}/files/dir/half.bin?versions`)).status, 404);
  t.is((await put(s.url, 'dir/after.txt', 'still serving')).status, 201);
});
