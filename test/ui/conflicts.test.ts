/**
 * The moments the product exists for, in the browser: a save refused because someone else holds
 * the file or saved a newer version, the dialog that says who and when, and the ways out; the
 * check-out flow (surviving a reload), and the history (compare, restore, pin, download).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tempDir } from '../helpers/server.js';
import { seriousViolations } from './_axe.js';
import { api, openUi, signIn, uiServer, type InPage } from './_ui.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function localFile(name: string, text: string): Promise<string> {
  const file = path.join(await tempDir('kluis-ui-file-'), name);
  await writeFile(file, text);
  return file;
}

test('a save while bob holds the file shows who and until when; once he checks in, Try again saves it; a newer version offers Save mine on top', async (t) => {
  t.timeout(180_000);
  const s = await uiServer(t);
  await api(s, '/files/plans/report.txt', { method: 'PUT', body: 'v1 by alice', as: 'alice' });
  const taken = await api(s, '/files/plans/report.txt?checkout', { method: 'POST', as: 'bob' });
  const { page, errors } = await openUi(s);
  await signIn(page, 'alice');
  await page.goto(`${s.url}/#/plans/report.txt`);
  await page.getByText('Checked out by').waitFor();
  t.is(await page.locator('.held-other .who').textContent(), 'bob');

  await page.getByTestId('save-file').setInputFiles(await localFile('report.txt', 'v2 by alice'));
  const dialog = page.getByRole('dialog', { name: 'Checked out by someone else' });
  await dialog.waitFor();
  t.is(await dialog.locator('.who').textContent(), 'bob');
  t.regex((await dialog.textContent()) ?? '', /is checked out by bob until .+ Your file was not saved; it is kept/);
  t.deepEqual(await seriousViolations(page), [], 'the conflict dialog');
  t.is((await api(s, '/files/plans/report.txt?versions', { as: 'alice' })).json.versions.length, 1, 'nothing saved while refused');
  await api(s, '/files/plans/report.txt?uncheckout', { method: 'POST', as: 'bob', headers: { 'Lock-Token': `<${taken.json.token}>` } });
  await dialog.getByRole('button', { name: 'Try again' }).click();
  await page.locator('.job.done[data-path="plans/report.txt"]').waitFor();
  let history = (await api(s, '/files/plans/report.txt?versions', { as: 'alice' })).json.versions;
  t.like(history[0], { version: 2, author: 'alice', sha256: sha('v2 by alice') });

  // Bob saves version 3 while alice looks at version 2: her save is refused as modified.
  await page.getByText('Version 2,').waitFor();
  await api(s, '/files/plans/report.txt', { method: 'PUT', body: 'v3 by bob', as: 'bob' });
  await page.getByTestId('save-file').setInputFiles(await localFile('report.txt', 'v4 by alice'));
  const newer = page.getByRole('dialog', { name: 'Someone saved a newer version' });
  await newer.waitFor();
  await newer.getByText('bob saved version 3').waitFor();
  t.regex((await newer.textContent()) ?? '', /while you worked on version 2/);
  t.is(await newer.getByRole('link', { name: 'Download theirs (version 3)' }).getAttribute('href'), '/files/plans/report.txt?version=3&download');
  await newer.getByRole('button', { name: 'Save mine as a new version on top' }).click();
  await newer.waitFor({ state: 'hidden' });
  await page.locator('.job.done').nth(1).waitFor();
  history = (await api(s, '/files/plans/report.txt?versions', { as: 'alice' })).json.versions;
  t.deepEqual(
    history.map((v: { version: number; author: string }) => `${v.version} ${v.author}`),
    ['4 alice', '3 bob', '2 alice', '1 alice'],
  );
  t.is(history[0].sha256, sha('v4 by alice'));

  // A lock taken while the bytes travel: they all arrive, the commit is refused, and Try again
  // commits them once bob lets go, without sending them again.
  const big = randomBytes(16 * 2 ** 20);
  const bigFile = path.join(await tempDir('kluis-ui-big-'), 'report.txt');
  await writeFile(bigFile, big);
  await page.getByText('Version 4,').waitFor();
  const stalled = s.proxy.holdAfter(6 * 2 ** 20);
  await page.getByTestId('save-file').setInputFiles(bigFile);
  await stalled;
  const held = await api(s, '/files/plans/report.txt?checkout', { method: 'POST', as: 'bob' });
  s.proxy.cutAll();
  const travelled = page.getByRole('dialog', { name: 'Checked out by someone else' });
  await travelled.waitFor();
  t.is(await page.locator('.job.refused progress').evaluate((bar: InPage) => bar.value), big.length, 'every byte had arrived');
  await api(s, '/files/plans/report.txt?uncheckout', { method: 'POST', as: 'bob', headers: { 'Lock-Token': `<${held.json.token}>` } });
  await travelled.getByRole('button', { name: 'Try again' }).click();
  await travelled.waitFor({ state: 'hidden' });
  await page.locator('.job.done').nth(2).waitFor();
  history = (await api(s, '/files/plans/report.txt?versions&limit=1', { as: 'alice' })).json.versions;
  t.like(history[0], { version: 5, author: 'alice', sha256: createHash('sha256').update(big).digest('hex') });
  t.deepEqual(errors, []);
});

test('check out, reload (the lock is still hers), check in a new version; history: compare two, restore, pin, download; an admin breaks a lock', async (t) => {
  t.timeout(180_000);
  const s = await uiServer(t);
  await api(s, '/files/cv.txt', { method: 'PUT', body: 'first', as: 'alice' });
  await api(s, '/files/cv.txt', { method: 'PUT', body: 'second, longer', as: 'alice' });
  const { page, errors } = await openUi(s);
  await signIn(page, 'alice');
  await page.goto(`${s.url}/#/cv.txt`);
  await page.getByLabel('For').selectOption('900');
  await page.getByLabel('Note', { exact: true }).fill('Alice, final edits on the train');
  await page.getByRole('button', { name: 'Check out' }).click();
  await page.getByText('You have this file checked out as “Alice, final edits on the train” until').waitFor();
  const lock = (await api(s, '/files/cv.txt?lock', { as: 'bob' })).json;
  const minutes = (Date.parse(lock.expiresAt) - Date.now()) / 60_000;
  t.true(minutes > 13 && minutes <= 15, `the 15-minute timeout (${minutes.toFixed(1)} min left)`);
  t.is(lock.label, 'Alice, final edits on the train', 'the note is the lock label others see');
  const bobs = await openUi(s);
  await signIn(bobs.page, 'bob');
  await bobs.page.goto(`${s.url}/#/cv.txt`);
  await bobs.page.getByText('(“Alice, final edits on the train”, as their client says)').waitFor();
  await bobs.page.close();
  await page.reload();
  await page.getByText('You have this file checked out as').waitFor();
  await page.getByLabel('Comment (optional)').fill('final wording');
  await page.getByTestId('checkin-file').setInputFiles(await localFile('cv.txt', 'third, checked in'));
  await page.locator('.job.done[data-path="cv.txt"]').waitFor();
  await page.getByText('Nobody has this file checked out.').waitFor();
  t.like((await api(s, '/files/cv.txt?versions', { as: 'alice' })).json, { lock: null, versions: [{ version: 3, sha256: sha('third, checked in'), comment: 'final wording' }] });
  await page.locator('tr[data-version="3"]').getByText('final wording').waitFor();

  await page.getByLabel('Compare version 3').check();
  await page.getByLabel('Compare version 1').check();
  const compare = page.getByRole('table', { name: 'Version 3 beside version 1' });
  const differs = await compare.locator('tr.differs th').allTextContents();
  for (const row of ['Size', 'SHA-256', 'Saved']) t.true(differs.includes(row), `${row} differs`);
  t.false(differs.includes('Author'), "both are alice's");
  t.true(((await compare.textContent()) ?? '').includes(sha('first')));
  await page.getByRole('button', { name: 'Restore version 1 as new' }).click();
  await page.locator('tr[data-version="4"]').waitFor();
  t.is((await api(s, '/files/cv.txt?versions&limit=1', { as: 'alice' })).json.versions[0].sha256, sha('first'));
  await page.getByRole('button', { name: 'Pin version 2' }).click();
  await page.getByRole('button', { name: 'Unpin version 2' }).waitFor();
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download version 2' }).click();
  const saved = await download;
  t.is(saved.suggestedFilename(), 'cv.txt');
  t.is((await readFile((await saved.path()) ?? '')).toString(), 'second, longer', 'a plain link, the cookie authenticates it');

  // Undo a check-out, and check in without changes: the lock goes, no version is made.
  for (const button of ['Undo check-out', 'Check in without changes']) {
    await page.getByRole('button', { name: 'Check out' }).click();
    await page.getByRole('button', { name: button }).click();
    await page.getByText('Nobody has this file checked out.').waitFor();
    t.is((await api(s, '/files/cv.txt?lock', { as: 'alice' })).status, 404, button);
  }
  t.is((await api(s, '/files/cv.txt?versions', { as: 'alice' })).json.versions.length, 4, 'no version made by either');

  // Bob holds it; root (an admin) breaks the lock from the UI.
  await api(s, '/files/cv.txt?checkout', { method: 'POST', as: 'bob' });
  const admin = await openUi(s);
  await signIn(admin.page, 'root');
  await admin.page.goto(`${s.url}/#/cv.txt`);
  await admin.page.getByRole('button', { name: 'Break the lock' }).click();
  await admin.page.getByText('Nobody has this file checked out.').waitFor();
  t.is((await api(s, '/files/cv.txt?lock', { as: 'alice' })).status, 404);
  t.deepEqual([...errors, ...admin.errors, ...bobs.errors], []);
});

test('the history comes 20 versions at a time: Older versions brings the next page', async (t) => {
  t.timeout(120_000);
  const s = await uiServer(t, { open: true });
  for (let n = 1; n <= 23; n++) await api(s, '/files/log.txt', { method: 'PUT', body: `line ${n}` });
  const { page, errors } = await openUi(s);
  await page.goto(`${s.url}/#/log.txt`);
  await page.locator('tr[data-version="23"]').waitFor();
  t.is(await page.locator('tr[data-version]').count(), 20);
  t.is(await page.locator('tr[data-version="3"]').count(), 0);
  await page.getByRole('button', { name: 'Older versions' }).click();
  await page.locator('tr[data-version="1"]').waitFor();
  t.is(await page.locator('tr[data-version]').count(), 23);
  t.is(await page.getByRole('button', { name: 'Older versions' }).count(), 0, 'no page after the last');
  t.deepEqual(errors, []);
});
