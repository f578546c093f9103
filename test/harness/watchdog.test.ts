/**
 * The test runner's watchdog (test/harness/pass.ts) and the worker-side cleanup
 * (test/helpers/children.ts): `npm test` never hangs on a process a test started, and names it.
 * Each case runs ava on a fixture that misbehaves on purpose (test/harness/fixtures/).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { runPass } from './pass.js';
import { tempDir } from '../helpers/server.js';

const CONFIG = 'test/harness/fixtures/ava.config.mjs';

/** Whether `pid` still runs (a zombie waiting to be reaped has ended), after up to 5 s for it to end. */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

async function fixture(file: string, extra: string[], deadlineMs: number) {
  const pids = path.join(await tempDir('kluis-watchdog-'), 'pids');
  let output = '';
  const started = Date.now();
  const pass = await runPass(file, {
    args: ['--config', CONFIG, `test/harness/fixtures/${file}`, ...extra],
    env: { ...process.env, FIXTURE_PIDS: pids },
    deadlineMs,
    write: (chunk) => (output += chunk.toString()),
  });
  const children = (await readFile(pids, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
  return { pass, output, children, ms: Date.now() - started };
}

test.serial('a test that times out: ava ends its worker, and the child it started ends with it', async (t) => {
  const { pass, output, children } = await fixture('timeout.fixture.ts', [], 60_000);
  t.not(pass.code, 0, output);
  t.is(children.length, 1, output);
  t.false(await alive(children[0] as number), 'the child did not outlive its test worker');
  t.deepEqual(pass.watchdog, [], 'nothing was left for the watchdog');
});

test.serial('a passing test that leaves a process running fails the pass, and the watchdog names and kills the process', async (t) => {
  const { pass, output, children } = await fixture('orphan.fixture.ts', [], 60_000);
  t.is(children.length, 1, output);
  const pid = children[0] as number;
  t.not(pass.code, 0, 'the pass fails');
  t.true(
    pass.watchdog.some((line) => line.includes(`pid ${pid}: sleep 600`)),
    pass.watchdog.join('\n'),
  );
  t.false(await alive(pid), 'and the process is gone');
});

test.serial('a pass past its deadline is ended: the watchdog names what ran, kills it and fails the pass', async (t) => {
  const { pass, ms } = await fixture('slow.fixture.ts', ['--timeout=120s'], 5_000);
  t.not(pass.code, 0);
  t.true(ms < 30_000, `ended after ${ms} ms, not after the test's 60 s`);
  t.regex(pass.watchdog.join('\n'), /still running after .* its deadline/);
  t.regex(pass.watchdog.join('\n'), /cli\.mjs/, 'names ava itself among what was running');
});
