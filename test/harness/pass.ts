/**
 * One ava run for `npm test`, watched. ava runs in a process group of its own, so everything it
 * and its test workers start is in that group unless a test moved it out. A pass ends:
 * - when ava exits: anything of its group still running then outlived its test, which is a
 *   failure: the watchdog names each process (pid and command line), kills the group and
 *   fails the pass, instead of waiting on it;
 * - or at its deadline: the watchdog names what was still running, kills the group and fails.
 *
 * ava's output goes to the terminal as it comes; its failure lines (those with `✘`) are also
 * kept, and so are its details of failures (assertion, diff, stack), for the run's recap.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../helpers/server.js';

const AVA = path.join(ROOT, 'node_modules/ava/entrypoints/cli.mjs');
/** ava marks a failed test, a timeout or an uncaught error with this. */
const FAILURE_MARK = '✘';
/** ava's section rule: the failures' details (file, line, assertion, diff) come after the first one. */
const RULE = '─';
/** Lines of a failed pass's details kept: the last ones. */
const DETAIL_LINES = 400;
/** After ava exits, how long its output may take to end before the watchdog looks for what holds it. */
const CLOSE_GRACE_MS = 10_000;

/** One ava run: its name in the recap, its exit code, the `✘` lines, the details it printed, and what the watchdog said. */
export interface Pass {
  name: string;
  code: number;
  failures: string[];
  details: string[];
  watchdog: string[];
}

export interface PassOptions {
  /** Arguments to ava (files, `--config`, `--match` …). */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The whole pass may take this long; then the watchdog ends it. */
  deadlineMs: number;
  /** Where ava's output goes as it comes (the terminal, by default). */
  write?: (chunk: Buffer) => void;
}

const stripAnsi = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '');

/** Processes whose process group is `group`, with their command lines (from /proc). */
export async function groupMembers(group: number): Promise<{ pid: number; command: string }[]> {
  const found: { pid: number; command: string }[] = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== group || fields[0] === 'Z') continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      found.push({ pid: Number(entry), command });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Groups of passes running now: a Ctrl-C or SIGTERM of the runner ends them too (they are not in its group). */
const live = new Set<number>();
let forwarding = false;

function forwardSignals(): void {
  if (forwarding) return;
  forwarding = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const group of live) killGroup(group);
      process.exit(1);
    });
  }
}

function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    // nothing left
  }
}

/** Run ava with `options.args` under the watchdog. Never rejects for a failing pass. */
export function runPass(name: string, options: PassOptions): Promise<Pass> {
  const write = options.write ?? ((chunk: Buffer) => process.stdout.write(chunk));
  return new Promise((resolve, reject) => {
    // ava's stdout is a pipe here: keep its colours when ours is a terminal.
    const colour = process.stdout.isTTY && options.env.FORCE_COLOR === undefined && options.env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {};
    const child = spawn(process.execPath, [AVA, ...options.args], { cwd: ROOT, env: { ...options.env, ...colour }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const group = child.pid as number;
    live.add(group);
    forwardSignals();
    const pass: Pass = { name, code: 0, failures: [], details: [], watchdog: [] };
    let inDetails = false;
    let partial = '';
    const scan = (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const line = stripAnsi(raw).trimEnd();
        if (line.includes(FAILURE_MARK)) pass.failures.push(line);
        inDetails ||= line.trim() === RULE;
        if (inDetails) pass.details.push(line);
        if (pass.details.length > DETAIL_LINES) pass.details.shift(); // the details are at the end
      }
    };
    const onData = (chunk: Buffer) => {
      write(chunk);
      scan(chunk.toString('utf8'));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const say = (line: string) => {
      pass.watchdog.push(line);
      write(Buffer.from(`\n# watchdog: ${line}\n`));
    };
    /** Name what is left of the group, kill it, fail the pass. */
    const reap = async (why: string, settleMs = 0) => {
      // Processes just killed (by a worker on its way out) may take a moment to go.
      let left = await groupMembers(group);
      for (const end = Date.now() + settleMs; left.length > 0 && Date.now() < end; left = await groupMembers(group)) await new Promise((resolve) => setTimeout(resolve, 100));
      if (left.length === 0) return false;
      say(`${why}; killed ${left.length} process(es) of the pass:`);
      for (const { pid, command } of left) say(`  pid ${pid}: ${command}`);
      killGroup(group);
      return true;
    };
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      live.delete(group);
      clearTimeout(deadline);
      scan('\n');
      pass.code = code;
      resolve(pass);
    };
    const deadline = setTimeout(() => {
      void (async () => {
        const minutes = Math.round(options.deadlineMs / 6000) / 10;
        if (!(await reap(`${name} was still running after ${minutes} min, its deadline`))) killGroup(group);
        finish(1);
      })();
    }, options.deadlineMs);
    child.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      const exitCode = code ?? (signal ? 1 : 0);
      // Its output ends when every holder of the pipes is gone: ava and anything that inherited them.
      const closed = new Promise<void>((ok) => child.once('close', () => ok()));
      const grace = new Promise<void>((ok) => setTimeout(ok, CLOSE_GRACE_MS).unref());
      void Promise.race([closed, grace]).then(async () => {
        const orphans = await reap(`${name}: ava exited (${exitCode}) but processes its tests started were still running`, 3000);
        finish(orphans ? 1 : exitCode);
      });
    });
  });
}
