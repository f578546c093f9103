/**
 * `npm test` after the type-check: every test file (local disk, plus the S3 tests), then the
 * whole HTTP suite (test/http/rest/), the model-based test (test/model/) and the hostile-input
 * suite (test/hostile/) again on the S3 backend. One test S3 server serves both passes: the
 * developer's (`KLUIS_TEST_S3_ENDPOINT` and keys) or a Ceph gateway started here, installed first
 * when missing (test/s3/ceph.ts). It fails, never skips, when it cannot start.
 *
 * Arguments go to ava as they are and run one pass only, on `KLUIS_TEST_BACKEND` (default fs):
 * `npm test -- test/http/rest/checkout.test.ts`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers/server.js';
import { s3Server } from './s3/ceph.js';

const AVA = path.join(ROOT, 'node_modules/ava/entrypoints/cli.mjs');

function ava(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AVA, ...args], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const s3 = await s3Server();
  try {
    const env = {
      ...process.env,
      KLUIS_TEST_S3_ENDPOINT: s3.endpoint,
      KLUIS_TEST_S3_REGION: s3.region,
      KLUIS_TEST_S3_ACCESS_KEY: s3.accessKeyId,
      KLUIS_TEST_S3_SECRET_KEY: s3.secretAccessKey,
    };
    if (args.length > 0) return await ava(args, env);
    console.log(`\n# every test (HTTP suite on local disk), S3 tests on ${s3.endpoint}\n`);
    const first = await ava([], env);
    console.log('\n# the HTTP suite, the model-based test and the hostile-input suite again, on the S3 backend (KLUIS_TEST_BACKEND=s3)\n');
    const second = await ava(['test/http/rest/', 'test/model/', 'test/hostile/'], { ...env, KLUIS_TEST_BACKEND: 's3' });
    return first || second;
  } finally {
    await s3.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
