/**
 * Sign-in, a read-only user, the UI's CSP and HttpOnly cookie, and uploaded pages that never run
 * with the UI's rights; folders made, a file moved, deleted and brought back from the UI.
 */
import test from 'ava';
import { UI_CSP } from '../../src/http/ui.js';
import { seriousViolations } from './_axe.js';
import { api, type InPage, openUi, signIn, uiServer } from './_ui.js';

test('sign-in (a wrong password said so), a read-only user sees no write control, the cookie is HttpOnly, sign out', async (t) => {
  t.timeout(120_000);
  const s = await uiServer(t);
  await api(s, '/files/shared/plan.txt', { method: 'PUT', body: 'plan', as: 'alice' });
  const { page, errors } = await openUi(s);
  const first = await page.request.get(`${s.url}/`);
  t.is(first.headers()['content-security-policy'], UI_CSP);
  await page.getByLabel('Name').fill('reader');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText('The name or the password is wrong.').waitFor();
  await signIn(page, 'reader');
  t.is(await page.getByTestId('me').textContent(), 'reader (read-only)');
  t.false(await page.evaluate(() => (globalThis as InPage).document.cookie.includes('kluis_session')), 'scripts cannot read the session');
  await page.getByRole('link', { name: 'shared/' }).click();
  await page.locator('tr[data-name="plan.txt"]').waitFor();
  for (const control of ['Upload files', 'Upload a folder', 'Make folder']) t.is(await page.getByText(control, { exact: true }).count(), 0, control);
  await page.getByRole('link', { name: 'plan.txt' }).click();
  // The file and its history load after the headings: counted before, a missing control would prove nothing.
  await page.locator('p.summary').waitFor();
  await page.locator('tr[data-version="1"]').waitFor();
  for (const control of ['Check out', 'Choose a file', 'Restore', 'Pin', 'Delete', 'Move']) t.is(await page.getByRole('button', { name: control, exact: true }).count(), 0, control);
  t.is(await page.getByRole('link', { name: 'Download version 1' }).count(), 1, 'reading is what a reader does');
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to kluis' }).waitFor();
  t.like((await page.request.get(`${s.url}/session`)).ok() && (await (await page.request.get(`${s.url}/session`)).json()), { user: null });
  t.deepEqual(errors, []);
});

test("an uploaded page, SVG or disguised HTML never runs with the UI's origin (signed in, its script would write)", async (t) => {
  t.timeout(120_000);
  const s = await uiServer(t);
  // What the pages try: learn the session's CSRF token, then write a file as the signed-in user.
  const attack = "fetch('/session').then((r) => r.json()).then((me) => fetch('/files/pwned.txt', { method: 'PUT', headers: { 'X-CSRF-Token': me.csrf }, body: me.user.name }))";
  const uploads: [string, string, string][] = [
    ['evil.html', 'text/html', `<!doctype html><p>hi</p><script>${attack}</script>`],
    ['evil.svg', 'image/svg+xml', `<svg xmlns="http://www.w3.org/2000/svg"><script>${attack}</script></svg>`],
    ['fake.png', 'image/png', `<!doctype html><script>${attack}</script>`],
    ['note.txt', 'text/plain', `<!doctype html><script>${attack}</script>`],
  ];
  for (const [name, type, body] of uploads) await api(s, `/files/${name}`, { method: 'PUT', body, headers: { 'Content-Type': type }, as: 'alice' });
  const { page } = await openUi(s);
  await signIn(page, 'alice');
  for (const name of ['evil.html', 'evil.svg']) {
    const download = page.waitForEvent('download');
    await page.goto(`${s.url}/files/${name}`).catch(() => undefined); // a download, not a page
    t.is((await download).suggestedFilename(), name, `${name} is saved, never shown`);
  }
  await page.goto(`${s.url}/files/note.txt`);
  t.true(((await page.locator('body').textContent()) ?? '').includes('<script>'), 'plain text stays text (nosniff)');
  await page.goto(`${s.url}/files/fake.png`);
  await page.goto(`${s.url}/files/evil.html?version=1`).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.is((await api(s, '/files/pwned.txt', { as: 'alice' })).status, 404, 'no uploaded script ran as the UI');
  // The same script, run as the UI's own, does write: the test would see an attack that worked.
  await page.goto(`${s.url}/`);
  await page.getByTestId('me').waitFor();
  await page.evaluate(attack);
  t.is((await api(s, '/files/pwned.txt', { as: 'alice' })).status, 200);
});

test('make a folder, move a file into it, delete it and bring it back from the UI', async (t) => {
  t.timeout(120_000);
  const s = await uiServer(t, { open: true });
  await api(s, '/files/draft.txt', { method: 'PUT', body: 'draft' });
  const { page, errors } = await openUi(s);
  await page.getByPlaceholder('New folder').fill('archive');
  await page.getByRole('button', { name: 'Make folder' }).click();
  await page.getByRole('link', { name: 'archive/' }).waitFor();
  await page.getByRole('link', { name: 'draft.txt' }).click();
  await page.getByLabel('Rename or move to').fill('archive/final.txt');
  await page.getByRole('button', { name: 'Move' }).click();
  await page.getByRole('heading', { name: 'final.txt' }).waitFor();
  t.is((await api(s, '/files/archive/final.txt')).status, 200);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('This file was deleted').waitFor();
  await page.getByRole('link', { name: 'archive' }).click();
  await page.getByLabel('Show deleted files').check();
  await page.getByRole('button', { name: 'Restore final.txt' }).click();
  await page.locator('tr[data-name="final.txt"]:not(.deleted)').waitFor();
  const history = (await api(s, '/files/archive/final.txt?versions')).json.versions;
  t.deepEqual(
    history.map((v: { version: number; deleted?: boolean }) => `${v.version}${v.deleted ? ' deleted' : ''}`),
    ['3', '2 deleted', '1'],
  );
  t.deepEqual(errors, []);
});
