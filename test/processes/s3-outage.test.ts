import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { FileRecord } from '../../src/domain/types.js';
import { openS3Storage } from '../../src/storage/s3/index.js';
import { put, request } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';
import { s3Options, startCeph } from '../s3/ceph.js';

test('S3 gateway down: 503 storage-unavailable with Retry-After, nothing acknowledged; recovery on its own when it returns', async (t) => {
  const s3 = await startCeph(); // needs a gateway this test may kill, never a shared one
  t.teardown(() => s3.stop());
  const storage = await openS3Storage<FileRecord>(s3Options(s3, `outage-${randomUUID()}/`, 'kluis-outage'));
  const server = await startServer({ storage });
  t.teardown(() => server.close());
  t.is((await put(server.url, 'doc.txt', 'before')).status, 201);

  await s3.gateway?.kill();
  const refused = await put(server.url, 'doc.txt', 'during the outage');
  t.is(refused.status, 503, refused.text);
  t.is(refused.json.code, 'storage-unavailable');
  t.truthy(refused.headers.get('retry-after'));
  t.is((await request(`${server.url}/readyz`)).status, 503);
  t.is((await request(`${server.url}/files/doc.txt`)).status, 503);

  await s3.gateway?.start();
  t.is((await request(`${server.url}/readyz`)).status, 200);
  const history = (await request(`${server.url}/files/doc.txt?versions`)).json;
  t.deepEqual(history.versions.map((v: { version: number }) => v.version), [1], 'the refused upload left no version');
  t.is((await request(`${server.url}/files/doc.txt`)).text, 'before');
  t.is((await put(server.url, 'doc.txt', 'after')).status, 200);
  t.is((await request(`${server.url}/files/doc.txt`)).text, 'after');
});
