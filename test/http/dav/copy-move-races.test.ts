/**
 * COPY and MOVE under races: a request answered 4xx has changed nothing. Racing MOVEs of one
 * source: one wins, and only its destination exists (a MOVE claims its source by
 * compare-and-set before it copies). Racing COPYs onto one destination with `Overwrite: F`: one
 * creates it, the others are 412 (the destination is created only if absent, inside its
 * compare-and-set). On both backends (KLUIS_TEST_BACKEND).
 */
import test from 'ava';
import { put } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';
import { sha256hex } from '../rest/_support.js';
import { dav, davServer, files, hostOf, lockOf, versionsOf } from './_support.js';

const RACERS = 10;
const destination = (s: TestServer, target: string) => ({ Destination: `http://${hostOf(s)}/dav/${target}` });

test('ten racing MOVEs of one file to ten destinations: one 201, nine refused, and only the winner’s destination exists', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'mv/src.txt', Buffer.from('moving'));
  const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => dav(s, 'MOVE', 'mv/src.txt', destination(s, `mv/dst-${i}.txt`))));
  const statuses = answers.map((a) => a.status);
  const winners = statuses.flatMap((status, i) => (status === 201 ? [i] : []));
  t.is(winners.length, 1, `statuses: ${statuses.join(' ')}`);
  for (const answer of answers.filter((a) => a.status !== 201)) t.true([404, 423].includes(answer.status), `a loser is 404 (gone) or 423 (being moved): ${answer.status} ${answer.text}`);
  for (let i = 0; i < RACERS; i++) {
    const versions = await versionsOf(s, `mv/dst-${i}.txt`);
    if (i === winners[0])
      t.deepEqual(
        versions.map((v) => v.sha256),
        [sha256hex('moving')],
      );
    else t.deepEqual(versions, [], `dst-${i}.txt was never written`);
  }
  t.is((await files(s, 'GET', 'mv/src.txt')).status, 404, 'the source is gone');
  t.is((await lockOf(s, 'mv/src.txt')).status, 404, 'and no claim is left on it');
});

test('ten racing MOVEs of one collection: one 201, and only the winner’s destination holds its files', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'tree/a.txt', Buffer.from('a'));
  await put(s.url, 'tree/sub/b.txt', Buffer.from('b'));
  const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => dav(s, 'MOVE', 'tree/', destination(s, `moved-${i}/`))));
  const winners = answers.flatMap((a, i) => (a.status === 201 ? [i] : []));
  t.is(winners.length, 1, `statuses: ${answers.map((a) => a.status).join(' ')}`);
  for (let i = 0; i < RACERS; i++) {
    const a = await versionsOf(s, `moved-${i}/a.txt`);
    const b = await versionsOf(s, `moved-${i}/sub/b.txt`);
    t.is(a.length + b.length, i === winners[0] ? 2 : 0, `moved-${i}/`);
    if (i !== winners[0]) t.is((await dav(s, 'PROPFIND', `moved-${i}/`, { Depth: '0' })).status, 404, `no collection moved-${i}/`);
  }
  t.is((await files(s, 'GET', 'tree/a.txt')).status, 404);
});

test('ten racing COPYs of different sources onto one destination with Overwrite: F: one 201, nine 412, one version', async (t) => {
  const s = await davServer(t);
  for (let i = 0; i < RACERS; i++) await put(s.url, `cp/src-${i}.txt`, Buffer.from(`source ${i}`));
  const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => dav(s, 'COPY', `cp/src-${i}.txt`, { ...destination(s, 'cp/dst.txt'), Overwrite: 'F' })));
  const statuses = answers.map((a) => a.status).sort();
  t.deepEqual(statuses, [201, ...Array<number>(RACERS - 1).fill(412)], answers.map((a) => `${a.status} ${a.text}`).join('\n'));
  const winner = answers.findIndex((a) => a.status === 201);
  t.deepEqual(
    (await versionsOf(s, 'cp/dst.txt')).map((v) => v.sha256),
    [sha256hex(`source ${winner}`)],
    'one version, the winner’s',
  );
});

test('ten racing COPYs of collections onto one destination with Overwrite: F: one 201, nine 412, only the winner’s members', async (t) => {
  const s = await davServer(t);
  for (let i = 0; i < RACERS; i++) await put(s.url, `cols/c${i}/f${i}.txt`, Buffer.from(`file ${i}`));
  const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => dav(s, 'COPY', `cols/c${i}/`, { ...destination(s, 'cols/dst/'), Overwrite: 'F' })));
  t.deepEqual(answers.map((a) => a.status).sort(), [201, ...Array<number>(RACERS - 1).fill(412)]);
  const winner = answers.findIndex((a) => a.status === 201);
  const listing = await files(s, 'GET', 'cols/dst/');
  t.deepEqual(
    listing.json.entries.map((e: { name: string }) => e.name),
    [`f${winner}.txt`],
  );
});

test('a MOVE refused with 412 (Overwrite: F onto an existing file) leaves its source unclaimed and writable', async (t) => {
  const s = await davServer(t);
  await put(s.url, 'src.txt', Buffer.from('stay'));
  await put(s.url, 'dst.txt', Buffer.from('there'));
  const refused = await dav(s, 'MOVE', 'src.txt', { ...destination(s, 'dst.txt'), Overwrite: 'F' });
  t.is(refused.status, 412, refused.text);
  t.is((await lockOf(s, 'src.txt')).status, 404, 'no claim is left on the source');
  t.is((await put(s.url, 'src.txt', Buffer.from('written after'))).status, 200, 'the source takes writes');
});
