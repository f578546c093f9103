import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** A session directory is abandoned once its lock has not been refreshed for this long. */
const STALE_MS = 10_000;

/**
 * This machine as a session name says it: its boot (Linux's boot_id: two hosts with one host
 * name differ there) and its PID namespace (two containers of one host differ there), so that
 * pids are only ever judged where they mean something. Undefined off Linux: sessions are then
 * judged by their locks alone.
 */
function machine(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')
      .trim()
      .replace(/[^0-9a-f]/g, '');
    const namespace = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
    return boot && namespace ? `${boot}-${namespace}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When process `pid` started (clock ticks since boot, /proc/<pid>/stat field 22), or undefined
 * when there is none. A zombie (killed, not yet reaped: state Z or X, field 3) has none: it will
 * never touch its staging again, and a parent that never reaps (a container's first process)
 * would keep it looking alive forever.
 */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** `<machine>~<pid>~<start>~<uuid>`: who made a session, for a reclaim to judge it without waiting. */
const SESSION = /^([0-9a-f]+-\d+)~(\d+)~(\d+)~[0-9a-f-]{36}$/;

/**
 * This process's private staging directory `tmp/<machine>~<pid>~<start>~<uuid>/`, held by a
 * proper-lockfile lock whose mtime is refreshed while the process lives. At start, and in a
 * cluster when the primary sees a worker die, every other session that is known dead is
 * removed, with its half-written uploads: on this machine (same boot, same PID namespace), one
 * whose process is gone, or whose pid now belongs to a process started at another time; from
 * another machine sharing the directory, one whose lock has not been refreshed for 10 s. A
 * live process of this machine is never reclaimed, however long it pauses.
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
    const here = machine();
    const start = startOf(process.pid);
    const dir = path.join(tmpRoot, here && start ? `${here}~${process.pid}~${start}~${randomUUID()}` : randomUUID());
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

/**
 * Whether the session `name` (a directory under `tmpRoot`) is known dead: a session of this
 * machine by its process (gone, a zombie, or its pid now another process's: started at another time),
 * which no pause or slow disk can fake; any other by its lock, not refreshed for 10 s.
 */
async function dead(tmpRoot: string, name: string, here: string | undefined): Promise<boolean> {
  const made = SESSION.exec(name);
  if (made && here !== undefined && made[1] === here) return startOf(Number(made[2])) !== made[3];
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
  // Lock directories whose session directory is already gone. A session that died during the
  // loop above (seen alive there, dead here) keeps its lock with its directory for the next reclaim.
  const left = await readdir(tmpRoot).catch(() => [] as string[]);
  for (const entry of left) {
    if (!entry.endsWith('.lock')) continue;
    const name = entry.slice(0, -'.lock'.length);
    if (left.includes(name) || path.join(tmpRoot, name) === own || !(await dead(tmpRoot, name, here))) continue;
    await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
  }
}
