import test from 'ava';
import { Problem, PROBLEMS, type ProblemCode } from '../src/errors.js';

const codes = Object.keys(PROBLEMS) as ProblemCode[];

test('every problem code is unique kebab-case', (t) => {
  t.true(codes.length > 0);
  t.is(new Set(codes).size, codes.length);
  for (const code of codes) t.regex(code, /^[a-z]+(-[a-z]+)*$/, code);
});

test('every problem has a 4xx or 5xx status and a title', (t) => {
  for (const code of codes) {
    const { status, title } = PROBLEMS[code];
    t.true(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
    t.true(typeof title === 'string' && title.trim().length > 0, code);
  }
  t.is(new Set(codes.map((c) => PROBLEMS[c].title)).size, codes.length, 'titles tell the problems apart');
});

test('the catalogue holds every code docs/api.md promises, with its status', (t) => {
  const promised: Record<string, number> = {
    'invalid-path': 400,
    'bad-request': 400,
    'checksum-mismatch': 400,
    unauthorized: 401,
    forbidden: 403,
    'not-found': 404,
    locked: 409,
    modified: 409,
    'not-checked-out': 409,
    'precondition-failed': 412,
    'too-large': 413,
    'method-not-supported': 501,
    'storage-unavailable': 503,
  };
  for (const [code, status] of Object.entries(promised)) {
    t.true(code in PROBLEMS, code);
    t.is(PROBLEMS[code as ProblemCode]?.status as number | undefined, status, code);
  }
});

test('a Problem is an Error carrying its code, status, title, detail and headers', (t) => {
  const p = new Problem('too-large', 'the body is larger than 10 bytes', {}, { 'Retry-After': '1' });
  t.true(p instanceof Error);
  t.is(p.name, 'Problem');
  t.is(p.code, 'too-large');
  t.is(p.status, 413);
  t.is(p.title, PROBLEMS['too-large'].title);
  t.is(p.message, 'the body is larger than 10 bytes');
  t.deepEqual(p.headers, { 'Retry-After': '1' });
  t.deepEqual(new Problem('not-found', 'x').headers, {});
  t.deepEqual(new Problem('not-found', 'x').extras, {});
});

test('toJSON is the problem+json body: status, title, detail, code and a type', (t) => {
  for (const code of codes) {
    const body = new Problem(code, `detail of ${code}`).toJSON();
    t.like(body, { status: PROBLEMS[code].status, title: PROBLEMS[code].title, detail: `detail of ${code}`, code }, code);
    t.is(typeof body.type, 'string', code);
  }
  t.deepEqual(JSON.parse(JSON.stringify(new Problem('forbidden', 'no'))), new Problem('forbidden', 'no').toJSON());
});

test('a 409 body carries the current state the API promises', (t) => {
  const state = { path: 'a.txt', currentVersion: 3, currentSha256: 'a'.repeat(64), lock: { owner: 'alice', expiresAt: '2024-05-01T13:00:00.000Z' } };
  const body = JSON.parse(JSON.stringify(new Problem('locked', 'a.txt is checked out by alice', state)));
  t.like(body, { status: 409, code: 'locked', ...state });
});

test('extras cannot override the members that identify the problem', (t) => {
  const body = new Problem('modified', 'moved on', { status: 200, code: 'ok', title: 'fine', detail: 'nothing', currentVersion: 2 }).toJSON();
  t.like(body, { status: 409, code: 'modified', title: PROBLEMS.modified.title, detail: 'moved on', currentVersion: 2 });
});
