import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** A session directory is abandoned once its lock has not been refreshed for this long. */
const STALE_MS = 10_000;

/**
 * This machine as a session name says it: the host name and the PID namespace, so that two
 * containers with one host name never judge each other's process ids.
 */
function machine(): string {
  let namespace = 'none';
  try {
    namespace = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '') || namespace;
  } catch {
    // not Linux: only the host name, and pids are judged within it
  }
  return `${os.hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-${namespace}`;
}

/** Whether process `pid` exists on this machine (a process of another user counts). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<machine>~<pid>~<uuid>`: who made a session, for a reclaim to judge it without waiting. */
const SESSION = /^(.+)~(\d+)~[0-9a-f-]{36}$/;

/**
 * This process's private staging directory `tmp/<machine>~<pid>~<uuid>/`, held by a
 * proper-lockfile lock whose mtime is refreshed while the process lives. At start, and in a
 * cluster when the primary sees a worker die, every other session that is known dead is
 * removed, with its half-written uploads: on this machine, one whose process is gone; otherwise
 * (another machine sharing the directory, or a pid that runs again, reused) one whose lock has
 * not been refreshed for 10 s. Those of live processes are never touched.
 */
export class TempArea {
  readonly dir: string;
  private readonly release: () => Promise<void>;

  private constructor(dir: string, release: () => Promise<void>) {
    this.dir = dir;
    this.release = release;
  }

  static async open(tmpRoot: string): Promise<TempArea> {
    await mkdir(tmpRoot, { recursive: true });
    await reclaimStaging(tmpRoot);
    const dir = path.join(tmpRoot, `${machine()}~${process.pid}~${randomUUID()}`);
    // The lock before the directory: a directory without a live lock reads as a dead session to
    // the reclaim of a process starting beside this one (the workers of a cluster start together).
    const release = await lockfile.lock(dir, {
      lockfilePath: `${dir}.lock`,
      realpath: false,
      stale: STALE_MS,
      // A compromised session lock means another process may reclaim our staging files;
      // uploads in flight then fail on their own (missing file) and nothing is acknowledged.
      onCompromised: () => {},
    });
    try {
      await mkdir(dir);
    } catch (err) {
      await release().catch(() => {});
      throw err;
    }
    return new TempArea(dir, release);
  }

  file(): string {
    return path.join(this.dir, randomUUID());
  }

  async close(): Promise<void> {
    await this.release().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Whether the session `name` (a directory under `tmpRoot`) is known dead. */
async function dead(tmpRoot: string, name: string, here: string): Promise<boolean> {
  const made = SESSION.exec(name);
  if (made && made[1] === here && !running(Number(made[2]))) return true;
  const dir = path.join(tmpRoot, name);
  const alive = await lockfile.check(dir, { lockfilePath: `${dir}.lock`, realpath: false, stale: STALE_MS }).catch(() => false);
  return !alive;
}

/** Remove the staging directories (and locks) of sessions known dead under `tmpRoot`; `own`: the caller's, never touched. */
export async function reclaimStaging(tmpRoot: string, own?: string): Promise<void> {
  const here = machine();
  const entries = await readdir(tmpRoot).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry.endsWith('.lock') || path.join(tmpRoot, entry) === own) continue;
    if (!(await dead(tmpRoot, entry, here))) continue;
    await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
    await rm(path.join(tmpRoot, `${entry}.lock`), { recursive: true, force: true });
  }
  // Lock directories whose session directory is already gone.
  for (const entry of await readdir(tmpRoot).catch(() => [] as string[])) {
    if (!entry.endsWith('.lock')) continue;
    const name = entry.slice(0, -'.lock'.length);
    if (path.join(tmpRoot, name) === own || !(await dead(tmpRoot, name, here))) continue;
    await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
  }
}
