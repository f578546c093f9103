/** The curl recipes of docs/uploads.md, each block run as one shell script against a real server. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { request } from '../../helpers/http.js';
import { ROOT, startServer } from '../../helpers/server.js';

const exec = promisify(execFile);
const MARK = '<!-- run by test/http/tus/recipes.test.ts -->';

test('the tus and draft curl recipes of docs/uploads.md make the files they name', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const page = await readFile(path.join(ROOT, 'docs/uploads.md'), 'utf8');
  const blocks = [...page.matchAll(/<!-- run by test\/http\/tus\/recipes\.test\.ts -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  t.is(blocks.length, page.split(MARK).length - 1);
  t.is(blocks.length, 2);
  for (const block of blocks) {
    const script = `set -euo pipefail\n${block.replaceAll('localhost:8080', server.url.replace('http://', ''))}`;
    const { stdout } = await exec('bash', ['-c', script], { timeout: 60_000 });
    t.log(stdout.trim().split('\n').at(-1));
  }
  const hello = await request(`${server.url}/files/notes/hello.txt`);
  t.is(hello.text, 'hello world');
  t.is((await request(`${server.url}/files/notes/draft.txt`)).text, 'hello world');
});
