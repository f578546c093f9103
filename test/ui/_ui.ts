/**
 * The web UI's browser tests (not a test file): a kluis process as `npm start` runs it, on the
 * backend of the pass (`KLUIS_TEST_BACKEND`), behind a proxy that can stall and cut its
 * connections, and a page of headless Chromium on it.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { hashSecret } from '../../src/auth/secrets.js';
import { testBackend } from '../helpers/backend.js';
import { browser } from '../helpers/browser.js';
import { type ChildServer, startChild, tempDir } from '../helpers/server.js';
import { ensureUi } from '../helpers/ui.js';
import { type CutProxy, cutProxy } from '../http/tus/_proxy.js';
import { s3Env, s3Server } from '../s3/ceph.js';

/** Values on the page's side (elements, `document`): these tests compile without the DOM library. */
export type InPage = any;

export const PASSWORDS = { root: 'root-pass-1', alice: 'alice-pass-2', bob: 'bob-pass-3', reader: 'reader-pass-4' } as const;
export type Who = keyof typeof PASSWORDS;
export const basicOf = (who: Who) => ({ Authorization: `Basic ${Buffer.from(`${who}:${PASSWORDS[who]}`).toString('base64')}` });

export interface UiServer {
  /** The proxy's URL: what the browser opens. */
  url: string;
  /** The server's own URL (the test's API calls). */
  direct(): string;
  proxy: CutProxy;
  /** kill -9 the process and start it again on the same store; the proxy follows. */
  restart(): Promise<void>;
  browser: Browser;
}

/** A kluis process (with users unless `open`) and a browser, both ended with the test. */
export async function uiServer(t: ExecutionContext, options: { open?: boolean } = {}): Promise<UiServer> {
  await ensureUi();
  const dataDir = await tempDir('kluis-ui-');
  const env: Record<string, string> = {};
  if (!options.open) {
    const users = await Promise.all(
      (Object.keys(PASSWORDS) as Who[]).map(async (name) => ({ name, role: name === 'root' ? 'admin' : name === 'reader' ? 'read-only' : 'user', password: await hashSecret(PASSWORDS[name]) })),
    );
    const file = path.join(dataDir, 'users.json');
    await writeFile(file, JSON.stringify({ users }));
    Object.assign(env, { KLUIS_USERS_FILE: file, KLUIS_SESSION_SECRET: randomUUID() + randomUUID() });
  }
  if (testBackend() === 's3') {
    const s3 = await s3Server();
    t.teardown(() => s3.stop());
    Object.assign(env, s3Env(s3, 'kluis-ui'), { KLUIS_S3_PREFIX: `ui-${randomUUID()}/` });
  }
  let server: ChildServer = await startChild(path.join(dataDir, 'store'), env);
  const proxy = await cutProxy(Number(new URL(server.url).port));
  const chromium = await browser(t);
  t.teardown(async () => {
    await proxy.close();
    await server.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  return {
    url: proxy.url,
    direct: () => server.url,
    proxy,
    browser: chromium,
    restart: async () => {
      await server.stop('SIGKILL');
      server = await startChild(path.join(dataDir, 'store'), env);
      proxy.target(Number(new URL(server.url).port));
    },
  };
}

/** A page on the UI; every console error and CSP violation is collected for the test to check. */
export async function openUi(s: UiServer, options: { width?: number; height?: number } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await s.browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The API's refusals (a 404 for "not checked out", a 409 conflict) are answers the UI handles.
    const api = /^\/(files|uploads|session)\b/.test(new URL(message.location().url || 'about:blank', s.url).pathname);
    if (api && message.text().startsWith('Failed to load resource')) return;
    errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`${s.url}/`);
  return { page, errors };
}

export async function signIn(page: Page, who: Who): Promise<void> {
  await page.getByLabel('Name').fill(who);
  await page.getByLabel('Password').fill(PASSWORDS[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('me').waitFor();
}

/** The JSON of a kluis answer, asked directly (not through the browser). */
export async function api(s: UiServer, url: string, init: RequestInit & { as?: Who } = {}): Promise<{ status: number; json: any }> {
  const { as, ...rest } = init;
  const response = await fetch(`${s.direct()}${url}`, { ...rest, headers: { ...(as ? basicOf(as) : {}), ...(rest.headers as Record<string, string>) } });
  const text = await response.text();
  const isJson = /json/.test(response.headers.get('content-type') ?? '');
  return { status: response.status, json: text && isJson ? JSON.parse(text) : text };
}
