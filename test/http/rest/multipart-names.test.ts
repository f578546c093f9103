/**
 * File names as curl sends them: `curl -F file=@café.txt` puts the name in the part's
 * Content-Disposition as raw UTF-8 (as browsers do), and it is stored as written, in NFC.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { request } from '../../helpers/http.js';
import { startServer, tempDir } from '../../helpers/server.js';

const run = promisify(execFile);

test('curl -F with a UTF-8 file name stores the file under that name, an NFD spelling under the same NFC one', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const dir = await tempDir('kluis-curl-names-');
  for (const name of ['café.txt', 'résumé 日本.txt', '€.txt']) {
    await writeFile(path.join(dir, name), `bytes of ${name}`);
    const { stdout } = await run('curl', ['-sS', '-F', `file=@${name}`, `${s.url}/files/docs/`], { cwd: dir });
    t.is(JSON.parse(stdout)[0].path, `docs/${name}`, stdout);
    t.is((await request(`${s.url}/files/docs/${encodeURIComponent(name)}`)).text, `bytes of ${name}`);
  }
  const { stdout } = await run('curl', ['-sS', '-F', `file=@café.txt;filename=${'café.txt'.normalize('NFD')}`, `${s.url}/files/docs/`], { cwd: dir });
  t.like(JSON.parse(stdout)[0], { path: 'docs/café.txt', created: false });
  t.deepEqual((await request(`${s.url}/files/docs/`)).json.entries.map((e: { name: string }) => e.name).sort(), ['café.txt', 'résumé 日本.txt', '€.txt'].sort());
});
