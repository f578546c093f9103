import test from 'ava';
import { checkout, put, request } from '../helpers/http.js';
import { startChild, tempDir, type ChildServer } from '../helpers/server.js';
import { s3Env, s3Server, type S3Server } from '../s3/ceph.js';

const ROUNDS = 20;

/** Two kluis processes on one S3 bucket: compare-and-set by S3 conditional writes, no other coordination. */
let s3: S3Server | undefined;
let servers: [ChildServer, ChildServer] | undefined;
test.before(async () => {
  s3 = await s3Server();
  const env = s3Env(s3, 'kluis-two');
  const unused = await tempDir('kluis-two-s3-');
  const a = await startChild(unused, env);
  const b = await startChild(unused, env);
  servers = [a, b];
});
test.after.always(async () => {
  for (const server of servers ?? []) await server.stop('SIGKILL');
  await s3?.stop();
});

const pick = (i: number): string => (servers as [ChildServer, ChildServer])[i % 2 === 0 ? 0 : 1].url;

test.serial(`${ROUNDS} rounds of 10 If-Match PUTs across two processes on one bucket: one winner each, no lost update`, async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const file = `race/if-match-${round}.txt`;
    const first = await put(pick(0), file, `v1 of round ${round}`);
    t.is(first.status, 201);
    const etag = first.headers.get('etag') as string;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => put(pick(i), file, `round ${round} writer ${i}`, { 'If-Match': etag })));
    const winners = answers.filter((a) => a.status === 200);
    t.is(winners.length, 1, `round ${round}: ${answers.map((a) => a.status).join(',')}`);
    t.is(answers.filter((a) => a.status === 412).length, 9);
    const history = (await request(`${pick(1)}/files/${file}?versions`)).json;
    t.deepEqual(
      history.versions.map((v: { version: number }) => v.version),
      [2, 1],
    );
    t.is(history.versions[0].sha256, winners[0]?.json.sha256);
  }
});

test.serial(`${ROUNDS} rounds of 6 CHECKOUTs across two processes on one bucket: exactly one lock each`, async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => checkout(pick(i), `race/lock-${round}.txt`)));
    t.is(answers.filter((a) => a.status === 200).length, 1, `round ${round}: ${answers.map((a) => a.status).join(',')}`);
    t.true(answers.every((a) => a.status === 200 || (a.status === 409 && a.json.code === 'locked')));
  }
});

test.serial('a check-out taken through one process makes an upload through the other 409 locked', async (t) => {
  const lock = await checkout(pick(0), 'shared/doc.txt');
  t.is(lock.status, 200);
  const refused = await put(pick(1), 'shared/doc.txt', 'not yours');
  t.is(refused.status, 409);
  t.is(refused.json.code, 'locked');
  const held = await put(pick(1), 'shared/doc.txt', 'mine', { 'Lock-Token': `<${lock.token}>` }, '?checkin');
  t.is(held.status, 200);
  t.true(held.json.released);
  const back = await request(`${pick(0)}/files/shared/doc.txt`);
  t.is(back.text, 'mine');
});

test.serial("each process writes JSON lines only: a Node warning (the AWS SDK's on Node 20) is a log line, not stderr text", (t) => {
  for (const server of servers ?? []) {
    const plain = server
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('{'));
    t.deepEqual(plain, []);
  }
  if (Number(process.versions.node.split('.')[0]) < 22) t.regex(servers?.[0].output() ?? '', /^\{.*"warning":\{.*NodeVersionSupportWarning/m, 'on Node 20 the SDK warns, in the log');
});
