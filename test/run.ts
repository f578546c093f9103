/**
 * `npm test` after the type-check: every test file (local disk, plus the S3 tests), then the
 * whole HTTP suite (test/http/rest/ and test/http/dav/), the model-based test (test/model/) and
 * the hostile-input suite (test/hostile/) again on the S3 backend. One test S3 server serves
 * both passes: the developer's (`KLUIS_TEST_S3_ENDPOINT` and keys) or a Ceph gateway started
 * here, installed first when missing (test/s3/ceph.ts). It fails, never skips, when it cannot start.
 *
 * Arguments go to ava as they are and run one pass only, on `KLUIS_TEST_BACKEND` (default fs):
 * `npm test -- test/http/rest/checkout.test.ts`.
 *
 * ava's output goes to the terminal as it comes; its failure lines (those with `✘`) are also
 * kept, and the run ends with a recap of each pass (`# <pass>: exit <code>` and its `✘` lines),
 * then, for a failed pass, ava's details of its failures (assertion, diff, stack), so that the
 * tail of a long log says what failed and why.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers/server.js';
import { s3Server } from './s3/ceph.js';

const AVA = path.join(ROOT, 'node_modules/ava/entrypoints/cli.mjs');
/** ava marks a failed test, a timeout or an uncaught error with this. */
const FAILURE_MARK = '✘';
/** `✘` lines shown per pass in the recap. */
const RECAP_LINES = 50;
/** ava's section rule: the failures' details (file, line, assertion, diff) come after the first one. */
const RULE = '─';
/** Lines of a failed pass's details shown in the recap: the last ones. */
const DETAIL_LINES = 400;

/** One ava run: its name in the recap, its exit code, the `✘` lines and the details it printed. */
interface Pass {
  name: string;
  code: number;
  failures: string[];
  details: string[];
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '');

/** Run ava with `args`; stdout is passed through as it arrives and scanned for `✘` lines. */
function ava(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Pass> {
  return new Promise((resolve, reject) => {
    // ava's stdout is a pipe here: keep its colours when ours is a terminal.
    const colour = process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {};
    const child = spawn(process.execPath, [AVA, ...args], { cwd: ROOT, env: { ...env, ...colour }, stdio: ['inherit', 'pipe', 'inherit'] });
    const failures: string[] = [];
    const details: string[] = [];
    let inDetails = false;
    let partial = '';
    const scan = (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const line = stripAnsi(raw).trimEnd();
        if (line.includes(FAILURE_MARK)) failures.push(line);
        inDetails ||= line.trim() === RULE;
        if (inDetails) details.push(line);
        if (details.length > DETAIL_LINES) details.shift(); // the details are at the end
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      scan(chunk.toString('utf8'));
    });
    child.on('error', reject);
    // 'close', not 'exit': every byte of stdout has been read by then.
    child.on('close', (code, signal) => {
      scan('\n');
      resolve({ name, code: code ?? (signal ? 1 : 0), failures, details });
    });
  });
}

/** The last lines of the run: each pass's exit code and its failures. */
function recap(passes: Pass[]): void {
  const out = ['', '# recap'];
  for (const pass of passes) {
    out.push(`# ${pass.name}: exit ${pass.code}`);
    out.push(...pass.failures.slice(0, RECAP_LINES));
    if (pass.failures.length > RECAP_LINES) out.push(`  … and ${pass.failures.length - RECAP_LINES} more ${FAILURE_MARK} lines above`);
  }
  for (const pass of passes.filter((p) => p.code !== 0 && p.details.length > 0)) out.push('', `# ${pass.name}: what ava said of its failures`, ...pass.details);
  console.log(out.join('\n'));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const s3 = await s3Server();
  const passes: Pass[] = [];
  try {
    const env = {
      ...process.env,
      KLUIS_TEST_S3_ENDPOINT: s3.endpoint,
      KLUIS_TEST_S3_REGION: s3.region,
      KLUIS_TEST_S3_ACCESS_KEY: s3.accessKeyId,
      KLUIS_TEST_S3_SECRET_KEY: s3.secretAccessKey,
    };
    if (args.length > 0) {
      passes.push(await ava(`ava ${args.join(' ')} (${process.env.KLUIS_TEST_BACKEND ?? 'fs'})`, args, env));
    } else {
      console.log(`\n# every test (HTTP suite on local disk), S3 tests on ${s3.endpoint}\n`);
      passes.push(await ava('every test (local disk)', [], env));
      const second = ['test/http/rest/', 'test/http/dav/', 'test/model/', 'test/hostile/'];
      console.log('\n# the HTTP suite (/files and /dav), the model-based test and the hostile-input suite again, on the S3 backend (KLUIS_TEST_BACKEND=s3)\n');
      passes.push(await ava(`${second.join(' ')} on S3`, second, { ...env, KLUIS_TEST_BACKEND: 's3' }));
    }
    return passes.find((pass) => pass.code !== 0)?.code ?? 0;
  } finally {
    await s3.stop();
    if (passes.length > 0) recap(passes);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
