/** The web UI's resumable upload: kluis killed (-9) and restarted mid-upload, the browser resumes where the bytes stopped. */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tempDir } from '../helpers/server.js';
import { api, openUi, uiServer, type InPage } from './_ui.js';

test('an upload survives a kill -9 and restart of kluis: the browser resumes it, one version with the right SHA-256, none made anew', async (t) => {
  t.timeout(180_000);
  const s = await uiServer(t, { open: true });
  const data = randomBytes(40 * 2 ** 20);
  const file = path.join(await tempDir('kluis-ui-resume-'), 'video.bin');
  await writeFile(file, data);
  const { page, errors } = await openUi(s);
  // The upload stalls half-way (its PATCH in flight), kluis dies and comes back, the stalled connection is cut.
  const stalled = s.proxy.holdAfter(20 * 2 ** 20);
  await page.getByTestId('pick-files').setInputFiles(file);
  await stalled;
  const before = await page.locator('progress.overall').evaluate((bar: InPage) => bar.value);
  await s.restart();
  s.proxy.cutAll();
  await page.locator('.job.done[data-path="video.bin"]').waitFor({ timeout: 120_000 });
  t.true(before > 0, `${before} bytes acknowledged before the restart`);
  const history = await api(s, '/files/video.bin?versions');
  t.is(history.json.versions.length, 1);
  t.is(history.json.versions[0].sha256, createHash('sha256').update(data).digest('hex'));
  // The restarted process made no upload: the browser continued the one it had.
  const metrics = await (await fetch(`${s.direct()}/metrics`)).text();
  t.regex(metrics, /^kluis_uploads_total\{event="committed"\} 1$/m);
  t.notRegex(metrics, /^kluis_uploads_total\{event="created"\} [1-9]/m);
  t.deepEqual(errors, []);
});

test('Cancel stops an upload in flight and gives it up: no version, nothing left open; files dropped on the folder upload', async (t) => {
  t.timeout(180_000);
  const s = await uiServer(t, { open: true });
  const file = path.join(await tempDir('kluis-ui-cancel-'), 'huge.bin');
  await writeFile(file, randomBytes(24 * 2 ** 20));
  const { page, errors } = await openUi(s);
  const stalled = s.proxy.holdAfter(10 * 2 ** 20);
  await page.getByTestId('pick-files').setInputFiles(file);
  await stalled;
  await page.getByRole('button', { name: 'Cancel huge.bin' }).click();
  s.proxy.cutAll();
  await page.locator('.job.cancelled[data-path="huge.bin"]').waitFor();
  // The termination may wait for the cut PATCH's claim to lapse: polled, with a deadline.
  for (const deadline = Date.now() + 30_000; (await api(s, '/admin/stats')).json.openUploads !== 0; await new Promise((resolve) => setTimeout(resolve, 250))) {
    if (Date.now() > deadline) break;
  }
  t.like((await api(s, '/admin/stats')).json, { openUploads: 0 });
  t.is((await api(s, '/files/huge.bin')).status, 404);

  // Two files dropped on the listing (a drop of File items, as a desktop file manager makes).
  await page.evaluate(() => {
    const doc = (globalThis as InPage).document;
    const transfer = new (globalThis as InPage).DataTransfer();
    transfer.items.add(new (globalThis as InPage).File(['one'], 'one.txt', { type: 'text/plain' }));
    transfer.items.add(new (globalThis as InPage).File(['two!'], 'two.txt', { type: 'text/plain' }));
    const target = doc.querySelector('section.folder');
    for (const type of ['dragover', 'drop']) target.dispatchEvent(new (globalThis as InPage).DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await page.locator('.job.done[data-path="two.txt"]').waitFor();
  await page.locator('.job.done[data-path="one.txt"]').waitFor();
  t.is((await api(s, '/files/two.txt')).json, 'two!');
  t.deepEqual(errors, []);
});
