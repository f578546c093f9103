/**
 * `npm run screenshots`: the web UI's main screens as PNGs in docs/screenshots/ (shown in the
 * README and docs/ui.md), taken from a kluis process with a little history in it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT, tempDir } from '../helpers/server.js';
import { api, openUi, signIn, uiServer } from './_ui.js';

const OUT = path.join(ROOT, 'docs', 'screenshots');
const teardowns: (() => Promise<void> | void)[] = [];
const t = { teardown: (fn: () => Promise<void> | void) => teardowns.push(fn) } as unknown as ExecutionContext;

try {
  await mkdir(OUT, { recursive: true });
  const s = await uiServer(t);
  for (const [file, body, who] of [
    ['reports/q3.txt', 'third quarter, first draft', 'alice'],
    ['reports/q3.txt', 'third quarter, with the numbers', 'bob'],
    ['reports/q3.txt', 'third quarter, reviewed', 'alice'],
    ['reports/budget.csv', 'item,amount\nrent,1200\n', 'bob'],
    ['reports/minutes/2026-11-30.md', '# Minutes\n', 'alice'],
    ['photos/harbour.jpg', randomBytes(180_000).toString('latin1'), 'alice'],
  ] as const)
    await api(s, `/files/${file}`, { method: 'PUT', body, as: who });
  await api(s, '/files/reports/budget.csv?checkout', { method: 'POST', as: 'bob' });

  const { page } = await openUi(s, { width: 1100, height: 720 });
  await page.screenshot({ path: path.join(OUT, 'sign-in.png') });
  await signIn(page, 'alice');
  await page.goto(`${s.url}/#/reports/`);
  await page.locator('tr[data-name="q3.txt"]').waitFor();
  const upload = path.join(await tempDir('kluis-shots-'), 'slides.pdf');
  await writeFile(upload, randomBytes(3 * 2 ** 20));
  await page.getByTestId('pick-files').setInputFiles(upload);
  await page.locator('.job.done').waitFor();
  await page.screenshot({ path: path.join(OUT, 'folder.png') });

  await page.goto(`${s.url}/#/reports/q3.txt`);
  await page.locator('tr[data-version="3"]').waitFor();
  await page.getByLabel('Compare version 3').check();
  await page.getByLabel('Compare version 1').check();
  await page.screenshot({ path: path.join(OUT, 'versions.png'), fullPage: true });

  await page.goto(`${s.url}/#/reports/budget.csv`);
  await page.getByText('Checked out by').waitFor();
  const mine = path.join(await tempDir('kluis-shots-'), 'budget.csv');
  await writeFile(mine, 'item,amount\nrent,1250\n');
  await page.getByTestId('save-file').setInputFiles(mine);
  await page.getByRole('dialog').waitFor();
  await page.screenshot({ path: path.join(OUT, 'conflict.png') });

  const phone = await openUi(s, { width: 390, height: 844 });
  await signIn(phone.page, 'alice');
  await phone.page.goto(`${s.url}/#/reports/`);
  await phone.page.locator('tr[data-name="q3.txt"]').waitFor();
  await phone.page.screenshot({ path: path.join(OUT, 'phone.png') });
  console.log(`screenshots written to ${path.relative(ROOT, OUT)}/`);
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
