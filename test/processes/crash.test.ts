import { createHash, randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { request } from '../helpers/http.js';
import { startChild, tempDir } from '../helpers/server.js';

/** A version the server answered 2xx for: it must survive any crash. */
interface Ack {
  path: string;
  version: number;
  sha256: string | null;
}

const ROUNDS = 8;
const PATHS = ['crash/a.bin', 'crash/b.bin', 'crash/c.bin', 'crash/deep/d.bin'];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One HTTP request with a body sent in slices, so a kill can land in the middle of it. */
function send(url: string, method: string, body: Buffer, headers: Record<string, string>, slow: boolean): Promise<{ status: number; json: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    void (async () => {
      const slice = 256 * 1024;
      for (let at = 0; at < body.length; at += slice) {
        if (req.destroyed) return;
        req.write(body.subarray(at, at + slice));
        if (slow) await sleep(5);
      }
      req.end();
    })();
  });
}

function multipart(filename: string, content: Buffer): { body: Buffer; type: string } {
  const boundary = `----kluis${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), content, Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` };
}

/** A client that keeps writing (PUT, multipart POST, check-out + check-in, DELETE) until the server dies. */
async function client(url: string, id: number, acks: Ack[]): Promise<void> {
  for (;;) {
    const target = PATHS[randomInt(PATHS.length)] as string;
    const content = randomBytes(randomInt(1, 8) * 1024 * 1024 + randomInt(1000));
    const slow = id % 2 === 0;
    const kind = randomInt(10);
    try {
      if (kind < 4) {
        const r = await send(`${url}/files/${target}`, 'PUT', content, {}, slow);
        if (r.status === 200 || r.status === 201) acks.push({ path: target, version: r.json.version, sha256: sha(content) });
      } else if (kind < 6) {
        const dir = path.posix.dirname(target);
        const form = multipart(path.posix.basename(target), content);
        const r = await send(`${url}/files/${dir}/`, 'POST', form.body, { 'Content-Type': form.type }, slow);
        if (r.status === 200 || r.status === 201) acks.push({ path: target, version: r.json[0].version, sha256: sha(content) });
      } else if (kind < 9) {
        const lock = await send(`${url}/files/${target}`, 'CHECKOUT', Buffer.alloc(0), { Timeout: 'Second-2' }, false);
        if (lock.status !== 200) continue;
        const token = String(lock.headers['lock-token']);
        const r = await send(`${url}/files/${target}?checkin`, 'PUT', content, { 'Lock-Token': token }, slow);
        if (r.status === 200 && r.json.version.sha256 === sha(content)) acks.push({ path: target, version: r.json.version.version, sha256: sha(content) });
      } else {
        const r = await send(`${url}/files/${target}`, 'DELETE', Buffer.alloc(0), {}, false);
        if (r.status === 204) acks.push({ path: target, version: Number(r.headers['file-version']), sha256: null });
      }
    } catch {
      return; // the server was killed
    }
  }
}

test('kill -9 in the middle of uploads and check-ins loses no acknowledged version and shows nothing partial', async (t) => {
  const dataDir = await tempDir('kluis-crash-');
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const acks: Ack[] = [];
  let silentRounds = 0;
  let lastKill = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startChild(dataDir);
    const before = acks.length;
    const clients = Array.from({ length: 6 }, (_, id) => client(server.url, id, acks));
    // The kill lands a random while after the round's first acknowledged write (a busy machine
    // may take seconds for it; a round that acknowledges nothing in 60 s fails below).
    const deadline = Date.now() + 60_000;
    while (acks.length === before && Date.now() < deadline) await sleep(20);
    if (acks.length === before) silentRounds++;
    await sleep(randomInt(0, 700));
    await server.stop('SIGKILL');
    lastKill = Date.now();
    await Promise.all(clients);
  }
  t.is(silentRounds, 0, 'rounds in which the server acknowledged no write within 60 s');
  t.log(`${ROUNDS} kills, ${acks.length} acknowledged writes`);

  const server = await startChild(dataDir);
  t.teardown(() => server.stop('SIGKILL').then(() => undefined));
  for (const target of PATHS) {
    const history = await request(`${server.url}/files/${target}?versions`);
    if (history.status === 404) {
      t.false(
        acks.some((a) => a.path === target),
        `${target} had acknowledged versions but has no record`,
      );
      continue;
    }
    const versions: { version: number; sha256: string | null; size: number; deleted?: boolean }[] = history.json.versions;
    // Gapless numbering, newest first.
    t.deepEqual(
      versions.map((v) => v.version),
      Array.from({ length: versions.length }, (_, i) => versions.length - i),
    );
    // Every listed version is whole: its bytes hash to its sha256.
    for (const v of versions) {
      if (v.deleted) continue;
      const back = await fetch(`${server.url}/files/${target}?version=${v.version}`);
      const bytes = Buffer.from(await back.arrayBuffer());
      t.is(bytes.length, v.size, `${target} v${v.version} size`);
      t.is(sha(bytes), v.sha256 as string, `${target} v${v.version} content`);
    }
    // Every acknowledged version is there with the acknowledged content.
    for (const ack of acks.filter((a) => a.path === target)) {
      const listed = versions.find((v) => v.version === ack.version);
      t.truthy(listed, `${target} v${ack.version} was acknowledged but is missing`);
      t.is(listed?.sha256 ?? null, ack.sha256, `${target} v${ack.version}`);
    }
  }

  // No lock blocks forever: check-out locks expire (2 s), and record locks of dead writers go stale (10 s).
  await sleep(2500);
  for (const target of PATHS) {
    const r = await request(`${server.url}/files/${target}`, { method: 'PUT', body: `after the crashes ${target}` });
    t.true(r.status === 200 || r.status === 201, `${target}: ${r.status} ${r.text}`);
  }

  // Staging of killed processes is reclaimed at the next start once their session locks are stale.
  await server.stop('SIGTERM');
  const staleAfter = lastKill + 11_000 - Date.now();
  if (staleAfter > 0) await sleep(staleAfter);
  const again = await startChild(dataDir);
  t.teardown(() => again.stop('SIGKILL').then(() => undefined));
  const tmp = await readdir(path.join(dataDir, 'tmp'));
  t.is(tmp.length, 2, `tmp/ holds only the live session and its lock: ${tmp.join(', ')}`);
  t.true(tmp.some((name) => name.endsWith('.lock')));
});
