/** Who holds a lock, in words people recognise: `?label=` on a check-out, shown in refusals, `?lock` and listings. */
import test from 'ava';
import { put, request } from '../../helpers/http.js';
import { startServer } from '../../helpers/server.js';
import { assertProblem } from './_support.js';

test('a check-out with ?label= is shown by the 409 it causes, by ?lock and by the listing; a refresh keeps it; it is cleaned and cut', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'team/plan.txt', Buffer.from('v1'));
  const taken = await request(`${s.url}/files/team/plan.txt?checkout&label=${encodeURIComponent('Jan  Jansen\n(laptop)')}`, { method: 'POST' });
  t.is(taken.status, 200);
  t.like(taken.json, { owner: 'anonymous', label: 'Jan Jansen (laptop)' });
  const refused = await put(s.url, 'team/plan.txt', Buffer.from('mine'));
  assertProblem(t, refused, 409, 'locked');
  t.like(refused.json, { lock: { owner: 'anonymous', label: 'Jan Jansen (laptop)' } });
  t.regex(refused.json.detail, /checked out by anonymous \("Jan Jansen \(laptop\)", as their client says\)/);
  t.like((await request(`${s.url}/files/team/plan.txt?lock`)).json, { owner: 'anonymous', label: 'Jan Jansen (laptop)' });
  const listed = (await request(`${s.url}/files/team/`)).json.entries.find((e: { name: string }) => e.name === 'plan.txt');
  t.like(listed, { locked: true, lockedBy: { owner: 'anonymous', label: 'Jan Jansen (laptop)' } });
  // A refresh (with the token) keeps the label unless it names another.
  const token = taken.json.token as string;
  await request(`${s.url}/files/team/plan.txt?checkout`, { method: 'POST', headers: { 'Lock-Token': `<${token}>` } });
  t.like((await request(`${s.url}/files/team/plan.txt?lock`)).json, { label: 'Jan Jansen (laptop)' });
  await request(`${s.url}/files/team/plan.txt?checkout&label=Jan`, { method: 'POST', headers: { 'Lock-Token': `<${token}>` } });
  t.like((await request(`${s.url}/files/team/plan.txt?lock`)).json, { label: 'Jan' });
  // At most 100 characters; none without ?label.
  const long = await request(`${s.url}/files/other.txt?checkout&label=${'x'.repeat(150)}`, { method: 'POST' });
  t.is(long.json.label, 'x'.repeat(100));
  const plain = await request(`${s.url}/files/third.txt?checkout`, { method: 'POST' });
  t.false('label' in plain.json);
  await put(s.url, 'team/free.txt', Buffer.from('free'));
  const free = (await request(`${s.url}/files/team/`)).json.entries.find((e: { name: string }) => e.name === 'free.txt');
  t.like(free, { locked: false });
  t.false('lockedBy' in free, 'no holder while unlocked');
  // Control and format characters go; a client's URL (Finder's) names nobody.
  const bidi = await request(`${s.url}/files/fourth.txt?checkout&label=${encodeURIComponent('Jan\u202e\u200bnaj')}`, { method: 'POST' });
  t.is(bidi.json.label, 'Jan naj');
  const url = await request(`${s.url}/files/fifth.txt?checkout&label=${encodeURIComponent('http://www.apple.com/webdav_fs/')}`, { method: 'POST' });
  t.false('label' in url.json);
});

test('a WebDAV LOCK names its holder by its <D:owner> text, in /files refusals and listings', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  await put(s.url, 'doc.odt', Buffer.from('v1'));
  const body =
    '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:jan@example.com</D:href></D:owner></D:lockinfo>';
  const locked = await request(`${s.url}/dav/doc.odt`, { method: 'LOCK', headers: { 'Content-Type': 'application/xml', Timeout: 'Second-600' }, body });
  t.is(locked.status, 200);
  t.regex(locked.text, /<href xmlns="DAV:">mailto:jan@example.com<\/href>/, 'the owner element is still echoed as sent');
  const refused = await put(s.url, 'doc.odt', Buffer.from('mine'));
  t.like(refused.json, { code: 'locked', lock: { label: 'mailto:jan@example.com' } });
  const listed = (await request(`${s.url}/files/`)).json.entries.find((e: { name: string }) => e.name === 'doc.odt');
  t.like(listed, { lockedBy: { owner: 'anonymous', label: 'mailto:jan@example.com' } });
});
