/**
 * The hostile-input corpus: raw requests, each with the answer kluis must give. They run against
 * a server seeded by `seededServer()` (files top.txt, docs/report.txt, café.txt, Å.txt and
 * docs/held.txt, the last checked out by alice); none of them may change anything.
 * Requests go as bob unless they say otherwise.
 */
import type { ProblemCode } from '../../src/errors.js';
import { AS } from '../http/rest/_support.js';
import { ALICE_AUTH, AUTH, B, CONTENT, END, file, form, MAX_UPLOAD, MP, part, r, sock, type Seeded, type Sent } from './_support.js';

export type Category =
  | 'traversal'
  | 'unicode'
  | 'device-names'
  | 'multipart-names'
  | 'multipart-structure'
  | 'header-floods'
  | 'protocol'
  | 'range'
  | 'timeout'
  | 'lock-tokens'
  | 'oversized'
  | 'checksums'
  | 'methods'
  | 'query';

export interface Expect {
  status: number;
  /** The problem code of a refusal. */
  code?: ProblemCode;
  /** The exact body of an answer that is not a refusal. */
  body?: string;
  /** A header the answer must carry. */
  header?: readonly [string, RegExp];
}

export interface Attack {
  category: Category;
  name: string;
  send: Sent | ((seeded: Seeded) => Sent);
  expect: Expect;
  /** A known bug in src/: the attack runs in a `test.failing` until it is fixed. */
  bug?: string;
}

const problem = (status: number, code: ProblemCode): Expect => ({ status, code });
const invalidPath = problem(400, 'invalid-path');
const badRequest = problem(400, 'bad-request');
const locked = problem(409, 'locked');
const forbidden = problem(403, 'forbidden');
const notFound = problem(404, 'not-found');
const notCheckedOut = problem(409, 'not-checked-out');

const attacks: Attack[] = [];
function add(category: Category, name: string, send: Attack['send'], expect: Expect, bug?: string): void {
  attacks.push({ category, name, send, expect, ...(bug ? { bug } : {}) });
}

// Path traversal in every encoding: each path is sent as a PUT (a write) and as a GET.
const TRAVERSALS: [string, string][] = [
  ['raw ..', '/files/../top.txt'],
  ['raw .. inside', '/files/docs/../top.txt'],
  ['raw .. last', '/files/docs/..'],
  ['raw .. directory', '/files/docs/../'],
  ['%2e%2e', '/files/docs/%2e%2e/top.txt'],
  ['mixed case %2E%2e', '/files/docs/%2E%2e/top.txt'],
  ['.%2e', '/files/docs/.%2e/top.txt'],
  ['%2e.', '/files/docs/%2e./top.txt'],
  ['%252e%252e', '/files/docs/%252e%252e/top.txt'],
  ['%252E%252E', '/files/docs/%252E%252E/top.txt'],
  ['%25%32%65 twice', '/files/docs/%25%32%65%25%32%65/top.txt'],
  ['..%2f', '/files/docs/..%2ftop.txt'],
  ['%2e%2e%2f chain', '/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['%252f', '/files/docs/..%252ftop.txt'],
  ['%2e%2e%5c', '/files/docs/%2e%2e%5ctop.txt'],
  ['..%5c', '/files/docs/..%5Ctop.txt'],
  ['overlong %c0%ae%c0%ae', '/files/docs/%c0%ae%c0%ae/top.txt'],
  ['overlong %c0%af', '/files/docs/..%c0%aftop.txt'],
  ['overlong 3-byte %e0%80%ae', '/files/docs/%e0%80%ae%e0%80%ae/top.txt'],
  ['raw backslash', '/files/docs\\..\\top.txt'],
  ['raw backslash after ..', '/files/docs/..\\top.txt'],
  ['NUL %00', '/files/top.txt%00.pdf'],
  ['NUL segment', '/files/docs/%00/top.txt'],
  ['.. then NUL', '/files/docs/%2e%2e%00/top.txt'],
  ['raw .', '/files/docs/./report.txt'],
  ['%2e', '/files/docs/%2e/report.txt'],
  ['empty segment', '/files/docs//report.txt'],
  ['IIS %u002e', '/files/docs/%u002e%u002e/top.txt'],
  ['%%32%65', '/files/docs/%%32%65%%32%65/top.txt'],
  ['absolute-form URL', 'http://evil.example/files/docs/../top.txt'],
];
for (const [name, path] of TRAVERSALS) {
  add('traversal', `PUT ${name}`, r('PUT', path, { 'Content-Type': 'text/plain' }, 'evil'), invalidPath);
  add('traversal', `GET ${name}`, r('GET', path), invalidPath);
}

// Unicode: NFD and NFC name one file; look-alikes of `.`, `..` and `/` are ordinary names.
add('unicode', 'GET NFD café reaches the NFC file', r('GET', '/files/cafe%CC%81.txt'), { status: 200, body: CONTENT.cafe });
add('unicode', 'HEAD NFD café', r('HEAD', '/files/cafe%CC%81.txt'), { status: 200, header: ['file-version', /^1$/] });
add('unicode', 'GET U+212B ANGSTROM SIGN reaches Å.txt', r('GET', '/files/%E2%84%AB.txt'), { status: 200, body: CONTENT.angstrom });
add('unicode', 'GET A + combining ring reaches Å.txt', r('GET', '/files/A%CC%8A.txt'), { status: 200, body: CONTENT.angstrom });
add('unicode', 'fullwidth ．． is not ..', r('GET', '/files/docs/%EF%BC%8E%EF%BC%8E/top.txt'), notFound);
add('unicode', 'fullwidth ．．／ is not ../', r('GET', '/files/docs/%EF%BC%8E%EF%BC%8E%EF%BC%8Ftop.txt'), notFound);
add('unicode', 'one dot leader ․․ is not ..', r('GET', '/files/docs/%E2%80%A4%E2%80%A4/top.txt'), notFound);
add('unicode', 'small full stop ﹒﹒ is not ..', r('GET', '/files/docs/%EF%B9%92%EF%B9%92/top.txt'), notFound);
add('unicode', 'division slash ∕ is not /', r('GET', '/files/docs%E2%88%95report.txt'), notFound);
add('unicode', 'BOM before a name', r('GET', '/files/%EF%BB%BFtop.txt'), notFound);
add('unicode', 'zero-width space in a name', r('GET', '/files/top%E2%80%8B.txt'), notFound);
add('unicode', 'lone surrogate %ed%a0%80', r('PUT', '/files/%ED%A0%80.txt', {}, 'evil'), invalidPath);
add('unicode', 'beyond U+10FFFF', r('PUT', '/files/%F4%90%80%80.txt', {}, 'evil'), invalidPath);
add('unicode', 'truncated UTF-8 sequence', r('PUT', '/files/%E2%82.txt', {}, 'evil'), invalidPath);
add('unicode', 'C1 control U+0085 (NEL)', r('GET', '/files/a%C2%85b.txt'), invalidPath, 'c1-controls');
add('unicode', 'C1 control U+009B (CSI)', r('GET', '/files/a%C2%9B%5B2J.txt'), invalidPath, 'c1-controls');

// Windows device names and aliases: ordinary names under a `f~` prefix, never the file they alias on Windows.
for (const name of ['CON', 'con', 'aux.txt', 'COM1', 'docs/NUL', 'LPT1.txt', 'PRN.log']) {
  add('device-names', `GET ${name} is an ordinary missing file`, r('GET', `/files/${name}`), notFound);
}
for (const [name, path] of [
  ['trailing dot', '/files/top.txt.'],
  ['trailing space', '/files/top.txt%20'],
  ['NTFS stream ::$DATA', '/files/top.txt::$DATA'],
  ['upper case', '/files/TOP.TXT'],
  ['8.3 short name', '/files/TOP~1.TXT'],
] as const) {
  add('device-names', `${name} is not an alias of top.txt`, r('GET', path), notFound);
}

// Multipart file names (POST to the directory docs/).
for (const [name, filename] of [
  ['absolute /etc/passwd', '/etc/passwd'],
  ['../', '../top.txt'],
  ['sub/../../', 'sub/../../top.txt'],
  ['drive letter', 'C:\\Windows\\win.ini'],
  ['UNC', '\\\\server\\share\\x.txt'],
  ['..\\', '..\\top.txt'],
  ['encoded ../', '%2e%2e/top.txt'],
  ['./', './x.txt'],
  ['empty segment', 'sub//x.txt'],
  ['over-long', `${'s'.repeat(251)}.txt`],
] as const) {
  add('multipart-names', `filename ${name}`, form('/files/docs/', file(filename) + END), invalidPath);
}
add('multipart-names', 'filename with raw NUL', form('/files/docs/', file('a\0b.txt') + END), badRequest);
add('multipart-names', 'filename with raw CR LF', form('/files/docs/', file('a\r\nb.txt') + END), badRequest);
add('multipart-names', 'filename* with NUL', form('/files/docs/', part(`name="f"; filename*=UTF-8''a%00b.txt`) + END), invalidPath);
add('multipart-names', 'filename* with CR LF', form('/files/docs/', part(`name="f"; filename*=UTF-8''a%0d%0ab.txt`) + END), invalidPath);
add('multipart-names', 'filename* with ../', form('/files/docs/', part(`name="f"; filename*=UTF-8''..%2ftop.txt`) + END), invalidPath);
add('multipart-names', 'a good file then ../', form('/files/docs/', file('ok.txt', 'fine') + file('../x.txt') + END), invalidPath);
add('multipart-names', 'a good file then the locked one', form('/files/docs/', file('ok.txt', 'fine') + file('held.txt') + END), locked);

// Multipart structure.
const bigHead = `X-Pad: ${'p'.repeat(17 * 1024)}\r\n`;
const manyHeads = Array.from({ length: 2500 }, (_, i) => `X-${i}: v\r\n`).join('');
const fields = (n: number) => Array.from({ length: n }, (_, i) => part(`name="f${i}"`, 'v')).join('');
const emptyFiles = (n: number) => Array.from({ length: n }, () => part('name="f"; filename=""', '')).join('');
add('multipart-structure', 'no boundary', r('POST', '/files/docs/', { 'Content-Type': 'multipart/form-data' }, file('a.txt') + END), badRequest);
add('multipart-structure', 'empty boundary', r('POST', '/files/docs/', { 'Content-Type': 'multipart/form-data; boundary=' }, file('a.txt') + END), badRequest);
add('multipart-structure', 'boundary not in the body', r('POST', '/files/docs/', { 'Content-Type': 'multipart/form-data; boundary=other' }, file('a.txt') + END), badRequest);
add('multipart-structure', 'garbled boundary line', form('/files/docs/', file('a.txt').replace(`--${B}`, `-${B}`) + END), badRequest);
add('multipart-structure', 'body ends mid-part', form('/files/docs/', file('a.txt', 'y'.repeat(100)).slice(0, -30)), badRequest);
add('multipart-structure', 'body ends in part headers', form('/files/docs/', `--${B}\r\nContent-Disposition: form-data; name="f"; filena`), badRequest);
add('multipart-structure', 'no closing boundary', form('/files/docs/', file('a.txt')), badRequest);
add('multipart-structure', 'part header over 16 KiB', form('/files/docs/', part('name="f"; filename="a.txt"', 'x', bigHead) + END), badRequest);
add('multipart-structure', 'part header flood (2500 lines)', form('/files/docs/', part('name="f"; filename="a.txt"', 'x', manyHeads) + END), badRequest);
add('multipart-structure', '101 fields (over the field limit)', form('/files/docs/', fields(101) + file('a.txt') + END), badRequest);
add('multipart-structure', '1001 file parts (over the file limit)', form('/files/docs/', emptyFiles(1001) + END), badRequest);
add('multipart-structure', '1101 parts (over the part limit)', form('/files/docs/', fields(100) + emptyFiles(1001) + END), badRequest);
add('multipart-structure', 'two files to a file URL', form('/files/new.txt', file('a.txt') + file('b.txt') + END), badRequest);
add('multipart-structure', 'no file part', form('/files/docs/', fields(3) + END), badRequest);
// A limit refuses, never truncates (a 64 KiB comment was once stored cut).
add('multipart-structure', 'comment field of 100 KiB', form('/files/docs/', part('name="comment"', 'c'.repeat(100 * 1024)) + file('a.txt') + END), problem(413, 'too-large'));
add('multipart-structure', 'comment field of 64 KiB + 1', form('/files/docs/', part('name="comment"', 'c'.repeat(64 * 1024 + 1)) + file('a.txt') + END), problem(413, 'too-large'));
add('multipart-structure', 'only a closing boundary', form('/files/docs/', END), badRequest);
add('multipart-structure', 'part without Content-Disposition', form('/files/docs/', `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n${END}`), badRequest);
add('multipart-structure', 'random bytes', form('/files/docs/', '\u00ff\u0000garbage\r\n\r\n--\r\n'), badRequest);
add('multipart-structure', 'multipart/mixed', r('POST', '/files/docs/', { 'Content-Type': `multipart/mixed; boundary=${B}` }, file('a.txt') + END), badRequest);
add('multipart-structure', 'raw body to POST', r('POST', '/files/new.txt', { 'Content-Type': 'text/plain' }, 'evil'), badRequest);
// A whole file part, then a body that ends: a directory upload may still be staging the first part when the parser fails.
const truncatedAfterFile = `${file('a.txt', 'whole')}--${B}\r\nContent-Disposition: form-data; name="f"; filena`;
// A delimiter inside a part's header block (its CRLF is the block's blank line), then "\r\n--": busboy opened the part and never ended it (found by the fuzz).
add(
  'multipart-structure',
  "a delimiter inside a file part's headers, then --",
  form('/files/docs/', `--${B}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n--${B}\r\n--`),
  badRequest,
  'multipart-part-left-open',
);
// The same, then \r\n and a second part's headers: busboy opened the second over the first, never ending the first (found in review).
add(
  'multipart-structure',
  "a delimiter inside a file part's headers, then another part",
  form('/files/docs/', `--${B}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n--${B}\r\n\r\nContent-Disposition: form-data; name="g"; filename="b.txt"\r\n\r\ndata\r\n${END}`),
  badRequest,
  'multipart-part-left-open',
);
add('multipart-structure', 'a whole file, then the body ends (directory)', form('/files/docs/', truncatedAfterFile), badRequest, 'multipart-error-leaks-staged-part');
add(
  'multipart-structure',
  'a whole file, then the body ends mid-data',
  form('/files/docs/', file('a.txt', 'whole') + file('b.txt', 'y'.repeat(100)).slice(0, -30)),
  badRequest,
  'multipart-error-leaks-staged-part',
);
add('multipart-structure', 'a whole file, then the body ends (file URL)', form('/files/new.txt', truncatedAfterFile), badRequest);
add('multipart-structure', 'a whole file, then the body ends (?checkin)', (c) => form('/files/docs/held.txt?checkin', truncatedAfterFile, { ...AS.alice, 'Lock-Token': `<${c.token}>` }), badRequest);
add('multipart-structure', 'multipart to the locked file', form('/files/docs/held.txt', file('held.txt') + END), locked);

// Header floods (Node's limit is 16 KiB of headers; its own answer to more is 431).
const HEADERS_3000: Record<string, string> = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`x-flood-${i}`, 'v']));
// Node keeps the first 1000 header lines and drops the rest silently: Host must come first.
const HEADERS_1500: Record<string, string> = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`x${i}`, 'v']));
add('header-floods', '3000 headers', r('GET', '/files/top.txt', HEADERS_3000), { status: 431 }, 'header-overflow-400');
add('header-floods', 'one 20 KiB header value', r('GET', '/files/top.txt', { 'X-Long': 'a'.repeat(20_000) }), { status: 431 }, 'header-overflow-400');
add('header-floods', '20 KiB URL', r('GET', `/files/${'a/'.repeat(10_000)}x`), { status: 431 }, 'header-overflow-400');
add('header-floods', '20 KiB Lock-Token', r('PUT', '/files/docs/held.txt', { 'Lock-Token': 'x'.repeat(20_000) }, 'evil'), { status: 431 }, 'header-overflow-400');
add('header-floods', '1500 headers under the size limit are served', r('GET', '/files/top.txt', { Host: 'kluis', ...HEADERS_1500 }), { status: 200, body: CONTENT.top2 });
add('header-floods', '1500 headers that push Host out', r('GET', '/files/top.txt', HEADERS_1500), badRequest, 'host-bare-400');
add('header-floods', '500 Lock-Token headers', sock(`PUT /files/docs/held.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\n${'Lock-Token: <urn:uuid:x>\r\n'.repeat(500)}Content-Length: 4`, 'evil'), locked);
add('header-floods', '300 Range headers', sock(`GET /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\n${Array(300).fill('Range: bytes=0-1').join('\r\n')}`), { status: 200, body: CONTENT.top2 });

// The protocol itself: smuggling shapes and malformed request lines, answered by the parser.
const protocolCases: [string, string][] = [
  ['Content-Length and chunked', `PUT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked`],
  ['two Content-Length', `PUT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nContent-Length: 4\r\nContent-Length: 5`],
  ['obs-fold header', `GET /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nX-Folded: a\r\n  b`],
  ['header name with a space', `GET /files/top.txt HTTP/1.1\r\nHost: x\r\nBad Header: x`],
  ['NUL in a header value', `GET /files/top.txt HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b`],
  ['raw NUL in the URL', 'GET /files/top.txt\0.pdf HTTP/1.1\r\nHost: x'],
  ['raw space in the URL', 'GET /files/a b.txt HTTP/1.1\r\nHost: x'],
  ['raw UTF-8 in the URL', 'GET /files/caf\u00e9.txt HTTP/1.1\r\nHost: x'],
  ['HTTP/9.9', 'GET /files/top.txt HTTP/9.9\r\nHost: x'],
  ['Content-Length over 2^64', `PUT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nContent-Length: 99999999999999999999999`],
  ['negative Content-Length', `PUT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nContent-Length: -1`],
];
for (const [name, lines] of protocolCases) add('protocol', name, sock(lines), badRequest);
// The parser fails after the headers, once the handler has started: the client is gone before staging begins.
add('protocol', 'Transfer-Encoding gzip', sock(`PUT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nTransfer-Encoding: gzip`), badRequest, 'early-abort-leaks-staging');
add(
  'protocol',
  'chunked body with a bad chunk size',
  sock(`PUT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nTransfer-Encoding: chunked`, 'zz\r\nevil\r\n0\r\n\r\n'),
  badRequest,
  'early-abort-leaks-staging',
);
add('protocol', 'missing Host', sock(`GET /files/top.txt HTTP/1.1\r\n${AUTH}`), badRequest, 'host-bare-400');

// Range.
const many = Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',');
const SIZE = CONTENT.top2.length;
const unsatisfiable: Expect = { status: 416, code: 'range-not-satisfiable', header: ['content-range', new RegExp(`^bytes \\*/${SIZE}$`)] };
const whole: Expect = { status: 200, body: CONTENT.top2 };
for (const [value, expect] of [
  ['bytes=99999999999999999999-', unsatisfiable],
  ['bytes=-0', unsatisfiable],
  [`bytes=${SIZE}-`, unsatisfiable],
  ['bytes=5-1', whole],
  [`bytes=${many}`, whole],
  ['bytes=0-99999999999999999999', { status: 206, body: CONTENT.top2, header: ['content-range', new RegExp(`^bytes 0-${SIZE - 1}/${SIZE}$`)] }],
  ['bytes=-99999999999999999999', { status: 206, body: CONTENT.top2 }],
  ['bytes=0-0', { status: 206, body: 't' }],
  ['bytes=1e3-', whole],
  ['bytes=0x1-2', whole],
  ['bytes=--1', whole],
  ['bytes=-', whole],
  ['bytes=', whole],
  ['items=0-1', whole],
  [`bytes=${' '.repeat(12_000)}x`, whole],
] as [string, Expect][]) {
  add('range', `Range: ${value.slice(0, 40)}`, r('GET', '/files/top.txt', { Range: value }), expect);
}
add('range', 'Range with a garbage If-Range', r('GET', '/files/top.txt', { Range: 'bytes=0-1', 'If-Range': '"nope"' }), whole);

// Absurd Timeout values on CHECKOUT of alice's file (409 locked: nothing may change).
for (const timeout of ['Second-99999999999999', 'Infinite', 'garbage', 'Second--1', 'Second-1e9', 'Second-0', `Second-${'9'.repeat(400)}`, ', '.repeat(2000)]) {
  add('timeout', `CHECKOUT Timeout: ${timeout.slice(0, 30)}`, r('CHECKOUT', '/files/docs/held.txt', { Timeout: timeout }), locked);
}
add('timeout', 'POST ?checkout with Timeout: Infinite', r('POST', '/files/docs/held.txt?checkout', { Timeout: 'Infinite' }), locked);
add('timeout', 'alice without her token, Timeout: Infinite', r('CHECKOUT', '/files/docs/held.txt', { ...AS.alice, Timeout: 'Infinite' }), locked);
add('timeout', 'CHECKOUT of a directory', r('CHECKOUT', '/files/docs/', { Timeout: 'Infinite' }), badRequest);
add('timeout', 'CHECKOUT by a read-only user', r('CHECKOUT', '/files/top.txt', { ...AS.reader, Timeout: 'Second-99999999999999' }), forbidden);

// Lock tokens: alice's token in bob's hands (403), malformed If and Lock-Token headers.
const tok = (c: Seeded) => `<${c.token}>`;
const held = '/files/docs/held.txt';
add('lock-tokens', 'PUT with Lock-Token', (c) => r('PUT', held, { 'Lock-Token': tok(c) }, 'evil'), forbidden);
add('lock-tokens', 'PUT with a bare token', (c) => r('PUT', held, { 'Lock-Token': c.token }, 'evil'), forbidden);
add('lock-tokens', 'PUT with If: (<token>)', (c) => r('PUT', held, { If: `(${tok(c)})` }, 'evil'), forbidden);
add('lock-tokens', 'DELETE with the token', (c) => r('DELETE', held, { 'Lock-Token': tok(c) }), forbidden);
add('lock-tokens', 'restore with the token', (c) => r('POST', `${held}?restore=1`, { 'Lock-Token': tok(c) }), forbidden);
add('lock-tokens', 'UNLOCK with the token', (c) => r('UNLOCK', held, { 'Lock-Token': tok(c) }), forbidden);
add('lock-tokens', '?uncheckout with the token', (c) => r('POST', `${held}?uncheckout`, { 'Lock-Token': tok(c) }), forbidden);
add('lock-tokens', 'POST ?checkin with the token', (c) => r('POST', `${held}?checkin`, { 'Lock-Token': tok(c) }), forbidden);
add('lock-tokens', 'PUT ?checkin with the token', (c) => r('PUT', `${held}?checkin`, { 'Lock-Token': tok(c) }, 'evil'), forbidden);
add('lock-tokens', 'CHECKOUT refresh with the token', (c) => r('CHECKOUT', held, { 'Lock-Token': tok(c), Timeout: 'Infinite' }), forbidden);
add('lock-tokens', 'multipart with the token', (c) => form(held, file('held.txt') + END, { 'Lock-Token': tok(c) }), forbidden);
add('lock-tokens', '?uncheckout&force by a non-admin', r('POST', `${held}?uncheckout&force`), forbidden);
add('lock-tokens', 'UNLOCK ?force by a non-admin', r('UNLOCK', `${held}?force`), forbidden);
add('lock-tokens', 'read-only user with the token', (c) => r('PUT', held, { ...AS.reader, 'Lock-Token': tok(c) }, 'evil'), forbidden);
add('lock-tokens', 'no credentials with the token', (c) => ({ method: 'PUT', path: held, headers: { 'Lock-Token': tok(c) }, body: 'evil' }), problem(401, 'unauthorized'));
add(
  'lock-tokens',
  'wrong password with the token',
  (c) => r('PUT', held, { Authorization: `Basic ${Buffer.from('alice:guess').toString('base64')}`, 'Lock-Token': tok(c) }, 'evil'),
  problem(401, 'unauthorized'),
);
add('lock-tokens', 'garbage Bearer', r('PUT', held, { Authorization: 'Bearer %%%' }, 'evil'), problem(401, 'unauthorized'));
add('lock-tokens', 'upper-cased token', (c) => r('PUT', held, { ...AS.alice, 'Lock-Token': c.token.toUpperCase() }, 'evil'), locked);
add('lock-tokens', 'token with trailing junk', (c) => r('PUT', held, { ...AS.alice, 'Lock-Token': `${tok(c)}x` }, 'evil'), locked);
add('lock-tokens', 'token twice in one header', (c) => r('PUT', held, { ...AS.alice, 'Lock-Token': `${tok(c)}, ${tok(c)}` }, 'evil'), locked);
add('lock-tokens', 'If: garbage', r('PUT', held, { If: '((((<<<>>>' }, 'evil'), locked);
add('lock-tokens', 'If: (<urn:uuid:>)', r('PUT', held, { If: '(<urn:uuid:>)' }, 'evil'), locked);
add('lock-tokens', 'If: 10000 parentheses', r('PUT', held, { If: '('.repeat(10_000) }, 'evil'), locked);
add('lock-tokens', 'If: a token naming no lock', r('PUT', '/files/top.txt', { If: '(<urn:uuid:00000000-0000-0000-0000-000000000000>)' }, 'evil'), notCheckedOut);
add('lock-tokens', 'If: unclosed list', r('PUT', '/files/top.txt', { If: '(<urn:uuid:x>' }, 'evil'), notCheckedOut);
add('lock-tokens', 'Lock-Token: <>', r('PUT', '/files/top.txt', { 'Lock-Token': '<>' }, 'evil'), notCheckedOut);
add('lock-tokens', 'Lock-Token: <<<<>>>>', r('PUT', '/files/top.txt', { 'Lock-Token': '<<<<>>>>' }, 'evil'), notCheckedOut);
add('lock-tokens', 'Lock-Token: 8 KiB of garbage', r('DELETE', '/files/top.txt', { 'Lock-Token': '\u00e9'.repeat(4096) }), notCheckedOut);
add('lock-tokens', 'UNLOCK with garbage', r('UNLOCK', '/files/top.txt', { 'Lock-Token': 'garbage' }), notCheckedOut);
add('lock-tokens', '?checkin with garbage', r('POST', '/files/top.txt?checkin', { 'Lock-Token': 'garbage' }), notCheckedOut);

// Oversized bodies (limit 64 KiB): Content-Length over it is 413 before a byte is read, so these send headers only.
const head = (method: string, path: string, extra: string, auth = AUTH): Sent => sock(`${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}\r\n${extra}`);
const tooLarge = problem(413, 'too-large');
add('oversized', 'PUT Content-Length 10^12, headers only', head('PUT', '/files/top.txt', 'Content-Length: 1000000000000'), tooLarge);
add('oversized', 'PUT one byte over, headers only', head('PUT', '/files/top.txt', `Content-Length: ${MAX_UPLOAD + 1}`), tooLarge);
add('oversized', 'PUT 10^12 with Expect: 100-continue', head('PUT', '/files/top.txt', 'Content-Length: 1000000000000\r\nExpect: 100-continue'), tooLarge);
add('oversized', 'multipart to a directory, headers only', head('POST', '/files/docs/', `Content-Type: ${MP['Content-Type']}\r\nContent-Length: 1000000000000`), tooLarge);
add('oversized', 'multipart to a file, headers only', head('POST', '/files/new.txt', `Content-Type: ${MP['Content-Type']}\r\nContent-Length: 1000000000000`), tooLarge);
add('oversized', 'PUT ?checkin by the holder, headers only', (c) => head('PUT', `${held}?checkin`, `Lock-Token: ${tok(c)}\r\nContent-Length: 1000000000000`, ALICE_AUTH), tooLarge);
add('oversized', 'POST ?checkin by the holder, headers only', (c) => head('POST', `${held}?checkin`, `Lock-Token: ${tok(c)}\r\nContent-Length: 1000000000000`, ALICE_AUTH), tooLarge);
add('oversized', 'chunked PUT over the limit', r('PUT', '/files/top.txt', { 'Transfer-Encoding': 'chunked' }, Buffer.alloc(MAX_UPLOAD + 4096, 'a')), tooLarge);
add('oversized', 'chunked multipart part over the limit', form('/files/docs/', file('big.txt', 'b'.repeat(MAX_UPLOAD + 4096)) + END, { 'Transfer-Encoding': 'chunked' }), tooLarge);

// Content-Digest and Content-MD5 that do not match or do not parse.
const ZERO_SHA = `sha-256=:${Buffer.alloc(32).toString('base64')}:`;
const ZERO_MD5 = Buffer.alloc(16).toString('base64');
const mismatch = problem(400, 'checksum-mismatch');
for (const [name, headers, expect] of [
  ['Content-Digest of other bytes', { 'Content-Digest': ZERO_SHA }, mismatch],
  ['Content-Digest too short', { 'Content-Digest': 'sha-256=:AAAA:' }, mismatch],
  ['Content-Digest right then wrong', { 'Content-Digest': `sha-256=:${Buffer.from('x').toString('base64')}:, ${ZERO_SHA}` }, mismatch],
  ['Content-Digest without colons', { 'Content-Digest': 'sha-256=abc' }, badRequest],
  ['Content-Digest not base64', { 'Content-Digest': 'sha-256=:!!!:' }, badRequest],
  ['Content-Digest of 5000 members', { 'Content-Digest': 'x,'.repeat(5000) }, badRequest],
  ['Content-MD5 of other bytes', { 'Content-MD5': ZERO_MD5 }, mismatch],
  ['Content-MD5 in hex', { 'Content-MD5': 'd41d8cd98f00b204e9800998ecf8427e' }, badRequest],
  ['Content-MD5 garbage', { 'Content-MD5': '%%%' }, badRequest],
] as const) {
  add('checksums', name, r('PUT', '/files/top.txt', headers, 'evil'), expect);
}
add('checksums', 'PUT ?checkin by the holder with a wrong digest', (c) => r('PUT', `${held}?checkin`, { ...AS.alice, 'Lock-Token': tok(c), 'Content-Digest': ZERO_SHA }, 'evil'), mismatch);
add('checksums', 'POST ?checkin by the holder with a wrong MD5', (c) => r('POST', `${held}?checkin`, { ...AS.alice, 'Lock-Token': tok(c), 'Content-MD5': ZERO_MD5 }, 'evil'), mismatch);

// Methods: the parser refuses some (501 for the DeltaV ones), /files refuses others (405).
for (const method of ['CHECKIN', 'UNCHECKOUT', 'VERSION-CONTROL']) {
  add('methods', method, sock(`${method} /files/docs/held.txt HTTP/1.1\r\nHost: x\r\n${AUTH}\r\nContent-Length: 0`), problem(501, 'method-not-supported'));
}
add('methods', 'unknown method FOO', sock(`FOO /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}`), badRequest);
add('methods', 'lower-case get', sock(`get /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}`), badRequest);
for (const method of ['PATCH', 'PROPFIND', 'LOCK', 'MKCOL', 'MOVE', 'COPY', 'TRACE']) {
  add('methods', method, r(method, '/files/top.txt', { Destination: '/files/../x' }), problem(405, 'method-not-allowed'));
}
add('methods', 'CONNECT', sock(`CONNECT /files/top.txt HTTP/1.1\r\nHost: x\r\n${AUTH}`), problem(405, 'method-not-allowed'), 'connect-dropped');

// Query strings.
for (const query of [
  'version=1e400',
  'version=-1',
  'version=0',
  'version=1.0',
  'version=0x1',
  'version=%EF%BC%91',
  'version=9999999999999999',
  'version=1&version=1',
  'version=',
  'version=NaN',
  'version=1;version=2',
]) {
  add('query', `GET ?${query}`, r('GET', `/files/top.txt?${query}`), badRequest);
}
add('query', 'GET ?version=999999999999999', r('GET', '/files/top.txt?version=999999999999999'), notFound);
add('query', 'GET ?version=%31 is version 1', r('GET', '/files/top.txt?version=%31'), { status: 200, body: CONTENT.top1 });
add('query', 'GET ?__proto__=1&version=1', r('GET', '/files/top.txt?__proto__=1&constructor=2&version=1'), { status: 200, body: CONTENT.top1 });
for (const query of ['base=-1', 'base=1&base=2', 'base=99999999999999999999', 'base=1e400']) {
  add('query', `PUT ?${query}`, r('PUT', `/files/top.txt?${query}`, {}, 'evil'), badRequest);
}
for (const query of ['restore=0', 'restore=1e400', 'restore=-1', 'restore', 'pin=abc', 'pin=1&unpin=1', 'unpin=-1']) {
  add('query', `POST ?${query}`, r('POST', `/files/top.txt?${query}`), badRequest);
}
add('query', 'POST ?restore=99', r('POST', '/files/top.txt?restore=99'), notFound);
add('query', 'POST ?pin=99', r('POST', '/files/top.txt?pin=99'), notFound);
add('query', 'PUT ?comment twice', r('PUT', '/files/top.txt?comment=a&comment=b', {}, 'evil'), badRequest, 'comment-twice-leaks-staging');
add('query', 'multipart ?comment twice', form('/files/docs/?comment=a&comment=b', file('new.txt') + END), badRequest, 'comment-twice-leaks-staging');
add(
  'query',
  'POST ?checkin&comment twice by the holder',
  (c) => r('POST', `${held}?checkin&comment=a&comment=b`, { ...AS.alice, 'Lock-Token': tok(c) }, 'evil'),
  badRequest,
  'comment-twice-leaks-staging',
);

export const CORPUS: readonly Attack[] = attacks;
