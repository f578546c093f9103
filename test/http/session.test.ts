/** The web UI's sign-in (`/session`), its cookie and CSRF rule on /files, /dav and /uploads, over real sockets. */
import test from 'ava';
import { request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { AS, assertProblem, basic, makeUsers, PASSWORDS } from './rest/_support.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };

async function usersServer(t: { teardown(fn: () => Promise<void>): void }): Promise<TestServer> {
  const s = await startServer({ users: await makeUsers() });
  t.teardown(() => s.close());
  return s;
}

/** Sign in as `name`: the cookie (name=value) and the session's CSRF token. */
async function signIn(s: TestServer, name: keyof typeof PASSWORDS): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const answer = await request(`${s.url}/session`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name, password: PASSWORDS[name] }) });
  const setCookie = answer.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0] ?? '', csrf: (answer.json as { csrf: string }).csrf, setCookie };
}

test('open mode: GET /session says everyone is anonymous; nobody signs in (404)', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  t.deepEqual((await request(`${s.url}/session`)).json, { mode: 'open', user: { name: 'anonymous', role: 'user' } });
  const answer = await request(`${s.url}/session`, { method: 'POST', headers: JSON_TYPE, body: '{"name":"a","password":"b"}' });
  assertProblem(t, answer, 404, 'not-found');
  t.is(answer.headers.get('set-cookie'), null);
});

test('sign in sets an HttpOnly, SameSite=Strict cookie; GET /session names the user and the CSRF token; sign out clears it', async (t) => {
  const s = await usersServer(t);
  t.like((await request(`${s.url}/session`)).json, { mode: 'users', user: null });
  const { cookie, csrf, setCookie } = await signIn(s, 'alice');
  t.regex(setCookie, /^kluis_session=[^;]+; path=\/; expires=[^;]+; samesite=strict; httponly$/i);
  t.regex(csrf, /^[\w-]{43}$/);
  const who = await request(`${s.url}/session`, { headers: { Cookie: cookie } });
  t.like(who.json, { mode: 'users', user: { name: 'alice', role: 'user' }, csrf });
  t.is(who.headers.get('cache-control'), 'no-store');
  t.like((await request(`${s.url}/session`, { headers: AS.bob })).json, { user: { name: 'bob' } }, 'Basic works too, with no CSRF token to give');
  const out = await request(`${s.url}/session`, { method: 'DELETE', headers: { Cookie: cookie } });
  t.is(out.status, 204);
  t.regex(out.headers.get('set-cookie') ?? '', /^kluis_session=; path=\/; expires=Thu, 01 Jan 1970/i);
});

test('a wrong password or a bad body is refused, and never with a Basic challenge (no browser prompt)', async (t) => {
  const s = await usersServer(t);
  const wrong = await request(`${s.url}/session`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name: 'alice', password: 'nope' }) });
  assertProblem(t, wrong, 401, 'unauthorized');
  t.is(wrong.headers.get('www-authenticate'), 'Bearer realm="kluis"');
  t.is(wrong.headers.get('set-cookie'), null);
  assertProblem(t, await request(`${s.url}/session`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=alice' }), 415, 'unsupported-media-type');
  assertProblem(t, await request(`${s.url}/session`, { method: 'POST', headers: JSON_TYPE, body: '{"name":"alice"}' }), 400, 'bad-request');
  assertProblem(t, await request(`${s.url}/session`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name: 'a', password: 'x'.repeat(5000) }) }), 413, 'too-large');
  const ui = await request(`${s.url}/files/`, { headers: { 'X-CSRF-Token': '' } });
  assertProblem(t, ui, 401, 'unauthorized');
  t.is(ui.headers.get('www-authenticate'), 'Bearer realm="kluis"', "the UI's requests are never challenged with Basic");
  t.regex((await request(`${s.url}/files/`)).headers.get('www-authenticate') ?? '', /^Basic realm="kluis"/, 'curl and WebDAV clients still are');
});

test('a write the cookie authenticates needs its CSRF token on /files, /dav and /uploads; reads do not', async (t) => {
  const s = await usersServer(t);
  const alice = await signIn(s, 'alice');
  const bob = await signIn(s, 'bob');
  t.is((await request(`${s.url}/files/`, { headers: { Cookie: alice.cookie } })).status, 200, 'a read needs no token');
  for (const token of [undefined, 'forged', bob.csrf]) {
    const headers = { Cookie: alice.cookie, ...(token ? { 'X-CSRF-Token': token } : {}) };
    assertProblem(t, await request(`${s.url}/files/a.txt`, { method: 'PUT', headers, body: 'a' }), 403, 'csrf');
    assertProblem(t, await request(`${s.url}/dav/a.txt`, { method: 'PUT', headers, body: 'a' }), 403, 'csrf');
    assertProblem(t, await request(`${s.url}/uploads/`, { method: 'POST', headers: { ...headers, 'Tus-Resumable': '1.0.0', 'Upload-Length': '1', 'Upload-Metadata': 'filename YQ==' } }), 403, 'csrf');
  }
  assertProblem(t, await request(`${s.url}/files/a.txt`, { headers: AS.alice }), 404, 'not-found');
  const put = await request(`${s.url}/files/a.txt`, { method: 'PUT', headers: { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf }, body: 'a' });
  t.is(put.status, 201);
  t.like(put.json, { author: 'alice' });
  const made = await request(`${s.url}/uploads/`, {
    method: 'POST',
    headers: { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf, 'Tus-Resumable': '1.0.0', 'Upload-Length': '1', 'Upload-Metadata': 'filename Yi50eHQ=' },
  });
  t.is(made.status, 201);
});

test('a forged, tampered or expired cookie is 401 (no Basic challenge); the admin API takes no cookie', async (t) => {
  const s = await usersServer(t);
  const { cookie } = await signIn(s, 'root');
  const [name, value] = cookie.split('=') as [string, string];
  const parts = value.split('.');
  const tampered = `${name}=${Buffer.from('alice').toString('base64url')}.${parts.slice(1).join('.')}`;
  for (const bad of [`${name}=garbage`, tampered]) {
    const answer = await request(`${s.url}/files/`, { headers: { Cookie: bad } });
    assertProblem(t, answer, 401, 'unauthorized');
    t.is(answer.headers.get('www-authenticate'), 'Bearer realm="kluis"');
  }
  assertProblem(t, await request(`${s.url}/admin/stats`, { headers: { Cookie: cookie } }), 401, 'unauthorized');
  t.is((await request(`${s.url}/files/`, { headers: { Cookie: cookie } })).status, 200);
  s.advance(12 * 3600_000 + 1000);
  assertProblem(t, await request(`${s.url}/files/`, { headers: { Cookie: cookie } }), 401, 'unauthorized');
  t.like((await request(`${s.url}/session`, { headers: { Cookie: cookie } })).json, { user: null });
});

test('with users, GET ?lock shows its owner the token (a reloaded UI gets its check-out back); others and open mode never see it', async (t) => {
  const s = await usersServer(t);
  const taken = await request(`${s.url}/files/held.txt?checkout`, { method: 'POST', headers: AS.alice });
  const token = (taken.json as { token: string }).token;
  t.like((await request(`${s.url}/files/held.txt?lock`, { headers: AS.alice })).json, { owner: 'alice', token });
  const seen = (await request(`${s.url}/files/held.txt?lock`, { headers: basic('bob', PASSWORDS.bob) })).json as Record<string, unknown>;
  t.is(seen.owner, 'alice');
  t.false('token' in seen);
  const open = await startServer();
  t.teardown(() => open.close());
  await request(`${open.url}/files/held.txt?checkout`, { method: 'POST' });
  t.false('token' in ((await request(`${open.url}/files/held.txt?lock`)).json as object));
});

test('behind a TLS proxy (X-Forwarded-Proto: https) the cookie is Secure and __Host-, and only that one is read', async (t) => {
  const s = await usersServer(t);
  const answer = await request(`${s.url}/session`, { method: 'POST', headers: { ...JSON_TYPE, 'X-Forwarded-Proto': 'https' }, body: JSON.stringify({ name: 'alice', password: PASSWORDS.alice }) });
  const setCookie = answer.headers.get('set-cookie') ?? '';
  t.regex(setCookie, /^__Host-kluis_session=[^;]+; path=\/; expires=[^;]+; samesite=strict; secure; httponly$/i);
  const value = setCookie.split(';')[0]?.split('=').slice(1).join('=') ?? '';
  const https = { 'X-Forwarded-Proto': 'https' };
  t.like((await request(`${s.url}/session`, { headers: { ...https, Cookie: `__Host-kluis_session=${value}` } })).json, { user: { name: 'alice' } });
  t.like((await request(`${s.url}/session`, { headers: { ...https, Cookie: `kluis_session=${value}` } })).json, { user: null }, 'a cookie another host could plant is not read over HTTPS');
});

test("a write another site's page sends is refused (403 csrf) whatever authenticates it: remembered Basic, open mode; listed CORS origins and clients without Origin write", async (t) => {
  const s = await startServer({ users: await makeUsers(), corsOrigins: ['https://app.example.com'] });
  t.teardown(() => s.close());
  const crossSite: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site', Origin: 'http://other.localhost' }, { Origin: 'https://evil.example' }];
  for (const from of crossSite) {
    assertProblem(t, await request(`${s.url}/files/x.txt`, { method: 'PUT', headers: { ...AS.alice, ...from }, body: 'x' }), 403, 'csrf');
    assertProblem(t, await request(`${s.url}/files/x.txt?checkout`, { method: 'POST', headers: { ...AS.alice, ...from } }), 403, 'csrf');
    assertProblem(t, await request(`${s.url}/dav/x.txt`, { method: 'PUT', headers: { ...AS.alice, ...from }, body: 'x' }), 403, 'csrf');
    assertProblem(t, await request(`${s.url}/admin/gc`, { method: 'POST', headers: { ...AS.root, ...from } }), 403, 'csrf');
  }
  t.is((await request(`${s.url}/files/x.txt`, { headers: { ...AS.alice, 'Sec-Fetch-Site': 'cross-site' } })).status, 404, 'reads are not refused');
  t.is(
    (await request(`${s.url}/files/x.txt`, { method: 'PUT', headers: { ...AS.alice, Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'cross-site' }, body: 'x' })).status,
    201,
    'a listed origin',
  );
  const here = new URL(s.url).host;
  t.is(
    (await request(`${s.url}/files/y.txt`, { method: 'PUT', headers: { ...AS.alice, Origin: `https://${here}`, 'Sec-Fetch-Site': 'same-origin' }, body: 'y' })).status,
    201,
    'this origin (behind a TLS proxy)',
  );
  // A proxy that rewrites Host: the browser's Sec-Fetch-Site is believed over an Origin that names another host.
  t.is(
    (await request(`${s.url}/files/w.txt`, { method: 'PUT', headers: { ...AS.alice, Origin: 'https://files.example.org', 'Sec-Fetch-Site': 'same-origin' }, body: 'w' })).status,
    201,
    'same-origin by the browser, whatever Host the proxy sent',
  );
  assertProblem(t, await request(`${s.url}/files/w.txt`, { method: 'PUT', headers: { ...AS.alice, Origin: 'https://files.example.org' }, body: 'w' }), 403, 'csrf');
  t.is((await request(`${s.url}/files/z.txt`, { method: 'PUT', headers: AS.alice, body: 'z' })).status, 201, 'curl');
  const open = await startServer();
  t.teardown(() => open.close());
  assertProblem(t, await request(`${open.url}/files/x.txt`, { method: 'PUT', headers: { 'Sec-Fetch-Site': 'cross-site' }, body: 'x' }), 403, 'csrf');
});
