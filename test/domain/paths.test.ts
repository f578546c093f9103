import test, { type ExecutionContext } from 'ava';
import { joinKey, MAX_PATH_BYTES, MAX_SEGMENT_BYTES, parseRelativeName, parseUrlPath } from '../../src/domain/paths.js';
import { Problem } from '../../src/errors.js';

function refused(t: ExecutionContext, fn: () => unknown, label: string): void {
  const err = t.throws(fn, { instanceOf: Problem }, label);
  t.is(err?.code, 'invalid-path', label);
  t.is(err?.status, 400, label);
}

test('parseUrlPath: plain files, directories and the root', (t) => {
  t.deepEqual(parseUrlPath(''), { key: '', directory: true });
  t.deepEqual(parseUrlPath('a.txt'), { key: 'a.txt', directory: false });
  t.deepEqual(parseUrlPath('docs/a.txt'), { key: 'docs/a.txt', directory: false });
  t.deepEqual(parseUrlPath('docs/'), { key: 'docs', directory: true });
  t.deepEqual(parseUrlPath('docs/sub/'), { key: 'docs/sub', directory: true });
});

test('parseUrlPath: percent-encoding is decoded once', (t) => {
  t.is(parseUrlPath('my%20docs/r%C3%A9sum%C3%A9.txt').key, 'my docs/résumé.txt');
  t.is(parseUrlPath('100%25.txt').key, '100%.txt');
  t.is(parseUrlPath('a%2Bb+c.txt').key, 'a+b+c.txt');
  t.is(parseUrlPath('%E6%97%A5%E6%9C%AC/').key, '日本');
  // A literal percent sign that decodes to something harmless stays what it is.
  t.is(parseUrlPath('%2541.txt').key, '%41.txt');
});

test('parseUrlPath: dot segments are refused, plain, percent-encoded and double-encoded', (t) => {
  for (const raw of ['..', '.', 'a/../b', 'a/./b', '../x', 'a/..', 'a/../', '%2e%2e', '%2E%2E/x', 'a/%2e%2e/b', '.%2e', '%2e.', '%2e', 'a/%2e/', '%252e%252e', '%252E%252E/x', 'a/%252e']) {
    refused(t, () => parseUrlPath(raw), raw);
  }
  // Names that merely contain dots are fine.
  t.is(parseUrlPath('...').key, '...');
  t.is(parseUrlPath('..a/.b/c.').key, '..a/.b/c.');
});

test('parseUrlPath: encoded slashes and backslashes are refused', (t) => {
  for (const raw of ['a%2Fb', 'a%2fb', '%2F', 'a%252Fb', 'a\\b', 'a%5Cb', 'a%5cb', '..%5C..%5Cetc', 'a%255Cb']) {
    refused(t, () => parseUrlPath(raw), raw);
  }
});

test('parseUrlPath: NUL and control characters are refused', (t) => {
  for (const raw of ['%00', 'a%00b', 'a.txt%00.jpg', '%01', '%0a', '%0D%0A', '%1F', '%7F', 'a\tb', '%2500']) {
    refused(t, () => parseUrlPath(raw), raw);
  }
});

test('parseUrlPath: empty segments are refused', (t) => {
  for (const raw of ['/', '/a', 'a//b', 'a//', '//', 'a/b//c']) refused(t, () => parseUrlPath(raw), raw);
});

test('parseUrlPath: malformed percent-encoding is refused', (t) => {
  for (const raw of ['%zz', 'a%', '%', 'a%2', '%E6%97', '%C3', '%G1/x']) refused(t, () => parseUrlPath(raw), raw);
});

test('parseUrlPath: a segment over 250 bytes and a path over 900 bytes are refused; the limits themselves pass', (t) => {
  t.is(MAX_SEGMENT_BYTES, 250);
  t.is(MAX_PATH_BYTES, 900);
  t.is(parseUrlPath('a'.repeat(250)).key.length, 250);
  refused(t, () => parseUrlPath('a'.repeat(251)), '251 ascii bytes');
  // Bytes, not characters: 125 × "é" is 250 bytes, 126 is 252.
  t.is(parseUrlPath(encodeURIComponent('é'.repeat(125))).key, 'é'.repeat(125));
  refused(t, () => parseUrlPath(encodeURIComponent('é'.repeat(126))), '126 × é');
  const exactly900 = `${'b'.repeat(224)}/`.repeat(3) + 'c'.repeat(225);
  t.is(Buffer.byteLength(exactly900), 900);
  t.is(parseUrlPath(exactly900).key, exactly900);
  t.deepEqual(parseUrlPath(`${exactly900}/`), { key: exactly900, directory: true });
  refused(t, () => parseUrlPath(`${exactly900}x`), '901 bytes');
  refused(t, () => parseUrlPath(`${'e'.repeat(200)}/`.repeat(5)), 'directory of 1004 bytes');
});

test('parseUrlPath: NFD input is normalised to NFC', (t) => {
  const nfd = 'cafe\u0301/re\u0301sume\u0301.txt';
  const nfc = 'caf\u00e9/r\u00e9sum\u00e9.txt';
  t.not(nfd, nfc);
  t.is(parseUrlPath(nfd.split('/').map(encodeURIComponent).join('/')).key, nfc);
  t.is(parseUrlPath(nfc.split('/').map(encodeURIComponent).join('/')).key, nfc);
  t.is(parseUrlPath(`${encodeURIComponent('cafe\u0301')}/`).key, 'caf\u00e9');
});

test('parseRelativeName: relative names and folder uploads are accepted', (t) => {
  t.is(parseRelativeName('notes.txt'), 'notes.txt');
  t.is(parseRelativeName('sub/notes.txt'), 'sub/notes.txt');
  t.is(parseRelativeName('my notes (1).txt'), 'my notes (1).txt');
  t.is(parseRelativeName('re\u0301sume\u0301.txt'), 'r\u00e9sum\u00e9.txt');
  t.is(parseRelativeName('100%.txt'), '100%.txt');
});

test('parseRelativeName: absolute names are refused', (t) => {
  for (const name of ['/etc/passwd', '/x', 'C:\\x', 'c:x', 'C:/Windows/x', 'Z:', '\\\\server\\share\\x', '\\x']) {
    refused(t, () => parseRelativeName(name), name);
  }
});

test('parseRelativeName: dot segments, empty segments, backslashes, NUL, control characters and over-long names are refused', (t) => {
  for (const name of ['..', '.', '../x', 'a/../b', 'sub/./x', '', 'a//b', 'a/', 'a\\b', '..\\x', 'a\0b', 'a\nb', '%2e%2e', 'x'.repeat(251)]) {
    refused(t, () => parseRelativeName(name), JSON.stringify(name));
  }
  refused(t, () => parseRelativeName(Array.from({ length: 5 }, () => 'y'.repeat(200)).join('/')), 'path over 900 bytes');
});

test('joinKey joins a directory key and a relative name, and enforces the path limit', (t) => {
  t.is(joinKey('', 'a.txt'), 'a.txt');
  t.is(joinKey('docs', 'a.txt'), 'docs/a.txt');
  t.is(joinKey('docs/sub', 'x/y.txt'), 'docs/sub/x/y.txt');
  const dir = 'd'.repeat(450);
  t.is(joinKey(dir, 'n'.repeat(449)).length, 900);
  refused(t, () => joinKey(dir, 'n'.repeat(450)), 'joined path of 901 bytes');
});
