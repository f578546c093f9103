/** The web UI's part of the OpenAPI conformance scenario (test/http/openapi.test.ts; not a test file): its page, assets and /session. */
import type { Answer } from '../helpers/http.js';
import { basic, PASSWORDS } from './rest/_support.js';

type Go = (method: string, url: string, headers?: Record<string, string>, body?: string | Buffer) => Promise<Answer>;

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** Every answer of `/`, `/ui/{asset}` and `/session` on a server with users; `goOpen` reaches one without. */
export async function exerciseSession(go: Go, goOpen: Go): Promise<void> {
  const page = await go('GET', '/', {});
  await go('GET', '/', { 'If-None-Match': page.headers.get('etag') ?? '' });
  const script = await go('GET', '/ui/app.js', {});
  await go('GET', '/ui/app.js', { 'If-None-Match': script.headers.get('etag') ?? '' });
  await go('GET', '/ui/nothing.js', {});
  await go('GET', '/session', {});
  await go('GET', '/session', basic('alice', 'wrong'));
  await go('POST', '/session', JSON_TYPE, JSON.stringify({ name: 'alice', password: 'wrong' }));
  await go('POST', '/session', JSON_TYPE, '{"name":');
  await go('POST', '/session', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'name=alice&password=x');
  await go('POST', '/session', JSON_TYPE, JSON.stringify({ name: 'alice', password: 'x'.repeat(5000) }));
  await go('POST', '/session', { ...JSON_TYPE, 'Sec-Fetch-Site': 'cross-site' }, JSON.stringify({ name: 'alice', password: PASSWORDS.alice }));
  await goOpen('POST', '/session', JSON_TYPE, JSON.stringify({ name: 'alice', password: PASSWORDS.alice }));
  const signedIn = await go('POST', '/session', JSON_TYPE, JSON.stringify({ name: 'alice', password: PASSWORDS.alice }));
  const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrf } = (await go('GET', '/session', { Cookie: cookie })).json as { csrf: string };
  // A write the cookie authenticates: refused without the session's CSRF token, done with it.
  await go('PUT', '/files/ui/a.txt', { Cookie: cookie }, 'a');
  await go('PUT', '/files/ui/a.txt', { Cookie: cookie, 'X-CSRF-Token': csrf }, 'a');
  await go('DELETE', '/session', { Cookie: cookie });
}
