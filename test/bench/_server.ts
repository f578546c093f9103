/**
 * kluis under test: `src/main.ts` as a child process (test/helpers/server.ts startChild) on a
 * data dir of its own, with the caller's environment passed through, KLUIS_WORKERS and
 * KLUIS_LOG_LEVEL included (which startChild would otherwise pin to 1 and info); KLUIS_WORKERS
 * unset means the server's default (one per core). Stopping is SIGTERM, then SIGKILL of the
 * whole tree after 15 s; a live server is also killed when the bench exits or is interrupted.
 */
import { readFile } from 'node:fs/promises';
import { startChild, type ChildServer } from '../helpers/server.js';
import { killOnExit } from './_cleanup.js';
import { children, nodeTree } from './_procs.js';

export interface Kluis {
  url: string;
  pid: number;
  /** The last 64 KiB of the server's output. */
  tail(): string;
  stop(): Promise<void>;
}

/** SIGKILL `pid` if it is still a kluis process (its command line runs src/main.ts), not a reused pid. */
async function killIfKluis(pid: number): Promise<void> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('src/main.ts')) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

export async function startKluis(dataDir: string, env: Record<string, string> = {}): Promise<Kluis> {
  // startChild sets KLUIS_LOG_LEVEL=info unless told otherwise: keep the user's choice when it
  // still logs the "listening" line that startChild reads the port from.
  const level = process.env.KLUIS_LOG_LEVEL;
  if (level && !['info', 'debug', 'trace'].includes(level)) {
    throw new Error(`KLUIS_LOG_LEVEL=${level} hides the "listening" log line the bench reads the server's port from; use info (the default), debug or trace`);
  }
  const passed: Record<string, string> = level ? { KLUIS_LOG_LEVEL: level } : {};
  // startChild runs one process unless told otherwise; the bench runs what the user set, and
  // when nothing is set, the server's own default (an empty value means "default" to kluis).
  passed.KLUIS_WORKERS = process.env.KLUIS_WORKERS ?? '';
  // The periodic store scan (one record read per file, every 300 s by default) would land in
  // the middle of some measurement after the first five minutes: off, unless the user sets it.
  passed.KLUIS_STATS_INTERVAL_SECONDS = process.env.KLUIS_STATS_INTERVAL_SECONDS ?? '0';
  const mine = new Set(await children(process.pid));
  let server: ChildServer;
  try {
    server = await startChild(dataDir, { ...passed, ...env });
  } catch (err) {
    // startChild gave up (no "listening" line, or the server died): its child, if alive, is
    // ours to stop, found as a new child of this process running src/main.ts.
    for (const pid of await children(process.pid)) {
      if (mine.has(pid)) continue;
      const tree = await nodeTree(pid).catch(() => []);
      for (const p of tree) await killIfKluis(p.pid);
    }
    throw err;
  }
  const forget = killOnExit(() => server.child.kill('SIGKILL'));
  const pid = server.child.pid as number;
  // startChild's listener keeps every byte and re-scans it all on each chunk: fine for a test,
  // quadratic for a bench that logs a line per request. Keep a bounded tail instead.
  let tail = server.output();
  for (const stream of [server.child.stdout, server.child.stderr]) {
    stream?.removeAllListeners('data');
    stream?.on('data', (c: Buffer) => {
      tail += c.toString();
      if (tail.length > 128 * 1024) tail = tail.slice(-64 * 1024);
    });
  }
  return {
    url: server.url,
    pid,
    tail: () => tail.slice(-64 * 1024),
    stop: async () => {
      const tree = await nodeTree(pid).catch(() => []);
      const timer = setTimeout(() => void Promise.all(tree.map((p) => killIfKluis(p.pid))), 15_000);
      try {
        await server.stop('SIGTERM');
      } finally {
        clearTimeout(timer);
        forget();
      }
      // Workers outliving their primary would skew every later figure.
      await Promise.all(tree.map((p) => killIfKluis(p.pid)));
    },
  };
}

/** The number of worker processes under the server (0: it serves in its own process). */
export async function workerCount(server: Kluis): Promise<number> {
  return (await nodeTree(server.pid)).filter((p) => p.pid !== server.pid).length;
}
