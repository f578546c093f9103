/**
 * litmus 0.13, the WebDAV server test suite of neon's author, against `/dav/` on a real kluis
 * process: basic, copymove, props, locks and http, each in turn in its own working directory
 * (litmus writes debug.log and child.log there), on local disk (in open mode and with users, litmus
 * signing in with Basic) and on S3 (open mode). Every test must pass, with no warning and
 * nothing skipped: litmus exits non-zero only on failures, so its output is read instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { hashSecret } from '../../src/auth/secrets.js';
import { s3Env, s3Server } from '../s3/ceph.js';
import { ensureTool, runTool, scratchDir, startDavServer, tail } from './_tools.js';

const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'] as const;

interface SuiteReport {
  suite: string;
  /** `<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%`, or undefined if none was printed. */
  summary?: string;
  run: number;
  failed: number;
  warnings: number;
  skipped: number;
  /** Each test that failed, warned or was skipped: its output lines, reasons included. */
  problems: { number: string; test: string; text: string }[];
  output: string;
}

/**
 * Read one suite's stdout. litmus redraws a test's line with `\r` while it runs, so only the
 * text after a line's last `\r` counts; a failure reason may run over several lines, so a
 * test's block lasts until the next numbered test or the summary.
 */
function readLitmus(suite: string, output: string): SuiteReport {
  const lines = output.split('\n').map((line) => line.slice(line.lastIndexOf('\r') + 1));
  const report: SuiteReport = { suite, run: 0, failed: 0, warnings: 0, skipped: 0, problems: [], output };
  let block: { number: string; test: string; lines: string[] } | undefined;
  const flush = () => {
    if (block && /\bFAIL\b|WARNING|SKIPPED|\bwarnings?\)/.test(block.lines.join('\n'))) report.problems.push({ number: block.number, test: block.test, text: block.lines.join('\n') });
    block = undefined;
  };
  for (const line of lines) {
    const numbered = /^\s*(\d+)\.\s([\w-]+)/.exec(line);
    if (numbered) {
      flush();
      block = { number: numbered[1] ?? '?', test: numbered[2] ?? '?', lines: [line] };
      continue;
    }
    const summary = /^<- summary for `[^']*': of (\d+) tests run: (\d+) passed, (\d+) failed\./.exec(line);
    if (summary || line.startsWith('<- all tests skipped')) {
      flush();
      report.summary = line;
      report.run = Number(summary?.[1] ?? 0);
      report.failed = Number(summary?.[3] ?? 0);
      continue;
    }
    const issued = /^-> (\d+) warnings? (?:was |were )?issued/.exec(line);
    if (issued) report.warnings = Number(issued[1]);
    const skipped = /^-> (\d+) tests? (?:was|were) skipped/.exec(line);
    if (skipped) report.skipped = Number(skipped[1]);
    if (line.startsWith('<- all tests skipped')) report.skipped = Math.max(report.skipped, 1);
    block?.lines.push(line);
  }
  flush();
  // A WARNING line outside any test block still counts.
  report.warnings = Math.max(report.warnings, lines.filter((l) => /WARNING:/.test(l)).length);
  return report;
}

/** debug.log's trace of the first test in trouble (neon marks each test's start), at most its last 40 lines. */
function traceOf(debugLog: string, problem: { number: string; test: string } | undefined): string {
  const start = problem ? debugLog.indexOf(`******* Running test ${problem.number}: ${problem.test} ********`) : -1;
  const rest = start < 0 ? debugLog : debugLog.slice(start);
  const next = start < 0 ? -1 : rest.slice(1).search(/\*{7} Running test \d+: /);
  // neon logs every header twice and every XML event of a body it has already shown whole.
  const trace = (next < 0 ? rest : rest.slice(0, next + 1))
    .split('\n')
    .filter((l) => !/^(Header Name: |XML: )/.test(l))
    .join('\n');
  return tail(trace, 40);
}

/** litmus's user, when the server runs with users configured. */
const USER = { name: 'litmus', password: 'litmus-secret-7' };

const litmusRun = test.macro(async (t, backend: 'fs' | 's3', mode: 'open' | 'users') => {
  t.timeout(15 * 60_000);
  const litmus = await ensureTool('litmus', 'litmus');
  let env: Record<string, string> = {};
  if (backend === 's3') {
    const s3 = await s3Server();
    t.teardown(() => s3.stop());
    env = s3Env(s3, `kluis-litmus-${randomBytes(4).toString('hex')}`);
  }
  const work = await scratchDir(t, 'kluis-litmus-');
  // With users, a lock token is shown in DAV:lockdiscovery to its owner only: litmus, the owner of its locks.
  if (mode === 'users') {
    const file = path.join(work, 'users.json');
    await writeFile(
      file,
      JSON.stringify({
        users: [
          { name: USER.name, password: await hashSecret(USER.password) },
          { name: 'other', password: await hashSecret('other-secret') },
        ],
      }),
    );
    env = { ...env, KLUIS_USERS_FILE: file };
  }
  const server = await startDavServer(t, env);
  const credentials = mode === 'users' ? [USER.name, USER.password] : [];
  const failures: string[] = [];
  for (const suite of SUITES) {
    const cwd = path.join(work, suite);
    await mkdir(cwd);
    // The wrapper finds the suite programs and passes them --htdocs; TESTS picks one suite.
    const run = await runTool(litmus, [server.dav, ...credentials], { cwd, env: { TESTS: suite }, timeoutMs: 5 * 60_000 });
    const report = readLitmus(suite, run.stdout + run.stderr);
    t.log(report.summary ?? `${suite}: no summary line (exit ${run.code}${run.timedOut ? ', killed after 5 minutes' : ''})`);
    if (report.warnings > 0) t.log(`${suite}: ${report.warnings} warning(s)`);
    if (report.skipped > 0) t.log(`${suite}: ${report.skipped} test(s) skipped`);
    const clean = report.summary !== undefined && report.failed === 0 && report.warnings === 0 && report.skipped === 0 && report.run > 0 && !run.timedOut;
    if (clean) continue;
    const debugLog = await readFile(path.join(cwd, 'debug.log'), 'utf8').catch(() => '(no debug.log)');
    const first = report.problems[0];
    failures.push(
      [
        `=== ${suite}: ${report.summary ?? 'no summary line'} (${report.warnings} warnings, ${report.skipped} skipped${run.timedOut ? ', killed after 5 minutes' : ''})`,
        ...(report.problems.length > 0 ? report.problems.map((p) => p.text) : [tail(report.output, 20)]),
        `--- debug.log, ${first ? `test ${first.test}` : 'end'} (last 40 lines):`,
        traceOf(debugLog, first),
      ].join('\n'),
    );
  }
  t.is(failures.length, 0, `litmus against ${server.dav} (${backend}, ${mode} mode):\n\n${failures.join('\n\n')}`);
});

test('litmus on local disk, open mode: basic, copymove, props, locks and http pass with no warning and nothing skipped', litmusRun, 'fs', 'open');
test('litmus on local disk, with users (litmus signs in): basic, copymove, props, locks and http pass with no warning and nothing skipped', litmusRun, 'fs', 'users');
test('litmus on S3, open mode: basic, copymove, props, locks and http pass with no warning and nothing skipped', litmusRun, 's3', 'open');
