import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { Backend } from './helpers/backend.js';
import { ROOT, startServer, tempDir } from './helpers/server.js';

const exec = promisify(execFile);

/** The curl lines of the README's walkthrough block, comments and all, as a user copies them. */
async function walkthrough(): Promise<string[]> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const block = /## Walkthrough[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Walkthrough"');
  return block.split('\n').filter((line) => line.startsWith('curl '));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const walk = test.macro(async (t, backend: Backend) => {
  try {
    await exec('curl', ['--version']);
  } catch {
    t.fail('curl is needed for the README walkthrough test: apt-get install -y curl');
    return;
  }
  const server = await startServer({ backend });
  const dir = await tempDir('kluis-readme-');
  t.teardown(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const files: Record<string, Buffer> = {};
  for (const name of ['report.pdf', 'notes.txt', 'other.pdf', 'new.pdf', 'final.pdf', 'stale.pdf', 'x.pdf']) {
    files[name] = randomBytes(64 * 1024 + name.length);
    await writeFile(path.join(dir, name), files[name]);
  }
  const lines = await walkthrough();
  t.is(lines.length, 13, 'the walkthrough has the 13 curl lines of the issue');

  let token = '';
  let v1Sha = '';
  const run = async (line: string) => {
    const command = line
      .replace(/\s+#.*$/, '')
      .replaceAll('localhost:8080', server.url.replace('http://', ''))
      .replaceAll('<token>', token)
      .replaceAll('<old sha256>', v1Sha);
    const { stdout } = await exec('bash', ['-c', `${command} -s -w '\\n%{http_code}'`], { cwd: dir, maxBuffer: 1 << 24 });
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), out: stdout.slice(0, cut) };
  };
  const step = async (i: number) => run(lines[i] as string);

  let r = await step(0);
  t.is(r.status, 201, lines[0]);
  t.is(JSON.parse(r.out).version, 1);
  v1Sha = JSON.parse(r.out).sha256;
  t.is(v1Sha, sha(files['report.pdf'] as Buffer));

  r = await step(1);
  t.is(r.status, 201, lines[1]);
  t.is(JSON.parse(r.out)[0].path, 'docs/notes.txt');

  r = await step(2);
  t.is(r.status, 200, lines[2]);
  t.deepEqual(await readFile(path.join(dir, 'out.pdf')), files['report.pdf']);

  r = await step(3);
  t.is(r.status, 200, lines[3]);
  t.deepEqual(
    JSON.parse(r.out).versions.map((v: { version: number }) => v.version),
    [1],
  );

  r = await step(4);
  t.is(r.status, 200, lines[4]);
  t.deepEqual(await readFile(path.join(dir, 'v1.pdf')), files['report.pdf']);

  r = await step(5);
  t.is(r.status, 200, lines[5]);
  token = /^lock-token: <(urn:uuid:[0-9a-f-]{36})>/im.exec(r.out)?.[1] ?? '';
  t.truthy(token, 'CHECKOUT -i shows the Lock-Token header');

  r = await step(6);
  t.is(r.status, 409, lines[6]);
  t.is(JSON.parse(r.out).code, 'locked');
  t.is(JSON.parse(r.out).lock.owner, 'anonymous');

  r = await step(7);
  t.is(r.status, 200, lines[7]);
  t.is(JSON.parse(r.out).version, 2);

  r = await step(8);
  t.is(r.status, 200, lines[8]);
  t.like(JSON.parse(r.out), { released: true, version: { version: 3, sha256: sha(files['final.pdf'] as Buffer) } });

  r = await step(9);
  t.is(r.status, 409, lines[9]);
  t.like(JSON.parse(r.out), { code: 'modified', currentVersion: 3 });

  r = await step(10);
  t.is(r.status, 412, lines[10]);
  t.is(JSON.parse(r.out).code, 'precondition-failed');

  r = await step(11);
  t.is(r.status, 200, lines[11]);
  t.like(JSON.parse(r.out), { version: 4, sha256: v1Sha });

  r = await step(12);
  t.is(r.status, 204, lines[12]);
  const after = await run(`curl '${server.url}/files/docs/report.pdf?versions'`);
  t.deepEqual(
    JSON.parse(after.out).versions.map((v: { version: number; deleted?: boolean }) => [v.version, v.deleted ?? false]),
    [
      [5, true],
      [4, false],
      [3, false],
      [2, false],
      [1, false],
    ],
  );
  t.is((await run(`curl ${server.url}/files/docs/report.pdf`)).status, 404);
});

test('every curl line of the README walkthrough does what its comment says (local disk)', walk, 'fs');
test('every curl line of the README walkthrough does what its comment says (S3)', walk, 's3');
