/**
 * Fuzzing of the request parsers with fast-check. The pure parsers must return a value or throw
 * a Problem below 500 (never another exception), and keep their invariants; the same kinds of
 * input sent over real sockets to a real server must never get a 5xx (nor no answer), and the
 * server must still answer /healthz. `KLUIS_SOAK=1` runs 20 times as many cases.
 */
import querystring from 'node:querystring';
import test from 'ava';
import fc from 'fast-check';
import type { Context } from 'koa';
import { parseLockToken, parseTimeout } from '../../src/http/lock-headers.js';
import { joinKey, MAX_PATH_BYTES, parseRelativeName, parseUrlPath } from '../../src/domain/paths.js';
import { evaluate } from '../../src/domain/preconditions.js';
import { parseConditions, parseEtags, parseHttpDate } from '../../src/http/preconditions.js';
import { Problem } from '../../src/errors.js';
import { parseDigests, verifyDigests } from '../../src/http/checksums.js';
import { parseRange } from '../../src/http/range.js';
import { hasFlag, intParam, stringParam, writeIntent } from '../../src/http/rest/request.js';
import { checkout, put } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { encodePath, healthy, type Reply } from './_support.js';
import { buildForm, digestArb, etagArb, exchange, headerValue, ifArb, md5Arb, multipartArb, mutatedMultipartArb, queryArb, rangeArb, timeoutArb, urlPathArb, wireSafe } from './_fuzz.js';

const SOAK = process.env.KLUIS_SOAK === '1';
const RUNS = (n: number) => (SOAK ? 20 * n : n);
const figures = { pure: 0, http: 0, checkouts: 0, status5xx: 0, noAnswer: 0, knownLeaks: 0 };
/** Statuses answered in the running HTTP property, to show how deep the cases reach. */
let statuses = new Map<number, number>();

/** Run `fn`: a value is fine, so is a Problem below 500; anything else fails the property. */
function valueOrProblem<T>(fn: () => T): T | Problem {
  figures.pure++;
  try {
    return fn();
  } catch (err) {
    if (err instanceof Problem && err.status < 500) return err;
    throw err;
  }
}

/** The invariants of a validated key: what makes it safe as a store key. */
function assertSafeKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_PATH_BYTES) throw new Error(`key over ${MAX_PATH_BYTES} bytes`);
  if (key !== key.normalize('NFC')) throw new Error(`key ${JSON.stringify(key)} is not NFC`);
  if (key === '') return;
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw new Error(`bad segment in ${JSON.stringify(key)}`);
    if (/[\\\u0000-\u001f\u007f]/.test(segment)) throw new Error(`backslash or control character in ${JSON.stringify(key)}`);
  }
}

const LIMITS = { defaultSeconds: 3600, maxSeconds: 86_400 };
const base64Of32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));
const fakeCtx = (query: string, headers: Record<string, string>): Context => ({ query: querystring.parse(query), get: (name: string) => headers[name.toLowerCase()] ?? '' }) as unknown as Context;

test.serial('pure parsers return a value or throw a Problem below 500, and keep their invariants', (t) => {
  const runs = RUNS(500);
  fc.assert(
    fc.property(urlPathArb, (raw) => {
      const target = valueOrProblem(() => parseUrlPath(raw));
      if (target instanceof Problem) return;
      assertSafeKey(target.key);
      if (target.directory !== (raw === '' || raw.endsWith('/'))) throw new Error('directory flag');
      // The canonical spelling of the key names the same key.
      if (parseUrlPath(encodePath(target.key) + (target.directory && target.key !== '' ? '/' : '')).key !== target.key) throw new Error('not stable');
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(urlPathArb, fc.string({ maxLength: 40 }), (name, dir) => {
      const key = valueOrProblem(() => parseRelativeName(name));
      if (key instanceof Problem) return;
      assertSafeKey(key);
      if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new Error('absolute name accepted');
      const joined = valueOrProblem(() => joinKey(dir, key));
      if (typeof joined === 'string' && Buffer.byteLength(joined) > MAX_PATH_BYTES) throw new Error('joined key too long');
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(rangeArb, fc.nat({ max: 100_000 }), (header, size) => {
      const range = valueOrProblem(() => parseRange(header, size));
      if (range instanceof Problem) {
        if (range.status !== 416 || range.headers['Content-Range'] !== `bytes */${size}`) throw new Error(`unexpected ${range.code}`);
      } else if (range && !(Number.isSafeInteger(range.start) && range.start >= 0 && range.start <= range.end && range.end < size)) {
        throw new Error(`range ${JSON.stringify(range)} outside ${size}`);
      }
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(
      etagArb(['a'.repeat(64)]),
      etagArb(['a'.repeat(64)]),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }),
      fc.boolean(),
      fc.boolean(),
      (ifMatch, ifNoneMatch, since, unmodified, current, safe) => {
        valueOrProblem(() => parseEtags(ifMatch));
        const validators = current ? { etag: 'a'.repeat(64), lastModified: new Date(1_700_000_000_000) } : null;
        const outcome = valueOrProblem(() => evaluate(parseConditions({ ifMatch, ifNoneMatch, ifModifiedSince: since, ifUnmodifiedSince: unmodified }), validators, safe));
        if (!['pass', 'precondition-failed', 'not-modified'].includes(outcome as string)) throw new Error(`outcome ${String(outcome)}`);
        const seconds = valueOrProblem(() => parseHttpDate(since));
        if (seconds !== undefined && !Number.isSafeInteger(seconds)) throw new Error(`date ${String(seconds)}`);
      },
    ),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
      if (parseHttpDate(new Date(ms).toUTCString()) !== Math.floor(ms / 1000)) throw new Error(`IMF-fixdate of ${ms} does not round-trip`);
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(timeoutArb, ifArb(['urn:uuid:0']), fc.string({ maxLength: 60 }), (timeout, ifHeader, lockToken) => {
      const seconds = valueOrProblem(() => parseTimeout(timeout, LIMITS));
      if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 1 || seconds > LIMITS.maxSeconds) throw new Error(`timeout ${String(seconds)}`);
      const token = valueOrProblem(() => parseLockToken(lockToken, ifHeader));
      if (token !== undefined && typeof token !== 'string') throw new Error('token');
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(fc.option(digestArb), fc.option(md5Arb), fc.oneof(base64Of32, fc.string({ maxLength: 44 })), (digest, md5, actual) => {
      const expected = valueOrProblem(() => parseDigests(digest ?? undefined, md5 ?? undefined));
      if (expected instanceof Problem) return;
      valueOrProblem(() => verifyDigests(expected, { sha256Base64: actual, md5Base64: actual }));
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(queryArb, fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (query, lockToken, ifHeader) => {
      const ctx = fakeCtx(query, { 'lock-token': lockToken, if: ifHeader });
      for (const name of ['version', 'base', 'restore', 'pin']) {
        const n = valueOrProblem(() => intParam(ctx, name, 1));
        if (typeof n === 'number' && !(Number.isSafeInteger(n) && n >= 1)) throw new Error(`?${name} gave ${n}`);
      }
      valueOrProblem(() => stringParam(ctx, 'comment'));
      valueOrProblem(() => hasFlag(ctx, 'versions'));
      valueOrProblem(() => writeIntent(ctx));
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  t.log(`pure parsers: ${figures.pure} calls in 8 properties of ${runs} cases, 0 unexpected exceptions`);
  t.pass();
});

// The ranges regex backtracks on runs of spaces: 16 KB of header costs ~80 ms of event loop.
test('fixed: parseRange takes time linear in the header length (range-regex-quadratic)', (t) => {
  const header = `bytes=${' '.repeat(16_000)}x`;
  // The fastest of five calls: a busy machine or a collection pause slows one call, not all.
  let ms = Infinity;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    parseRange(header, 10);
    ms = Math.min(ms, performance.now() - started);
  }
  t.true(ms < 20, `parseRange took ${ms.toFixed(1)} ms at best on a 16 KB header`);
});

/** Seeded under `_seed/`, which no fuzzed path reaches. */
const CONTENT = 'the fuzzed file: 40 bytes of known text.';
const LOCK_LIMITS = { defaultSeconds: 60, maxSeconds: 600 };
let server: { s: TestServer; token: string; sha: string } | undefined;

test.before(async () => {
  const s = await startServer({ maxUploadBytes: 64 * 1024, lockDefaultSeconds: LOCK_LIMITS.defaultSeconds, lockMaxSeconds: LOCK_LIMITS.maxSeconds });
  const file = await put(s.url, '_seed/f.txt', CONTENT);
  await put(s.url, '_seed/locked.txt', 'locked');
  // The longest lock there is: the suite runs for minutes on S3, and the file must stay locked throughout.
  const lock = await checkout(s.url, '_seed/locked.txt', { Timeout: `Second-${LOCK_LIMITS.maxSeconds}` });
  server = { s, token: lock.token, sha: file.json.sha256 };
});
test.after.always(async () => server?.s.close());

/** One request: an answer of 500 or more, or none, fails the property. */
async function send(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
  const { s } = server as NonNullable<typeof server>;
  const answer = await exchange(s.url, method, target, headers, body);
  figures.http++;
  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  if (answer.status === 0) figures.noAnswer++;
  if (answer.status >= 500) figures.status5xx++;
  if (answer.status === 0 || answer.status >= 500) throw new Error(`${method} ${target.slice(0, 120)}: ${answer.status || 'no answer'} ${answer.text.slice(0, 300)}`);
  return answer;
}

/**
 * Staged bytes of a refused upload are removed at once, or very soon after the answer. One leak
 * is known (BUG multipart-error-leaks-staged-part in corpus.test.ts): a file part still being
 * staged when the parser then fails on the rest of the body. Those are counted and tolerated;
 * any other leak fails.
 */
let stagedBaseline = 0;
async function nothingStaged(answer: Reply): Promise<void> {
  const { s } = server as NonNullable<typeof server>;
  let staged = await s.store.staged();
  for (let i = 0; i < 20 && staged.length > stagedBaseline; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    staged = await s.store.staged();
  }
  if (staged.length <= stagedBaseline) return;
  if (answer.status === 400 && /^(malformed multipart body|too many multipart parts)/.test(answer.json?.detail ?? '')) {
    figures.knownLeaks += staged.length - stagedBaseline;
    stagedBaseline = staged.length;
    return;
  }
  throw new Error(`staged bytes left behind after ${answer.status} ${answer.text.slice(0, 200)}`);
}

/** A serial test running one async property over HTTP, then /healthz. */
type Served = NonNullable<typeof server>;
function fuzzHttp<T>(name: string, runs: number, arb: fc.Arbitrary<T> | ((ctx: Served) => fc.Arbitrary<T>), run: (value: T, ctx: Served) => Promise<void>): void {
  test.serial(`HTTP fuzz: ${name}`, async (t) => {
    t.timeout(SOAK ? 60 * 60_000 : 120_000); // twenty times the runs in the soak
    const ctx = server as Served;
    const before = figures.http;
    statuses = new Map();
    const arbitrary = typeof arb === 'function' ? arb(ctx) : arb;
    await fc.assert(
      fc.asyncProperty(arbitrary, (value) => run(value, ctx)),
      { numRuns: RUNS(runs), includeErrorInReport: true },
    );
    t.true(await healthy(ctx.s.url), '/healthz');
    const seen = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    t.log(`${name}: ${figures.http - before} requests (${seen}), none answered 5xx or left unanswered`);
  });
}

const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'CHECKOUT', 'UNLOCK', 'OPTIONS', 'POST'];
fuzzHttp('URL paths', 400, fc.tuple(urlPathArb, fc.constantFrom(...METHODS), fc.boolean(), queryArb), async ([path, method, raw, query]) => {
  const target = `/files/${raw ? path : wireSafe(path)}${query ? `?${wireSafe(query)}` : ''}`;
  const answer = await send(method, target, {}, method === 'PUT' ? Buffer.from('fuzz') : undefined);
  if (method === 'PUT' && answer.status < 300) {
    // What was written is a safe key, and its canonical URL reads it back.
    assertSafeKey(answer.json?.path ?? answer.json?.version?.path);
    const back = await send('GET', answer.headers.get('location') ?? '');
    if (back.text !== 'fuzz') throw new Error(`${target} wrote ${answer.headers.get('location')}, which reads ${back.status}`);
  }
});

const ifRangeArb = ({ sha }: Served) => fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, fc.constantFrom(`"${sha}"`, 'garbage', 'W/"x"', new Date().toUTCString()));
fuzzHttp(
  'Range (and If-Range)',
  300,
  (ctx) => fc.tuple(rangeArb, ifRangeArb(ctx)),
  async ([range, ifRange]) => {
    const answer = await send('GET', '/files/_seed/f.txt', { Range: range, ...(ifRange ? { 'If-Range': ifRange } : {}) });
    const contentRange = answer.headers.get('content-range') ?? '';
    if (answer.status === 200 && answer.text !== CONTENT) throw new Error('200 without the whole file');
    if (answer.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/40$/.exec(contentRange);
      if (!m || answer.text !== CONTENT.slice(Number(m[1]), Number(m[2]) + 1)) throw new Error(`206 ${contentRange} with ${JSON.stringify(answer.text)}`);
    }
    if (answer.status === 416 && contentRange !== 'bytes */40') throw new Error(`416 with Content-Range ${contentRange}`);
    if (![200, 206, 416, 400].includes(answer.status)) throw new Error(`Range ${JSON.stringify(range)}: ${answer.status}`);
  },
);

fuzzHttp(
  'If on a locked and an unlocked file',
  200,
  ({ token }) => fc.tuple(fc.boolean(), ifArb([`<${token}>`, token, 'urn:uuid:0'])),
  async ([onLocked, value], { token }) => {
    const answer = await send('PUT', onLocked ? '/files/_seed/locked.txt' : '/files/_seed/unlocked.txt', { If: value }, Buffer.from(`if ${value}`));
    if (onLocked && answer.status < 300 && !value.includes(token)) throw new Error(`a write without the token passed the lock: If: ${value}`);
  },
);

fuzzHttp('Timeout on CHECKOUT', 200, timeoutArb, async (timeout) => {
  figures.checkouts++;
  const answer = await send('CHECKOUT', `/files/t/${figures.checkouts}.txt`, { Timeout: timeout });
  const sent = headerValue(timeout);
  if (answer.status === 400 && /[\x00-\x08\x0a-\x1f\x7f]/.test(sent)) return; // refused by the HTTP parser
  if (answer.status !== 200) throw new Error(`Timeout ${JSON.stringify(timeout)}: ${answer.status}`);
  const expected = parseTimeout(Buffer.from(sent.trim()).toString('latin1'), LOCK_LIMITS);
  if (answer.headers.get('timeout') !== `Second-${expected}`) throw new Error(`Timeout ${JSON.stringify(timeout)} gave ${answer.headers.get('timeout')}, not Second-${expected}`);
});

const conditionalArb = ({ sha }: Served) => fc.tuple(fc.option(etagArb([sha, 'a'.repeat(64)])), fc.option(etagArb([sha])), fc.boolean(), fc.nat());
fuzzHttp('If-Match / If-None-Match', 300, conditionalArb, async ([ifMatch, ifNoneMatch, write, seed]) => {
  const headers = { ...(ifMatch !== null ? { 'If-Match': ifMatch } : {}), ...(ifNoneMatch !== null ? { 'If-None-Match': ifNoneMatch } : {}) };
  const answer = write ? await send('PUT', '/files/_seed/cond.txt', headers, Buffer.from(`cond ${seed}`)) : await send('GET', '/files/_seed/f.txt', headers);
  const allowed = write ? [200, 201, 400, 412] : [200, 304, 400, 412];
  if (!allowed.includes(answer.status)) throw new Error(`${write ? 'PUT' : 'GET'} ${JSON.stringify(headers)}: ${answer.status}`);
});

const multipartHeaders = (boundary: string) => ({ 'Content-Type': `multipart/form-data; boundary="${boundary}"` });
fuzzHttp('multipart bodies with random names, file names, part headers and bytes', 200, multipartArb, async (form) => {
  await nothingStaged(await send('POST', `/files/${wireSafe(form.target)}`, multipartHeaders(form.boundary), buildForm(form)));
});

fuzzHttp('multipart bodies with random byte mutations', 300, mutatedMultipartArb, async ({ form, body }) => {
  await nothingStaged(await send('POST', `/files/${wireSafe(form.target)}`, multipartHeaders(form.boundary), body));
});

test.serial('fuzz summary', async (t) => {
  t.is(figures.status5xx, 0);
  t.is(figures.noAnswer, 0);
  t.true(await healthy((server as NonNullable<typeof server>).s.url));
  t.log(
    `fuzz: ${figures.pure} pure parser calls, ${figures.http} HTTP requests (${figures.checkouts} checkouts); 5xx answers ${figures.status5xx}, unanswered ${figures.noAnswer}; staged files leaked by the known multipart bug ${figures.knownLeaks}`,
  );
});
