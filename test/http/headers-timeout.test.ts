/** Request headers that trickle in and never complete are cut with a 408 problem, not left open. */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startServer } from '../helpers/server.js';

test('headers still incomplete at the headers timeout: 408 request-timeout as problem+json, then the connection closes', async (t) => {
  const s = await startServer({ headersTimeoutMs: 1000 });
  t.teardown(() => s.close());
  const { port } = new URL(s.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let reply = '';
  socket.on('data', (c: Buffer) => (reply += c.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => {});
  // A byte every 200 ms: never idle long enough for the idle timeout, never a complete header block.
  const header = 'GET /files/x.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
  let sent = 0;
  const trickle = (async () => {
    while (!socket.destroyed && sent < header.length) {
      socket.write(header[sent++] as string);
      await sleep(200);
    }
  })();
  await closed;
  await trickle;
  t.regex(reply, /^HTTP\/1\.1 408 /, reply);
  t.regex(reply, /content-type: application\/problem\+json/i);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
  t.like(body, { status: 408, code: 'request-timeout' });
  t.true(sent < header.length, 'the server cut the headers before they were all sent');
});
