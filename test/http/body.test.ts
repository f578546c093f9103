/**
 * A client that sends a whole request and hangs up before the handler reads the body: the
 * bytes were received but are gone with the connection. Staging must say so at once, never
 * wait for a body that will not come (a handler waiting forever held a graceful shutdown for
 * its whole grace period).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import type { Context } from 'koa';
import { readMultipart, stage } from '../../src/http/body.js';
import { Problem } from '../../src/errors.js';
import { fsStore } from '../domain/_support.js';

/**
 * A bare HTTP server that, for its one request, waits until the client has hung up (the
 * request destroyed, its whole body received and unread), then hands it to `handle`.
 */
async function afterHangUp(t: ExecutionContext, raw: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>): Promise<unknown> {
  let settle: (outcome: unknown) => void = () => {};
  const outcome = new Promise<unknown>((resolve) => (settle = resolve));
  const server = http.createServer((req, res) => {
    const go = () => {
      // Bounded: an outcome that never comes is the failure this test looks for.
      const timer = setTimeout(() => settle('still waiting after 3 s'), 3000);
      handle(req, res)
        .then(
          () => settle('resolved'),
          (err: unknown) => settle(err),
        )
        .finally(() => clearTimeout(timer));
    };
    if (req.destroyed) go();
    else req.once('close', () => setImmediate(go));
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => {
    socket.end(raw, () => setTimeout(() => socket.destroy(), 50));
  });
  socket.on('error', () => {});
  await sleep(10);
  return outcome;
}

const BODY = 'x'.repeat(4096);

test('stage: a whole body whose client hung up before it was read is a 400, not a wait', async (t) => {
  const { storage } = await fsStore(t, 'kluis-body-');
  const raw = `PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;
  const outcome = await afterHangUp(t, raw, (req) => stage(req, storage.blobs, 1 << 20));
  t.true(outcome instanceof Problem && outcome.code === 'bad-request', `staging ended with: ${String(outcome)}`);
});

test('readMultipart: a whole body whose client hung up before it was read is a 400, not a wait', async (t) => {
  const boundary = 'b0undary';
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n${BODY}\r\n--${boundary}--\r\n`;
  const raw = `POST /d/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const outcome = await afterHangUp(t, raw, (req, res) =>
    readMultipart({ req, res, get: (name: string) => String(req.headers[name.toLowerCase()] ?? '') } as unknown as Context, 1 << 20, async (part) => void part.stream.resume()),
  );
  t.true(outcome instanceof Problem && outcome.code === 'bad-request', `parsing ended with: ${String(outcome)}`);
});
