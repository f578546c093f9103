/**
 * How /dav reads the names in a request: the request target in origin form (`/dav/x`) or
 * absolute form (`http://host/dav/x`, RFC 9112 §3.2.2) names the same resource, as on /files;
 * a COPY/MOVE `Destination` is validated exactly as a request path, as written: what a URL
 * parser would silently rewrite (a TAB dropped, `\` turned into `/`, `..` resolved) is 400
 * `invalid-path` and changes nothing.
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import { assertProblem, rawSocket } from '../rest/_support.js';
import { dav, davServer, files, hostOf, versionsOf } from './_support.js';

test('PUT and GET in absolute form on /dav reach the file, as on /files', async (t) => {
  const s = await davServer(t);
  const host = hostOf(s);
  const body = 'absolute form';
  const answer = await rawSocket(s.url, `PUT http://${host}/dav/abs.txt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  t.regex(answer, /^HTTP\/1\.1 201 /, answer);
  t.is((await files(s, 'GET', 'abs.txt')).text, body);
  const read = await rawSocket(s.url, `GET http://${host}/dav/abs.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  t.regex(read, /^HTTP\/1\.1 200 [\s\S]*absolute form$/, read);
});

test('a Destination with a TAB, a backslash, a dot segment or a control character is 400 invalid-path and nothing is copied or moved', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'src.txt', Buffer.from('source'));
  await put(s.url, 'dir/keep.txt', Buffer.from('keep'));
  const base = `http://${hostOf(s)}/dav/`;
  const bad = [`${base}x\t11.txt`, `${base}dir\\x.txt`, `${base}dir/../x.txt`, `${base}dir/%2e%2e/x.txt`, '/dav/a\tb.txt', `${base}x%09y.txt`, `${base}a%5Cb.txt`];
  for (const destination of bad) {
    for (const method of ['COPY', 'MOVE']) assertProblem(t, await dav(s, method, 'src.txt', { Destination: destination }), 400, 'invalid-path');
  }
  // What a URL parser would have made of them.
  for (const name of ['x11.txt', 'dir/x.txt', 'x.txt', 'ab.txt', 'a/b.txt', 'xy.txt']) t.deepEqual(await versionsOf(s, name), [], name);
  t.is((await files(s, 'GET', 'src.txt')).text, 'source', 'the source stayed');
});

test('a Destination in absolute-path or network-path form, with userinfo, or with another letter case of this host, is this server', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'src.txt', Buffer.from('source'));
  t.is((await dav(s, 'COPY', 'src.txt', { Destination: '/dav/path-form.txt' })).status, 201);
  const host = hostOf(s).toUpperCase();
  t.is((await dav(s, 'COPY', 'src.txt', { Destination: `http://${host}/dav/upper.txt` })).status, 201);
  t.is((await dav(s, 'COPY', 'src.txt', { Destination: `http://someone@${hostOf(s)}/dav/userinfo.txt` })).status, 201, 'userinfo names no other server');
  t.is((await dav(s, 'COPY', 'src.txt', { Destination: `//${hostOf(s)}/dav/network-path.txt` })).status, 201, 'a network-path reference');
  for (const name of ['path-form.txt', 'upper.txt', 'userinfo.txt', 'network-path.txt']) t.is((await files(s, 'GET', name)).text, 'source', name);
  assertProblem(t, await dav(s, 'COPY', 'src.txt', { Destination: 'http://elsewhere.example/dav/x.txt' }), 502, 'bad-gateway');
  assertProblem(t, await dav(s, 'COPY', 'src.txt', { Destination: `ftp://${hostOf(s)}/dav/x.txt` }), 502, 'bad-gateway');
  assertProblem(t, await dav(s, 'COPY', 'src.txt', { Destination: 'relative.txt' }), 400, 'bad-request');
  assertProblem(t, await dav(s, 'COPY', 'src.txt', { Destination: `http://${hostOf(s)}/dav/q.txt?x=1` }), 400, 'bad-request');
});
