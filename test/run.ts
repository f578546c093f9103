/**
 * `npm test` after the type-check: every test file (local disk, plus the S3 tests), then the
 * whole HTTP suite (test/http/rest/, test/http/dav/ and test/http/tus/), rclone's sync and check by hash, the web UI's browser tests (test/ui/), the model-based test (test/model/) and
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
 * tail of a long log says what failed and why. Each pass runs under a watchdog
 * (test/harness/pass.ts): past its deadline, or when processes its tests started outlive it, the
 * watchdog names them, kills them and fails the run, so that `npm test` never hangs.
 */
import { type Pass, runPass } from './harness/pass.js';
import { s3Server } from './s3/ceph.js';

/** `✘` lines shown per pass in the recap. */
const RECAP_LINES = 50;
/** ava marks a failed test with this. */
const FAILURE_MARK = '✘';
/**
 * Minutes each pass may take before the watchdog ends it (`KLUIS_TEST_PASS_MINUTES` to change):
 * the first pass took about 10 minutes on an idle 2-core machine and 27 under load; CI allows 90
 * for install and both passes.
 */
const DEADLINES = { all: 50, s3: 30, one: 50 };

function deadlineMs(which: keyof typeof DEADLINES): number {
  const minutes = Number(process.env.KLUIS_TEST_PASS_MINUTES) || DEADLINES[which];
  return minutes * 60_000;
}

/** The last lines of the run: each pass's exit code and its failures. */
function recap(passes: Pass[]): void {
  const out = ['', '# recap'];
  for (const pass of passes) {
    out.push(`# ${pass.name}: exit ${pass.code}`);
    out.push(...pass.failures.slice(0, RECAP_LINES));
    if (pass.failures.length > RECAP_LINES) out.push(`  … and ${pass.failures.length - RECAP_LINES} more ${FAILURE_MARK} lines above`);
    out.push(...pass.watchdog.map((line) => `# watchdog: ${line}`));
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
      passes.push(await runPass(`ava ${args.join(' ')} (${process.env.KLUIS_TEST_BACKEND ?? 'fs'})`, { args, env, deadlineMs: deadlineMs('one') }));
    } else {
      console.log(`\n# every test (HTTP suite on local disk), S3 tests on ${s3.endpoint}\n`);
      passes.push(await runPass('every test (local disk)', { args: [], env, deadlineMs: deadlineMs('all') }));
      const second = ['test/http/rest/', 'test/http/dav/', 'test/http/tus/', 'test/dav/rclone-owncloud.test.ts', 'test/ui/', 'test/model/', 'test/hostile/'];
      console.log(
        '\n# the HTTP suite (/files, /dav and /uploads), rclone by hash, the web UI in the browser, the model-based test and the hostile-input suite again, on the S3 backend (KLUIS_TEST_BACKEND=s3)\n',
      );
      passes.push(await runPass(`${second.join(' ')} on S3`, { args: second, env: { ...env, KLUIS_TEST_BACKEND: 's3' }, deadlineMs: deadlineMs('s3') }));
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
