import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { checkout, put, request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { AS, makeUsers } from '../http/rest/_support.js';
import { countingProxy, type CountingProxy, type S3Request } from './counting-proxy.js';
import { s3Server, type S3Server } from './ceph.js';

/**
 * S3 requests per operation, counted by a proxy in front of the real gateway (docs/storage-design.md
 * "Requests per operation"). Every file is one folder deep; each operation is counted with users
 * (auth on) and without.
 */
let s3: S3Server | undefined;
let proxy: CountingProxy | undefined;
const ready = s3Server().then(async (s) => {
  s3 = s;
  proxy = await countingProxy(s);
  return proxy;
});
test.after.always(async () => {
  await proxy?.stop();
  await s3?.stop();
});

const describe = (requests: S3Request[]) => requests.map((r) => `${r.method} ${r.key.replace(/^[^/]*\//, '')}${r.query.length ? `?${r.query.join('&')}` : ''}`).join('\n');

/** The S3 requests `op` made. */
async function counted(p: CountingProxy, op: () => Promise<unknown>): Promise<S3Request[]> {
  const mark = p.mark();
  await op();
  return p.since(mark);
}

for (const auth of [false, true]) {
  const mode = auth ? 'auth on' : 'auth off';
  const as = auth ? AS.alice : {};
  const open = async (t: ExecutionContext): Promise<{ s: TestServer; p: CountingProxy }> => {
    const p = await ready;
    const started = { mark: p.mark(), at: Date.now() };
    // A wide removal window (looks every 5 s, commits of stored content skip the touch for 30 s
    // after one): the count of such a commit does not depend on the machine's load.
    const s = await startServer({ backend: 's3', s3: { ...p.server, removalWaitSeconds: 60 }, ...(auth ? { users: await makeUsers() } : {}) });
    t.teardown(() => s.close());
    await sleep(1000); // its first look for removal windows is done
    // Looks for removal windows are background work: one at start, then one every 5 s, whatever the load.
    t.teardown(() => {
      const looks = p.background(started.mark).filter((r) => r.key.endsWith('gc/removals')).length;
      const bound = 1 + Math.floor((Date.now() - started.at) / 5000);
      if (looks < 1 || looks > bound) throw new Error(`${looks} looks for removal windows in ${Date.now() - started.at} ms, expected 1 to ${bound}`);
    });
    return { s, p };
  };

  test.serial(`${mode}: requests per operation`, async (t) => {
    const { s, p } = await open(t);
    const report: Record<string, number> = {};
    const count = async (name: string, op: () => Promise<{ status: number }>, expected: number) => {
      let status = 0;
      const requests = await counted(p, async () => {
        status = (await op()).status;
      });
      t.log(`${name}: ${requests.length}\n${describe(requests)}`);
      report[name] = requests.length;
      t.true(status < 300, `${name}: ${status}`);
      t.true(requests.length <= expected, `${name}: ${requests.length} S3 requests, at most ${expected} expected:\n${describe(requests)}`);
    };
    await put(s.url, 'docs/first.txt', 'make the folder', as);
    // Targets of docs/storage-design.md; where one is not met yet, the count of today guards against a regression.
    await count('new small file', () => put(s.url, 'docs/a.txt', `new content ${Math.random()}`, as), 4);
    await count('content already stored', () => put(s.url, 'docs/b.txt', 'make the folder', as), 4);
    await count('GET', () => request(`${s.url}/files/docs/a.txt`, { headers: as }), 2);
    await count('CHECKOUT', () => checkout(s.url, 'docs/a.txt', as), 3);
    for (let i = 0; i < 8; i++) await put(s.url, `docs/more-${i}.txt`, `more ${i}`, as);
    const list = () => request(`${s.url}/files/docs/`, { headers: as });
    // The first listing reads every record once and writes the directory's summary.
    await count('first listing of 11 files', list, 11 + 7);
    await count('listing of 11 files', list, 5);
    for (let i = 8; i < 40; i++) await put(s.url, `docs/more-${i}.txt`, `more ${i}`, as);
    await list();
    await count('listing of 43 files', list, 5);
    t.is((await put(s.url, 'docs/more-3.txt', 'changed', as)).status, 200);
    await count('listing of 43 files, one changed since', list, 5 + 2);
    const shown = (await list()).json.entries.find((e: { name: string }) => e.name === 'more-3.txt');
    t.like(shown, { version: 2, size: 'changed'.length }, 'the listing shows the change');
    t.true((await list()).json.entries.find((e: { name: string }) => e.name === 'a.txt').locked, 'and the check-out');
    t.log(JSON.stringify(report));
  });
}
