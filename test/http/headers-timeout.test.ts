/** Request headers that trickle in and never complete are cut with a 408 problem, and the connection with them. */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

test('headers still incomplete at the headers timeout: 408 request-timeout as problem+json; the connection is closed, so finishing the request afterwards does nothing', async (t) => {
  const s = await startServer({ headersTimeoutMs: 1000 });
  t.teardown(() => s.close());
  const { port } = new URL(s.url);
  // Half-open allowed: this client keeps sending after the server's FIN, as a slow-loris client would.
  const socket = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  let reply = '';
  socket.on('data', (c: Buffer) => (reply += c.toString()));
  socket.on('error', () => {}); // writes after the server closed may fail
  const answered = new Promise<void>((resolve) => socket.on('end', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  // A byte every 200 ms: never idle long enough for the idle timeout, never a complete header block.
  const header = `PUT /files/late.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nX-Slow: ${'a'.repeat(1000)}`;
  let sent = 0;
  let answeredYet = false;
  void answered.then(() => (answeredYet = true));
  while (!answeredYet && sent < header.length) {
    socket.write(header[sent++] as string);
    await sleep(200);
  }
  await answered;
  t.regex(reply, /^HTTP\/1\.1 408 /, reply);
  t.regex(reply, /content-type: application\/problem\+json/i);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
  t.like(body, { status: 408, code: 'request-timeout' });

  // The client finishes its request after the answer: the server must not parse and serve it.
  socket.write(`${header.slice(sent)}\r\n\r\nlate`);
  await Promise.race([closed, sleep(2000)]);
  socket.destroy();
  t.is((await request(`${s.url}/files/late.txt`)).status, 404, 'a request completed after the 408 was served');
});
