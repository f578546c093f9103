/** A folder named without its slash (`GET /files/docs`) redirects to the folder, as a newcomer meant it. */
import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem } from './_support.js';

test('GET or HEAD /files/docs with no file docs but a folder docs/ is 302 to /files/docs/; a file of that name is served; other reads stay 404', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'docs/a b/x.txt', Buffer.from('x'));
  for (const method of ['GET', 'HEAD']) {
    for (const [url, location] of <[string, string][]>[
      ['/files/docs', '/files/docs/'],
      ['/files/docs/a%20b', '/files/docs/a%20b/'],
    ]) {
      const answer = await request(`${s.url}${url}`, { method });
      t.is(answer.status, 302, `${method} ${url}`);
      t.is(answer.headers.get('location'), location);
      t.is(answer.text, '');
    }
  }
  assertProblem(t, await request(`${s.url}/files/nothing`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/docs?version=1`), 404, 'not-found');
  assertProblem(t, await request(`${s.url}/files/docs?versions`), 404, 'not-found');
  // A folder whose files are all deleted sends nobody there.
  await put(s.url, 'gone/x.txt', Buffer.from('x'));
  await request(`${s.url}/files/gone/x.txt`, { method: 'DELETE' });
  assertProblem(t, await request(`${s.url}/files/gone`), 404, 'not-found');
  // Nor does one whose only sub-folder was deleted on /dav (its deleted files stay in it).
  await put(s.url, 'shelf/old/y.txt', Buffer.from('y'));
  t.is((await request(`${s.url}/dav/shelf/old/`, { method: 'DELETE' })).status, 204);
  assertProblem(t, await request(`${s.url}/files/shelf`), 404, 'not-found');
  await put(s.url, 'docs', Buffer.from('a file beside the folder'));
  t.is((await request(`${s.url}/files/docs`)).text, 'a file beside the folder');
  const viaDav = await request(`${s.url}/dav/docs/a%20b`, { method: 'GET' });
  t.is(viaDav.status, 200, '/dav is left as WebDAV defines it: a GET of a collection without its slash is its listing');
  t.is(viaDav.headers.get('location'), null);
});
