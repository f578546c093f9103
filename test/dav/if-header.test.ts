import test from 'ava';
import { Problem } from '../../src/errors.js';
import { evaluateIf, parseIf, submittedTokens, tagPath, type IfList, type ResourceState } from '../../src/http/dav/if-header.js';

const X = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const ETAG = '"5-a1b2c3"';
const tok = (value: string, not = false) => ({ not, kind: 'token' as const, value });
const etag = (value: string, not = false) => ({ not, kind: 'etag' as const, value });

test('the litmus forms parse', (t) => {
  t.deepEqual(parseIf(`(<${X}>)`), [{ conditions: [tok(X)] }]);
  t.deepEqual(parseIf(`(<${X}>) (Not <DAV:no-lock>)`), [{ conditions: [tok(X)] }, { conditions: [tok('DAV:no-lock', true)] }]);
  t.deepEqual(parseIf(`(<${X}> [${ETAG}]) (Not <DAV:no-lock> [${ETAG}])`), [{ conditions: [tok(X), etag(ETAG)] }, { conditions: [tok('DAV:no-lock', true), etag(ETAG)] }]);
  t.deepEqual(parseIf(`<http://127.0.0.1:8080/dav/litmus/lockcoll/> (<${X}>)`), [{ resource: 'http://127.0.0.1:8080/dav/litmus/lockcoll/', conditions: [tok(X)] }]);
  t.deepEqual(parseIf(`(Not <${X}>)`), [{ conditions: [tok(X, true)] }]);
  t.deepEqual(parseIf('([W/"x"])'), [{ conditions: [etag('W/"x"')] }]);
});

test('a tag applies to every list after it until the next tag', (t) => {
  t.deepEqual(parseIf('<http://h/a> (<urn:t1>) (Not ["e"]) <http://h/b> (<urn:t2>)'), [
    { resource: 'http://h/a', conditions: [tok('urn:t1')] },
    { resource: 'http://h/a', conditions: [etag('"e"', true)] },
    { resource: 'http://h/b', conditions: [tok('urn:t2')] },
  ]);
  t.deepEqual(parseIf('</dav/a%20b/> (<urn:t>)'), [{ resource: '/dav/a%20b/', conditions: [tok('urn:t')] }]);
  t.deepEqual(parseIf('<http://[::1]:8080/dav/(x)> (<urn:t>)')[0]?.resource, 'http://[::1]:8080/dav/(x)');
});

test('whitespace is optional between productions and allowed around them; Not is case-insensitive', (t) => {
  const expected = [{ conditions: [tok('urn:a', true), etag('"e"')] }, { conditions: [tok('urn:b')] }];
  t.deepEqual(parseIf('(Not<urn:a>["e"])(<urn:b>)'), expected);
  t.deepEqual(parseIf('  ( not  <urn:a>\t["e"] )  (<urn:b>) '), expected);
  t.deepEqual(parseIf('(NOT <urn:a> ["e"]) (<urn:b>)'), expected);
});

test('an etag is kept exactly as written, a closing bracket inside its quotes included', (t) => {
  t.deepEqual(parseIf('(["a]b"])'), [{ conditions: [etag('"a]b"')] }]);
  t.deepEqual(parseIf('([""])'), [{ conditions: [etag('""')] }]);
});

test('malformed headers are 400 bad-request', (t) => {
  const bad = [
    '',
    '   ',
    '()',
    '(<urn:a>) ()',
    '(<urn:a>',
    '(<urn:a)',
    '<urn:a>)',
    '(<>)',
    '(<urn:a b>)',
    '(Not)',
    '(Not Not <urn:a>)',
    '(urn:a)',
    '(<urn:a> junk)',
    '(<urn:a>) junk',
    '<urn:a>',
    '<http://h/a> (<urn:t>) <http://h/b>',
    '<http://h/a> <http://h/b> (<urn:t>)',
    '(<urn:a>) <http://h/b> (<urn:c>)',
    '<http://h/b> (<urn:c>) (<urn:a>) x',
    '([etag])',
    '(["e")',
    '(["e]")',
    '([W/e])',
    '(["a b"])',
    '((<urn:a>))',
    'Not (<urn:a>)',
  ];
  for (const header of bad) {
    const err = t.throws(() => parseIf(header), { instanceOf: Problem }, header);
    t.is(err?.code, 'bad-request', header);
    t.regex(err?.message ?? '', /^malformed If header: .+ at character \d+$/, header);
  }
});

test('the message says what is wrong', (t) => {
  t.throws(() => parseIf('(<urn:a>) <http://h/b> (<urn:c>)'), { message: /cannot be mixed/ });
  t.throws(() => parseIf('()'), { message: /empty list/ });
  t.throws(() => parseIf('(<urn:a>'), { message: /no closing '\)'/ });
});

test('submittedTokens: every state token once, negated or not; etags are not tokens', (t) => {
  t.deepEqual(submittedTokens(parseIf(`(<${X}> [${ETAG}]) (Not <DAV:no-lock> [${ETAG}])`)), [X, 'DAV:no-lock']);
  t.deepEqual(submittedTokens(parseIf('<http://h/a> (<urn:a>) <http://h/b> (Not <urn:b> <urn:a>)')), ['urn:a', 'urn:b']);
  t.deepEqual(submittedTokens(parseIf('(["e"])')), []);
});

/** The request URL is locked with X and has ETAG; /other is unlocked and has "o". */
const state = (resource: string | undefined): ResourceState => (resource === undefined ? { etag: ETAG, tokens: [X] } : { etag: '"o"', tokens: [] });
const holds = (header: string, stateOf = state) => evaluateIf(parseIf(header), stateOf);

test('evaluateIf: a token matches a lock on the resource; DAV:no-lock never does, so Not <DAV:no-lock> always does', (t) => {
  t.true(holds(`(<${X}>)`));
  t.false(holds('(<urn:uuid:other>)'));
  t.false(holds('(<DAV:no-lock>)'));
  t.true(holds('(Not <DAV:no-lock>)'));
  t.false(holds(`(Not <${X}>)`));
  t.true(holds('(Not <urn:uuid:other>)'));
});

test('evaluateIf: any list may hold, all conditions of a list must', (t) => {
  t.true(holds(`(<urn:uuid:other>) (<${X}>)`));
  t.true(holds(`(<urn:uuid:wrong>) (Not <DAV:no-lock>)`));
  t.false(holds(`(<${X}> <DAV:no-lock>)`));
  t.true(holds(`(<${X}> [${ETAG}])`));
  t.false(holds(`(<${X}> ["stale"])`));
  t.true(holds(`(<urn:uuid:wrong> [${ETAG}]) (Not <DAV:no-lock> [${ETAG}])`));
  t.false(holds(`(<urn:uuid:wrong> ["stale"]) (Not <DAV:no-lock> ["stale"])`));
});

test('evaluateIf: etags compare strongly; a weak one never matches; a resource without etag matches none', (t) => {
  t.true(holds(`([${ETAG}])`));
  t.false(holds(`([W/${ETAG}])`));
  t.true(holds(`(Not [W/${ETAG}])`));
  t.false(holds('([W/"w"])', () => ({ etag: 'W/"w"', tokens: [] })));
  t.false(holds(`([${ETAG}])`, () => ({ etag: null, tokens: [] })));
  t.true(holds(`(Not [${ETAG}])`, () => ({ etag: null, tokens: [] })));
});

test('evaluateIf: tagged lists are checked against the state of their tag', (t) => {
  const asked: (string | undefined)[] = [];
  const stateOf = (resource: string | undefined) => {
    asked.push(resource);
    return resource === 'http://h/locked' ? { etag: null, tokens: ['urn:t'] } : { etag: null, tokens: [] };
  };
  t.true(holds('<http://h/free> (<urn:t>) <http://h/locked> (<urn:t>)', stateOf));
  t.deepEqual(asked, ['http://h/free', 'http://h/locked']);
  t.false(holds('<http://h/free> (<urn:t>)', stateOf));
  t.false(evaluateIf([] as IfList[], state));
});

test('tagPath: an absolute path, or a URL on this host and port, gives its path as written', (t) => {
  t.is(tagPath('http://127.0.0.1:8080/dav/litmus/lockcoll/', '127.0.0.1:8080'), '/dav/litmus/lockcoll/');
  t.is(tagPath('/dav/a%20b/c', '127.0.0.1:8080'), '/dav/a%20b/c');
  t.is(tagPath('/dav/a?x=1#f', 'h'), '/dav/a');
  t.is(tagPath('HTTP://EXAMPLE.com/dav/%7Efile', 'example.COM'), '/dav/%7Efile');
  t.is(tagPath('http://example.com:80/dav/a', 'example.com'), '/dav/a');
  t.is(tagPath('http://example.com/dav/a', 'example.com:80'), '/dav/a');
  t.is(tagPath('https://example.com/dav/a', 'example.com'), '/dav/a');
  t.is(tagPath('https://example.com/dav/a', 'example.com:443'), '/dav/a');
  t.is(tagPath('http://example.com', 'example.com'), '/');
  t.is(tagPath('http://user@example.com/dav/../x', 'example.com'), '/dav/../x', 'dot segments are left to the path check');
  t.is(tagPath('http://[::1]:8080/dav/a', '[::1]:8080'), '/dav/a');
});

test('tagPath: another host, port or scheme, or a relative reference, is not ours', (t) => {
  t.is(tagPath('http://other:8080/dav/a', '127.0.0.1:8080'), undefined);
  t.is(tagPath('http://127.0.0.1:8081/dav/a', '127.0.0.1:8080'), undefined);
  t.is(tagPath('http://127.0.0.1/dav/a', '127.0.0.1:8080'), undefined);
  t.is(tagPath('http://127.0.0.1:8080/dav/a', '127.0.0.1'), undefined);
  t.is(tagPath('https://example.com:80/dav/a', 'example.com'), undefined);
  t.is(tagPath('ftp://example.com/dav/a', 'example.com'), undefined);
  t.is(tagPath('urn:uuid:x', 'example.com'), undefined);
  t.is(tagPath('dav/a', 'example.com'), undefined);
  t.is(tagPath('//example.com/dav/a', 'example.com'), undefined);
  t.is(tagPath('http://exa mple.com/dav/a', 'example.com'), undefined);
  t.is(tagPath('http://example.com/dav/a', ''), undefined);
});
