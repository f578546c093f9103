import test from 'ava';
import { evaluate, type Validators } from '../../src/domain/preconditions.js';
import { type ConditionalHeaders, parseConditions, parseEtags, parseHttpDate } from '../../src/http/preconditions.js';

const ETAG = 'a'.repeat(64);
/** Last-Modified with milliseconds: HTTP dates have whole seconds, so 03:04:05 is "the same time". */
const current: Validators = { etag: ETAG, lastModified: new Date('2024-01-02T03:04:05.678Z') };
const SAME = 'Tue, 02 Jan 2024 03:04:05 GMT';
const BEFORE = 'Tue, 02 Jan 2024 03:04:04 GMT';
const AFTER = 'Tue, 02 Jan 2024 03:04:06 GMT';

// The headers as sent, read by the HTTP layer, judged by the domain.
const get = (h: ConditionalHeaders, v: Validators | null = current) => evaluate(parseConditions(h), v, true);
const put = (h: ConditionalHeaders, v: Validators | null = current) => evaluate(parseConditions(h), v, false);

test('no conditional headers: pass', (t) => {
  t.is(get({}), 'pass');
  t.is(put({}), 'pass');
  t.is(put({}, null), 'pass');
});

test('If-Match: strong comparison against the current ETag', (t) => {
  t.is(put({ ifMatch: `"${ETAG}"` }), 'pass');
  t.is(put({ ifMatch: `"other", "${ETAG}"` }), 'pass');
  t.is(put({ ifMatch: '"other"' }), 'precondition-failed');
  // A weak tag never matches strongly (RFC 9110 §8.8.3.2).
  t.is(put({ ifMatch: `W/"${ETAG}"` }), 'precondition-failed');
  // False If-Match fails GET too (§13.1.1), it is not a 304.
  t.is(get({ ifMatch: '"other"' }), 'precondition-failed');
  t.is(get({ ifMatch: `"${ETAG}"` }), 'pass');
  // Unparseable values match nothing.
  t.is(put({ ifMatch: `"${ETAG}` }), 'precondition-failed');
});

test('If-Match: * needs a current representation', (t) => {
  t.is(put({ ifMatch: '*' }), 'pass');
  t.is(put({ ifMatch: ' * ' }), 'pass');
  t.is(put({ ifMatch: '*' }, null), 'precondition-failed');
  t.is(put({ ifMatch: `"${ETAG}"` }, null), 'precondition-failed');
});

test('bare, unquoted tags are accepted as strong tags', (t) => {
  t.is(put({ ifMatch: ETAG }), 'pass');
  t.is(put({ ifMatch: `other, ${ETAG}` }), 'pass');
  t.is(get({ ifNoneMatch: ETAG }), 'not-modified');
  t.deepEqual(parseEtags(`"x", W/"y", ${ETAG}`), {
    any: false,
    tags: [
      { weak: false, tag: 'x' },
      { weak: true, tag: 'y' },
      { weak: false, tag: ETAG },
    ],
  });
  t.deepEqual(parseEtags('*'), { any: true, tags: [] });
});

test('If-None-Match: weak comparison; a match is 304 on GET/HEAD and 412 on a write', (t) => {
  t.is(get({ ifNoneMatch: `"${ETAG}"` }), 'not-modified');
  t.is(get({ ifNoneMatch: `W/"${ETAG}"` }), 'not-modified');
  t.is(put({ ifNoneMatch: `"${ETAG}"` }), 'precondition-failed');
  t.is(put({ ifNoneMatch: `W/"${ETAG}"` }), 'precondition-failed');
  t.is(get({ ifNoneMatch: '"other"' }), 'pass');
  t.is(put({ ifNoneMatch: '"other"' }), 'pass');
  t.is(get({ ifNoneMatch: `"other", "${ETAG}"` }), 'not-modified');
});

test('If-None-Match: * is create-only for writes', (t) => {
  t.is(put({ ifNoneMatch: '*' }), 'precondition-failed');
  t.is(put({ ifNoneMatch: '*' }, null), 'pass');
  t.is(get({ ifNoneMatch: '*' }), 'not-modified');
  t.is(get({ ifNoneMatch: '*' }, null), 'pass');
});

test('If-Unmodified-Since: whole-second comparison with Last-Modified', (t) => {
  t.is(put({ ifUnmodifiedSince: SAME }), 'pass');
  t.is(put({ ifUnmodifiedSince: AFTER }), 'pass');
  t.is(put({ ifUnmodifiedSince: BEFORE }), 'precondition-failed');
  t.is(get({ ifUnmodifiedSince: BEFORE }), 'precondition-failed');
  // No representation, no modification date: the header is ignored (§13.1.4).
  t.is(put({ ifUnmodifiedSince: BEFORE }, null), 'pass');
});

test('If-Modified-Since: 304 on GET when not modified since; ignored on writes', (t) => {
  t.is(get({ ifModifiedSince: SAME }), 'not-modified');
  t.is(get({ ifModifiedSince: AFTER }), 'not-modified');
  t.is(get({ ifModifiedSince: BEFORE }), 'pass');
  t.is(put({ ifModifiedSince: SAME }), 'pass');
  t.is(put({ ifModifiedSince: AFTER }), 'pass');
  t.is(get({ ifModifiedSince: SAME }, null), 'pass');
});

test('RFC 9110 §13.2.2 order: If-Match first, and it makes If-Unmodified-Since irrelevant', (t) => {
  t.is(put({ ifMatch: `"${ETAG}"`, ifUnmodifiedSince: BEFORE }), 'pass');
  t.is(put({ ifMatch: '"other"', ifUnmodifiedSince: AFTER }), 'precondition-failed');
  // Step 1 fails before step 3 could answer 304.
  t.is(get({ ifMatch: '"other"', ifNoneMatch: `"${ETAG}"` }), 'precondition-failed');
  t.is(get({ ifMatch: '"other"', ifModifiedSince: AFTER }), 'precondition-failed');
});

test('RFC 9110 §13.2.2 order: If-Unmodified-Since before If-None-Match', (t) => {
  t.is(get({ ifUnmodifiedSince: BEFORE, ifNoneMatch: `"${ETAG}"` }), 'precondition-failed');
  t.is(get({ ifUnmodifiedSince: AFTER, ifNoneMatch: `"${ETAG}"` }), 'not-modified');
});

test('RFC 9110 §13.2.2 order: If-None-Match makes If-Modified-Since irrelevant', (t) => {
  t.is(get({ ifNoneMatch: '"other"', ifModifiedSince: AFTER }), 'pass');
  t.is(get({ ifNoneMatch: `"${ETAG}"`, ifModifiedSince: BEFORE }), 'not-modified');
  t.is(get({ ifMatch: `"${ETAG}"`, ifNoneMatch: '"other"', ifModifiedSince: AFTER }), 'pass');
});

test('invalid dates are ignored', (t) => {
  for (const bad of ['not a date', '', 'yesterday', 'Tue, 32 Foo 2024 99:99:99 GMT']) {
    t.is(parseHttpDate(bad), undefined, bad);
    t.is(put({ ifUnmodifiedSince: bad }), 'pass', `If-Unmodified-Since: ${bad}`);
    t.is(get({ ifModifiedSince: bad }), 'pass', `If-Modified-Since: ${bad}`);
  }
});

test('a bare number is not an HTTP-date and is ignored (RFC 9110 §13.1.4 MUST ignore)', (t) => {
  for (const bad of ['0', '1', '12345']) {
    t.is(parseHttpDate(bad), undefined, bad);
    t.is(put({ ifUnmodifiedSince: bad }), 'pass', `If-Unmodified-Since: ${bad}`);
  }
});

test('parseHttpDate accepts the three HTTP-date formats of RFC 9110 §5.6.7, all in GMT', (t) => {
  const tz = process.env.TZ;
  // Away from UTC, a date read as local time would be off by hours.
  process.env.TZ = 'America/New_York';
  try {
    t.is(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), 784111777, 'IMF-fixdate');
    t.is(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), 784111777, 'RFC 850');
    t.is(parseHttpDate('Sun Nov  6 08:49:37 1994'), 784111777, 'asctime');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

test('a tag may name the SHA-256 in base64url (as /dav writes ETags): it matches the same hex, and only that', (t) => {
  const b64 = Buffer.from(ETAG, 'hex').toString('base64url');
  t.is(b64.length, 43);
  t.is(put({ ifMatch: `"${b64}"` }), 'pass');
  t.is(get({ ifNoneMatch: `"${b64}"` }), 'not-modified');
  const other = Buffer.from('b'.repeat(64), 'hex').toString('base64url');
  t.is(put({ ifMatch: `"${other}"` }), 'precondition-failed');
  t.deepEqual(parseEtags(`W/"${b64}"`), { any: false, tags: [{ weak: true, tag: ETAG }] });
});
