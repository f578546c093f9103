/**
 * The compose files users start from, validated by Debian's docker-compose (`config` parses and
 * checks a file without a Docker engine): the MinIO form and the local-disk form.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { ensureTool } from './dav/_tools.js';
import { ROOT } from './helpers/server.js';

const run = promisify(execFile);

async function config(file: string): Promise<{ text: string; services: string[] }> {
  const compose = await ensureTool('docker-compose', 'docker-compose');
  const args = ['--project-directory', ROOT, '-f', path.join(ROOT, file)];
  const text = (await run(compose, [...args, 'config'], { cwd: ROOT })).stdout;
  const services = (await run(compose, [...args, 'config', '--services'], { cwd: ROOT })).stdout.trim().split('\n').sort();
  return { text, services };
}

for (const [file, services] of [
  ['docker-compose.yml', ['create-bucket', 'kluis', 'minio']],
  ['docker-compose.local.yml', ['kluis']],
] as const) {
  test(`${file} is a valid compose file: its services, KLUIS_WORKERS set, the users file's folder mounted`, async (t) => {
    const { text, services: found } = await config(file);
    t.deepEqual(found, [...services]);
    // docker-compose 1 (Debian's) prints short volume syntax, Compose 2 the long one: either is read.
    t.regex(text, /KLUIS_WORKERS: ['"]2['"]/);
    t.regex(text, /:\/config:ro$|target: \/config\n\s+read_only: true|read_only: true\n\s+.*\n?\s*target: \/config/m, 'KLUIS_USERS_FILE=/config/users.json finds the mounted ./config');
    t.regex(await readFile(path.join(ROOT, file), 'utf8'), /# KLUIS_USERS_FILE: \/config\/users.json$/m, 'the users file is where the mount puts it');
    if (file === 'docker-compose.local.yml') {
      t.notRegex(text, /KLUIS_STORAGE/);
      t.regex(text, /kluis-data:\/data(:rw)?$|source: kluis-data\n\s+target: \/data/m, 'the data in a volume at KLUIS_DATA_DIR');
    } else {
      t.regex(text, /KLUIS_STORAGE: s3/);
    }
  });
}
