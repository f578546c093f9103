import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { request } from '../helpers/http.js';
import { type ChildServer, startChild, tempDir } from '../helpers/server.js';
import { create, head, patch } from '../http/tus/_tus.js';

const SOAK = process.env.KLUIS_SOAK === '1';
const KILLS = SOAK ? 40 : 8;
const MIB = 2 ** 20;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Send what is missing, from the offset the server reports, in PATCHes of 1-4 MiB, until the
 * offset reaches `until` (default: the end), or the server is gone. True once every byte is there.
 */
async function resume(base: string, id: string, body: Buffer, until = body.length): Promise<boolean> {
  const url = `${base}/uploads/${id}`;
  for (;;) {
    const state = await head(url).catch(() => undefined);
    if (!state) return false;
    // Every byte arrived and the killed process was committing them: its claim holds the commit
    // for up to 10 s (HEAD answers 423, upload-held, meanwhile), then a HEAD finishes it.
    if (state.status === 423) {
      await sleep(500);
      continue;
    }
    if (state.status !== 200) throw new Error(`HEAD ${state.status}`);
    const offset = Number(state.headers.get('upload-offset'));
    if (offset >= until) return offset === body.length;
    const end = Math.min(until, offset + MIB + Math.floor(Math.random() * 3 * MIB));
    const answer = await patch(url, offset, body.subarray(offset, end)).catch(() => undefined);
    if (!answer) return false;
    // A PATCH in flight when the server died may still hold its claim after the restart (10 s at most).
    if (answer.status === 409 && answer.json?.code === 'upload-busy') await sleep(500);
    else if (answer.status !== 204) throw new Error(`PATCH ${answer.status} ${answer.text}`);
  }
}

test('kill -9 between and during PATCHes: after each restart the upload resumes from the offset HEAD reports, and ends as exactly one version with the right bytes', async (t) => {
  t.timeout(600_000);
  const dataDir = await tempDir('kluis-tus-crash-');
  let server: ChildServer | undefined;
  t.teardown(async () => {
    await server?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  const body = randomBytes((SOAK ? 256 : 48) * MIB);
  server = await startChild(dataDir);
  const made = await create(server.url, 'crash/resumed.bin', body.length);
  t.is(made.status, 201);
  const id = made.url.split('/').pop() as string;
  let finished = false;
  let kills = 0;
  for (; kills < KILLS && !finished; kills++) {
    // Each round may send at most its share of the body, so that a fast disk cannot finish the
    // upload before the kills: a slow round is killed during a PATCH, a fast one between two.
    const running = resume(server.url, id, body, Math.ceil(((kills + 1) * body.length) / KILLS));
    await Promise.race([running, sleep(100 + Math.random() * 900)]);
    await server.stop('SIGKILL');
    finished = await running.catch(() => false);
    server = await startChild(dataDir);
  }
  t.true(kills >= 3, `killed ${kills} times before the upload could finish`);
  for (let tries = 0; !finished && tries < 100; tries++) finished = await resume(server.url, id, body);
  t.true(finished);
  const versions = await request(`${server.url}/files/crash/resumed.bin?versions`);
  t.is(versions.json.versions.length, 1, 'exactly one version');
  t.is(versions.json.versions[0].sha256, sha(body));
  const file = Buffer.from(await (await fetch(`${server.url}/files/crash/resumed.bin`)).arrayBuffer());
  t.is(sha(file), sha(body), 'byte-identical');
  t.log(`tus crash: ${kills} kills, ${body.length / MIB} MiB`);
});
