import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** A session directory is abandoned once its lock has not been refreshed for this long. */
const STALE_MS = 10_000;

/**
 * This process's private staging directory `tmp/<session>/`, held by a proper-lockfile lock
 * whose mtime is refreshed while the process lives. At start every other session directory
 * whose lock is stale or missing is removed: that is how a crashed process's half-written
 * uploads are reclaimed without touching those of a live process sharing the data root.
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
    await reclaim(tmpRoot);
    const dir = path.join(tmpRoot, randomUUID());
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

/** Remove the staging directories of sessions that are no longer alive. */
async function reclaim(tmpRoot: string): Promise<void> {
  for (const entry of await readdir(tmpRoot)) {
    if (entry.endsWith('.lock')) continue;
    const dir = path.join(tmpRoot, entry);
    const lockPath = `${dir}.lock`;
    const alive = await lockfile.check(dir, { lockfilePath: lockPath, realpath: false, stale: STALE_MS }).catch(() => false);
    if (alive) continue;
    await rm(dir, { recursive: true, force: true });
    await rm(lockPath, { recursive: true, force: true });
  }
  // Lock directories whose session directory is already gone.
  for (const entry of await readdir(tmpRoot)) {
    if (!entry.endsWith('.lock')) continue;
    const dir = path.join(tmpRoot, entry.slice(0, -'.lock'.length));
    const alive = await lockfile.check(dir, { lockfilePath: path.join(tmpRoot, entry), realpath: false, stale: STALE_MS }).catch(() => false);
    if (!alive) await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
  }
}
