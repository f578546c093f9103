import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem, sha256hex } from './_support.js';

interface Page {
  path: string;
  versions: { version: number; sha256: string | null }[];
  lock: unknown;
  next?: string;
}

test('?versions answers the history newest first, 100 per page, with next and Link to older pages', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const n = 230;
  for (let i = 1; i <= n; i++) t.is((await put(s.url, 'long.txt', Buffer.from(`v${i}`))).status, i === 1 ? 201 : 200);

  const seen: number[] = [];
  let url: string | undefined = '/files/long.txt?versions';
  let pages = 0;
  while (url) {
    const answer = await request(`${s.url}${url}`);
    t.is(answer.status, 200);
    const page = answer.json as Page;
    pages++;
    t.true(page.versions.length <= 100);
    t.is(answer.headers.get('link'), page.next === undefined ? null : `<${page.next}>; rel="next"`);
    for (const v of page.versions) t.is(v.sha256, sha256hex(`v${v.version}`));
    seen.push(...page.versions.map((v) => v.version));
    url = page.next;
  }
  t.is(pages, 3);
  t.deepEqual(
    seen,
    Array.from({ length: n }, (_, i) => n - i),
    'every version once, newest first',
  );

  const small = (await request(`${s.url}/files/long.txt?versions&limit=7&before=20`)).json as Page;
  t.deepEqual(
    small.versions.map((v) => v.version),
    [19, 18, 17, 16, 15, 14, 13],
  );
  t.is(small.next, '/files/long.txt?versions&limit=7&before=13');
  const last = (await request(`${s.url}/files/long.txt?versions&limit=5&before=4`)).json as Page;
  t.deepEqual(
    last.versions.map((v) => v.version),
    [3, 2, 1],
  );
  t.is(last.next, undefined);
  t.deepEqual(((await request(`${s.url}/files/long.txt?versions&before=1`)).json as Page).versions, []);

  // Old versions (moved out of the record into history pages) read, restore and pin as before.
  t.is((await request(`${s.url}/files/long.txt?version=3`)).text, 'v3');
  const restored = await request(`${s.url}/files/long.txt?restore=3`, { method: 'POST' });
  t.is(restored.status, 200);
  t.like(restored.json, { version: n + 1, sha256: sha256hex('v3') });
  t.like((await request(`${s.url}/files/long.txt?pin=2`, { method: 'POST' })).json, { version: 2, pinned: true });
  t.like(((await request(`${s.url}/files/long.txt?versions&limit=1&before=3`)).json as Page).versions[0], { version: 2, pinned: true });
});

test('a bad ?limit or ?before is 400 bad-request', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'a.txt', Buffer.from('a'));
  for (const query of ['limit=0', 'limit=1001', 'limit=x', 'before=0', 'before=-1', 'limit=1&limit=2']) {
    assertProblem(t, await request(`${s.url}/files/a.txt?versions&${query}`), 400, 'bad-request');
  }
  t.is((await request(`${s.url}/files/a.txt?versions&limit=1000`)).status, 200);
});
