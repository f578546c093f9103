/**
 * The web UI in headless Chromium: a folder uploaded with progress, browsing it, the phone
 * width, and no serious accessibility violation (axe-core).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tempDir } from '../helpers/server.js';
import { seriousViolations } from './_axe.js';
import { api, openUi, signIn, uiServer, type InPage } from './_ui.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('a folder dropped in through the picker uploads with progress per file and overall, and is browsed; no serious axe violation', async (t) => {
  t.timeout(180_000);
  const s = await uiServer(t);
  const { page, errors } = await openUi(s);
  t.deepEqual(await seriousViolations(page), [], 'the sign-in form');
  await signIn(page, 'alice');
  const dir = path.join(await tempDir('kluis-ui-folder-'), 'trip');
  await mkdir(path.join(dir, 'photos'), { recursive: true });
  const files: Record<string, Buffer> = { 'notes.txt': Buffer.from('day one\n'), 'photos/big.bin': randomBytes(24 * 2 ** 20), 'photos/small.jpg': randomBytes(3000) };
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(dir, name), data);
  // What Finder leaves in a folder: skipped, the server keeps such files on the WebDAV mount only.
  await writeFile(path.join(dir, 'photos', '.DS_Store'), Buffer.alloc(6148, 1));

  // Progress is sampled while the bytes go: the overall bar passes values between empty and full.
  const sampled = page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const seen: number[] = [];
        const timer = setInterval(() => {
          const bar = (globalThis as InPage).document.querySelector('progress.overall');
          if (bar) seen.push(bar.value / bar.max);
          if (bar && bar.value === bar.max && (globalThis as InPage).document.querySelectorAll('.job.done').length === 3) {
            clearInterval(timer);
            resolve(seen);
          }
        }, 20);
      }),
  );
  s.proxy.holdAfter(12 * 2 ** 20).then(() => setTimeout(() => s.proxy.cutAll(), 300));
  await page.getByTestId('pick-folder').setInputFiles(dir);
  const seen = await sampled;
  t.true(
    seen.some((f) => f > 0 && f < 1),
    `the overall bar showed progress on the way (${seen.length} samples)`,
  );
  for (const name of Object.keys(files)) {
    const job = page.locator(`.job[data-path="trip/${name}"]`);
    t.is(await job.locator('[role="status"]').textContent(), 'version 1', name);
    t.is(await job.locator('progress').evaluate((bar: InPage) => bar.value === bar.max), true);
  }
  t.regex((await page.locator('.job[data-path="trip/photos/.DS_Store"] [role="status"]').textContent()) ?? '', /^skipped: a desktop file/);
  t.is((await api(s, '/dav/trip/photos/.DS_Store', { as: 'alice' })).status, 404, 'nothing stored for it');
  for (const [name, data] of Object.entries(files)) {
    const history = await api(s, `/files/trip/${name}?versions`, { as: 'alice' });
    t.is(history.json.versions.length, 1, `${name}: one version, though its connection was cut`);
    t.is(history.json.versions[0].sha256, sha(data), name);
    t.is(history.json.versions[0].author, 'alice');
  }

  await page.getByRole('link', { name: 'trip/' }).click();
  await page.getByRole('link', { name: 'photos/' }).click();
  await page.locator('tr[data-name="big.bin"]').waitFor();
  t.is(await page.locator('tr[data-name="big.bin"] td').nth(1).textContent(), '24 MiB');
  t.is(await page.locator('tr[data-name="big.bin"] td').nth(4).textContent(), 'alice', 'the author of the current version');
  t.deepEqual(await page.locator('nav[aria-label="Breadcrumbs"] a').allTextContents(), ['Files', 'trip', 'photos']);
  // Sorting by size puts the bigger file last, then first.
  await page.getByRole('button', { name: 'Size' }).click();
  t.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name'))), ['small.jpg', 'big.bin']);
  await page.getByRole('button', { name: /Size/ }).click();
  t.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name'))), ['big.bin', 'small.jpg']);
  t.deepEqual(await seriousViolations(page), [], 'the listing');
  t.deepEqual(errors, [], 'no console errors, no CSP violation');
});

test('at phone width (390x844) the listing fits the screen and every control is reachable', async (t) => {
  t.timeout(120_000);
  const s = await uiServer(t, { open: true });
  await api(s, '/files/docs/a%20rather%20long%20file%20name%20for%20a%20phone.txt', { method: 'PUT', body: 'x' });
  const { page, errors } = await openUi(s, { width: 390, height: 844 });
  await page.getByRole('link', { name: 'docs/' }).click();
  await page.locator('tr[data-name]').first().waitFor();
  const overflow = await page.evaluate(() => (globalThis as InPage).document.documentElement.scrollWidth - (globalThis as InPage).innerWidth);
  t.true(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  for (const name of ['Upload files', 'Upload a folder', 'Make folder']) t.true(await page.getByText(name, { exact: true }).isVisible(), name);
  // Keyboard: the first file link is reached by Tab and opened by Enter.
  await page.locator('tr[data-name] a').first().focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'a rather long file name for a phone.txt' }).waitFor();
  const fileOverflow = await page.evaluate(() => (globalThis as InPage).document.documentElement.scrollWidth - (globalThis as InPage).innerWidth);
  t.true(fileOverflow <= 0, `the file page is ${fileOverflow}px wider than the screen`);
  t.deepEqual(await seriousViolations(page), [], 'the file page at phone width');
  t.deepEqual(errors, []);
});

// The route is read at the first render and followed by a listener the app adds a frame later: a
// link followed in between (a test's goto right after the page loads did so, under load) was lost.
test('a hash changed while the UI is starting is followed, not lost', async (t) => {
  t.timeout(120_000);
  const s = await uiServer(t, { open: true });
  await api(s, '/files/early/note.txt', { method: 'PUT', body: 'early' });
  const context = await s.browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  // After the app's module ran (its first render read an empty hash), before its effects ran.
  await page.addInitScript(() => {
    const w = globalThis as unknown as { document: { addEventListener(e: string, f: () => void): void }; location: { hash: string } };
    w.document.addEventListener('DOMContentLoaded', () => {
      w.location.hash = '#/early/note.txt';
    });
  });
  await page.goto(`${s.url}/`);
  await page.getByRole('heading', { name: 'note.txt' }).waitFor({ timeout: 10_000 });
  await page.locator('tr[data-version="1"]').waitFor();
  t.is(await page.locator('tr[data-version]').count(), 1, 'the file view, with its one version');
});
