import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { isNotFound, syncDir } from './durable.js';

export interface RecordLockOptions {
  /** A lock whose mtime has not moved for this long belongs to a dead or stalled writer. */
  staleMs: number;
  /** Off only to show, in a test, the lost update the fence prevents. */
  fenced: boolean;
}

/** A record's lock, held: the new bytes go to `write`, become the record at `publish`. */
export interface HeldRecord {
  /** Write the record's new bytes to its pending file and fsync them: nothing is visible yet. */
  write(data: string): Promise<void>;
  /** Rename the pending file over the record; false when this writer was fenced off (see {@link lockRecord}). */
  publish(): Promise<boolean>;
  /** Give the lock back (only if it is still this writer's) and remove what was not published. */
  release(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `<dir>/w~<16 hex>~`: where the pending writes of the record `file` start (fixed length, whatever the name's). */
export function pendingPrefix(file: string): string {
  const hash = createHash('sha256').update(path.basename(file)).digest('hex').slice(0, 16);
  return path.join(path.dirname(file), `w~${hash}~`);
}

/**
 * proper-lockfile caches the lock directory's mtime precision on the `fs` object it is given;
 * each lock gets a fresh object (below), made from this one, which is given the cache once
 * known so that an acquisition costs no extra probe.
 */
const baseFs: typeof fs = Object.create(fs);

/**
 * Lock the record `file` (lock directory `lock`) for a write that cannot be lost to a stalled
 * writer. POSIX has no conditional rename, so the fence is the pending file itself: every
 * writer creates its pending file beside the record before it asks for the lock, and whoever
 * takes a stale lock over deletes every pending file of that record first. A writer that
 * paused past the staleness (SIGSTOP, a thread pool stuck behind slow fsyncs) then finds its
 * pending file gone when it renames: the rename fails (ENOENT) and nothing is overwritten.
 * Rename and unlink of one name are atomic with respect to each other, so either the rename
 * landed before the takeover (and the new holder reads it) or it cannot land at all. A writer
 * whose lock was taken over also never removes the new holder's lock when it releases.
 * A pending file left by a killed process goes at the next takeover of that record's lock.
 */
export async function lockRecord(file: string, lock: string, options: RecordLockOptions): Promise<HeldRecord> {
  const leave = await turn(file);
  try {
    return await lockAcrossProcesses(file, lock, options, leave);
  } catch (err) {
    leave();
    throw err;
  }
}

/** The writers of one record in this process, each waiting for the one before it. */
const turns = new Map<string, Promise<void>>();

/**
 * Wait for this process's turn at `file`; returns the function that passes it on. proper-lockfile
 * keeps one lock per path per process, so two writers of one process that both took a stale lock
 * over (each judging it stale before the other replaced it) would share it: one's release
 * removed the other's, and its refresh timer then threw (an uncaught TypeError that ended the
 * process). One writer per record per process at a time rules that out, and waiters wait on a
 * promise instead of polling the lock directory.
 */
async function turn(file: string): Promise<() => void> {
  const before = turns.get(file);
  let leave = () => {};
  const mine = new Promise<void>((resolve) => (leave = resolve));
  const queue = (before ?? Promise.resolve()).then(() => mine);
  turns.set(file, queue);
  await before;
  return () => {
    leave();
    if (turns.get(file) === queue) turns.delete(file);
  };
}

async function lockAcrossProcesses(file: string, lock: string, options: RecordLockOptions, leave: () => void): Promise<HeldRecord> {
  const prefix = pendingPrefix(file);
  const pending = `${prefix}${randomUUID()}`;
  const handle = await open(pending, 'wx');
  /**
   * held: acquired; made: the mkdir was this writer's; mtime: the last this writer gave its lock;
   * judged: the other writer's lock as proper-lockfile's stat saw it when it judged it stale.
   */
  const state = { held: false, made: false, mtime: 0, judged: undefined as fs.Stats | undefined };
  const lockFs: typeof fs = Object.create(baseFs);
  if (options.fenced) {
    Object.assign(lockFs, {
      rmdir(dir: string, done: (err: NodeJS.ErrnoException | null) => void) {
        if (!state.held) {
          // Acquiring: proper-lockfile judged the lock stale and removes it. Fence its holder off,
          // then remove the lock only if it is still the one judged: between that stat and now
          // another writer may have taken it over and made a fresh lock of its own.
          sweep(prefix, pending).then(() => removeIfSame(dir, state.judged, done), done);
          return;
        }
        // Releasing: only a lock that still carries this writer's last refresh (a lock taken over
        // is another's; 1 ms absorbs the float seconds of utimes).
        fs.stat(dir, (err, stat) => {
          if (err) return done(isNotFound(err) ? null : err);
          if (Math.abs(stat.mtimeMs - state.mtime) >= 1) return done(null);
          fs.rmdir(dir, done);
        });
      },
      mkdir(dir: string, done: (err: NodeJS.ErrnoException | null) => void) {
        fs.mkdir(dir, (err) => {
          state.made ||= !err;
          done(err);
        });
      },
      stat(target: string, done: (err: NodeJS.ErrnoException | null, stat: fs.Stats) => void) {
        fs.stat(target, (err, stat) => {
          // Before this writer's mkdir: another's lock, judged. Right after it (proper-lockfile's
          // precision probe): the mtime this writer's lock starts with.
          if (!err && !state.made) state.judged = stat;
          if (!err && state.made && !state.held) state.mtime = stat.mtimeMs;
          done(err, stat);
        });
      },
      utimes(target: string, atime: Date, mtime: Date, done: (err: NodeJS.ErrnoException | null) => void) {
        fs.utimes(target, atime, mtime, (err) => {
          if (!err) state.mtime = mtime.getTime();
          done(err);
        });
      },
    });
  }
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      lockfilePath: lock,
      realpath: false,
      stale: options.staleMs,
      // Contention is short (one read and one fsynced write); wait out a dead holder's stale lock.
      retries: { retries: 400, factor: 1.3, minTimeout: 1, maxTimeout: 50, randomize: true },
      // A lock taken over while held: this writer's pending file is gone, its publish fails.
      onCompromised: () => {},
      fs: lockFs,
    });
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(pending).catch(() => {});
    throw err;
  }
  state.held = true;
  for (const symbol of Object.getOwnPropertySymbols(lockFs)) {
    if (!(symbol in baseFs)) Object.defineProperty(baseFs, symbol, { value: (lockFs as never)[symbol] });
  }
  let open_ = true;
  let published = false;
  const close = async () => {
    if (!open_) return;
    open_ = false;
    await handle.close();
  };
  return {
    async write(data) {
      await handle.writeFile(data);
      await handle.sync();
    },
    async publish() {
      await close();
      try {
        await rename(pending, file);
      } catch (err) {
        if (isNotFound(err) && options.fenced) return false;
        throw err;
      }
      published = true;
      await syncDir(path.dirname(file));
      return true;
    },
    async release() {
      await close().catch(() => {});
      if (!published) await unlink(pending).catch(() => {});
      await release().catch(() => {});
      leave();
    },
  };
}

/** rmdir `dir` if it is still the lock `judged` (same inode, same mtime); else fail so that proper-lockfile tries again. */
function removeIfSame(dir: string, judged: fs.Stats | undefined, done: (err: NodeJS.ErrnoException | null) => void): void {
  fs.stat(dir, (err, now) => {
    if (err) return done(isNotFound(err) ? null : err);
    if (!judged || now.ino !== judged.ino || now.mtimeMs !== judged.mtimeMs) {
      return done(Object.assign(new Error('the stale lock was taken over meanwhile'), { code: 'ELOCKED' }));
    }
    fs.rmdir(dir, done);
  });
}

/** Delete the pending files of one record (all but `own`): their writers lost the lock. */
async function sweep(prefix: string, own: string): Promise<void> {
  const dir = path.dirname(prefix);
  const start = path.basename(prefix);
  for (const name of await readdir(dir)) {
    if (!name.startsWith(start) || !UUID.test(name.slice(start.length))) continue;
    const entry = path.join(dir, name);
    if (entry !== own) await unlink(entry).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }
}
