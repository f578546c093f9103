import { Writable } from 'node:stream';
import test from 'ava';
import { pino } from 'pino';
import { REDACT } from '../../src/logger.js';
import { checkout, put, request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { AS, makeUsers } from './rest/_support.js';

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real server whose log lines (JSON, as in production, with the production redaction) are kept. */
async function logged(options: Parameters<typeof startServer>[0] = {}): Promise<{ s: TestServer; lines: Line[]; text: () => string }> {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACT, censor: '[redacted]' } }, sink);
  const s = await startServer({ ...options, logger });
  return {
    s,
    text: () => text,
    get lines() {
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
    },
  };
}

/** Log lines are written when the response closes, just after the client has it. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

test('one JSON line per request: id, method, path, route template, status, bytes, duration, user', async (t) => {
  const log = await logged({ users: await makeUsers() });
  t.teardown(() => log.s.close());
  const answer = await put(log.s.url, 'docs/a.txt', 'hello', AS.alice);
  t.is(answer.status, 201);
  const id = answer.headers.get('x-request-id') ?? '';
  t.regex(id, /^[0-9a-f-]{36}$/);
  await settle();
  const line = log.lines.find((l) => l.msg === 'request' && l.reqId === id);
  t.like(line, { method: 'PUT', path: '/files/docs/a.txt', route: '/files/{path}', status: 201, user: 'alice' });
  t.is(line?.bytesIn, 5, 'the body bytes');
  t.true((line?.bytesOut as number) > 0);
  t.is(typeof line?.ms, 'number');
});

test("a client's X-Request-Id is kept and echoed; an unusable one is replaced", async (t) => {
  const log = await logged();
  t.teardown(() => log.s.close());
  const kept = await request(`${log.s.url}/healthz`, { headers: { 'X-Request-Id': 'trace-42.a' } });
  t.is(kept.headers.get('x-request-id'), 'trace-42.a');
  const replaced = await request(`${log.s.url}/healthz`, { headers: { 'X-Request-Id': 'has spaces and {stuff}' } });
  t.regex(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  await settle();
  t.truthy(log.lines.find((l) => l.reqId === 'trace-42.a' && l.route === '/healthz'));
});

test('one warn line per conflict with its code and the holder or current version; tokens and credentials never logged', async (t) => {
  const log = await logged({ users: await makeUsers() });
  t.teardown(() => log.s.close());
  await put(log.s.url, 'c.txt', 'one', AS.alice);
  const lock = await checkout(log.s.url, 'c.txt?label=Alice%20at%20home', AS.alice);
  t.is((await put(log.s.url, 'c.txt', 'two', AS.bob)).status, 409);
  t.is((await put(log.s.url, 'c.txt', 'two', { ...AS.alice, 'Lock-Token': `<${lock.token}>`, 'If-Match': '"0000"' })).status, 412);
  await settle();
  const conflicts = log.lines.filter((l) => l.msg === 'conflict');
  t.is(conflicts.length, 2);
  t.like(conflicts[0], { level: 40, code: 'locked', user: 'bob', lockOwner: 'alice', lockLabel: 'Alice at home', path: '/files/c.txt' });
  t.like(conflicts[1], { level: 40, code: 'precondition-failed', user: 'alice', currentVersion: 1 });
  t.false(log.text().includes(lock.token), 'the lock token is in no log line');
  t.false(log.text().includes((AS.alice.Authorization ?? '').split(' ')[1] as string), 'credentials are in no log line');
});

test('the production redaction hides tokens and credentials wherever they are logged', (t) => {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const logger = pino({ redact: { paths: REDACT, censor: '[redacted]' } }, sink);
  logger.info({ token: 'urn:uuid:secret-1', lock: { token: 'urn:uuid:secret-2', owner: 'al' }, req: { headers: { authorization: 'Basic c2VjcmV0', 'lock-token': '<urn:uuid:secret-3>' } } }, 'x');
  t.false(/secret/.test(text), text);
  t.true(text.includes('"owner":"al"'));
});

test("a 502 for a COPY Destination on another server is the client's doing: a warn line with its code, no error line, no stack", async (t) => {
  const log = await logged();
  t.teardown(() => log.s.close());
  await put(log.s.url, 'a.txt', 'a');
  const answer = await request(`${log.s.url}/dav/a.txt`, { method: 'COPY', headers: { Destination: 'http://elsewhere.example/dav/b.txt' } });
  t.is(answer.status, 502);
  await settle();
  t.false(
    log.lines.some((l) => l.level >= 50),
    log.text(),
  );
  t.false(log.text().includes('"stack"'), 'no stack is logged');
  t.like(
    log.lines.find((l) => l.msg === 'refused'),
    { level: 40, code: 'bad-gateway', method: 'COPY', path: '/dav/a.txt' },
  );
});
