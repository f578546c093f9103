import test from 'ava';
import type { LockTimeouts } from '../../src/domain/locks.js';
import { parseLockToken, parseTimeout } from '../../src/http/lock-headers.js';

const limits: LockTimeouts = { defaultSeconds: 600, maxSeconds: 3600 };
const lock = { token: 'urn:uuid:11111111-2222-4333-8444-555555555555' };

test('parseTimeout: no header gives the default', (t) => {
  t.is(parseTimeout(undefined, limits), 600);
  t.is(parseTimeout('', limits), 600);
});

test('parseTimeout: Second-N within the cap, case-insensitive, at least one second', (t) => {
  t.is(parseTimeout('Second-120', limits), 120);
  t.is(parseTimeout('second-120', limits), 120);
  t.is(parseTimeout('  SECOND-7  ', limits), 7);
  t.is(parseTimeout('Second-3600', limits), 3600);
  t.is(parseTimeout('Second-0', limits), 1);
});

test('parseTimeout: values above the maximum are capped, Infinite included', (t) => {
  t.is(parseTimeout('Second-3601', limits), 3600);
  t.is(parseTimeout('Second-999999999999999', limits), 3600);
  t.is(parseTimeout('Infinite', limits), 3600);
  t.is(parseTimeout('infinite', limits), 3600);
});

test('parseTimeout: the first understood value of a list wins (RFC 4918 §10.7)', (t) => {
  t.is(parseTimeout('Infinite, Second-60', limits), 3600);
  t.is(parseTimeout('Second-60, Infinite', limits), 60);
  t.is(parseTimeout('Second-abc, Second-30', limits), 30);
  t.is(parseTimeout('Extended-12, Second-45', limits), 45);
});

test('parseTimeout: garbage gives the default', (t) => {
  for (const h of ['garbage', 'Second-', 'Second--5', 'Second-1e3', 'Second-1.5', 'Seconds-60', '60', 'Second-9999999999999999', ',', 'Infinity']) {
    t.is(parseTimeout(h, limits), 600, h);
  }
});

test('parseTimeout: a default above the maximum is capped too', (t) => {
  t.is(parseTimeout(undefined, { defaultSeconds: 7200, maxSeconds: 3600 }), 3600);
});

test('parseLockToken: Lock-Token with angle brackets, or bare', (t) => {
  t.is(parseLockToken(`<${lock.token}>`, undefined), lock.token);
  t.is(parseLockToken(lock.token, undefined), lock.token);
  t.is(parseLockToken(`  <${lock.token}>  `, undefined), lock.token);
  t.is(parseLockToken(`< ${lock.token} >`, undefined), lock.token);
});

test('parseLockToken: the WebDAV If header', (t) => {
  t.is(parseLockToken(undefined, `(<${lock.token}>)`), lock.token);
  t.is(parseLockToken(undefined, `<http://localhost/files/a.txt> (<${lock.token}> ["etag"])`), lock.token);
  t.is(parseLockToken(undefined, '(["etag"] <urn:uuid:ABCDEF00-0000-4000-8000-000000000000>)'), 'urn:uuid:ABCDEF00-0000-4000-8000-000000000000');
  t.is(parseLockToken('', `(<${lock.token}>)`), lock.token, 'an empty Lock-Token falls back to If');
  t.is(parseLockToken(undefined, '(["etag"])'), undefined, 'an If header without a state token');
  t.is(parseLockToken(undefined, '(<http://example.com/not-a-lock-token>)'), undefined);
});

test('parseLockToken: Lock-Token wins over If; neither gives undefined', (t) => {
  t.is(parseLockToken('<urn:uuid:aaa>', '(<urn:uuid:bbb>)'), 'urn:uuid:aaa');
  t.is(parseLockToken(undefined, undefined), undefined);
  t.is(parseLockToken('   ', undefined), undefined);
});
