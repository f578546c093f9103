import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound, syncDir } from './durable.js';

export interface RecordLockOptions {
  /** A lock whose marker has not been refreshed for this long belongs to a dead or stalled writer. */
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

/** How long a writer waits for a record's lock before it gives up (a live holder holds it for milliseconds). */
const WAIT_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `<dir>/<kind>~<16 hex>~`: where the pending writes (`w`) and lock candidates (`t`) of the record `file` start. */
export function pendingPrefix(file: string, kind: 'w' | 't' = 'w'): string {
  const hash = createHash('sha256').update(path.basename(file)).digest('hex').slice(0, 16);
  return path.join(path.dirname(file), `${kind}~${hash}~`);
}

/**
 * Lock the record `file` for a write that a stalled writer cannot overwrite. The lock is the
 * directory `lock` holding one marker (an empty directory) named by its holder (a UUID),
 * refreshed (mtime) while held. POSIX has no compare-and-set on names, but two operations are
 * conditional: a directory renamed onto an existing one replaces it only if it is empty, and
 * rmdir removes one exact name. So a writer takes the lock by renaming a directory it made,
 * its marker inside, onto `lock` (one of two racing writers wins: the other finds it
 * non-empty); it gives the lock back by removing its own marker (if a takeover removed it,
 * nothing of another's is touched) and then removing the directory if it is still empty.
 *
 * A marker not refreshed for `staleMs` is taken over: the taker first deletes every pending file
 * of the record (the fence), then removes that marker by name, then renames its own directory in.
 * Every writer creates its pending file beside the record before it asks for the lock, so a
 * holder that paused past the staleness (SIGSTOP, a thread pool stuck behind slow fsyncs) finds
 * its pending file gone when it renames: the rename fails and nothing is overwritten. Rename and
 * unlink of one name are atomic with respect to each other: the paused writer's rename either
 * landed before the sweep (and the taker reads it) or cannot land.
 *
 * Within one process, the writers of a record take turns before they ask for the lock; after its
 * turn came, a writer for which `stillWanted` says no gets undefined and no lock. A pending
 * file of a killed writer goes at the next takeover of that record; a killed writer's candidate
 * directory (`t~…`) stays, as two empty directories.
 */
export function lockRecord(file: string, lock: string, options: RecordLockOptions): Promise<HeldRecord>;
export function lockRecord(file: string, lock: string, options: RecordLockOptions, stillWanted: () => Promise<boolean>): Promise<HeldRecord | undefined>;
export async function lockRecord(file: string, lock: string, options: RecordLockOptions, stillWanted: () => Promise<boolean> = async () => true): Promise<HeldRecord | undefined> {
  const { leave, waited } = await turn(file);
  try {
    // A writer whose compare-and-set is already lost (another wrote while it waited) goes
    // without touching the lock: with many writers of one file, most of them. One that did not
    // wait is not asked: the revision check under the lock decides for it (a read reused from a
    // precheck may be old, which costs at most this lock on a lost race).
    if (waited && !(await stillWanted())) {
      leave();
      return undefined;
    }
    return await lockAcrossProcesses(file, lock, options, leave);
  } catch (err) {
    leave();
    throw err;
  }
}

/** The writers of one record in this process, each waiting for the one before it. */
const turns = new Map<string, Promise<void>>();

/** Wait for this process's turn at `file`; returns the function that passes it on, and whether another writer went first. */
async function turn(file: string): Promise<{ leave: () => void; waited: boolean }> {
  const before = turns.get(file);
  let pass = () => {};
  const mine = new Promise<void>((resolve) => (pass = resolve));
  const queue = (before ?? Promise.resolve()).then(() => mine);
  turns.set(file, queue);
  await before;
  const leave = () => {
    pass();
    if (turns.get(file) === queue) turns.delete(file);
  };
  return { leave, waited: before !== undefined };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lockAcrossProcesses(file: string, lock: string, options: RecordLockOptions, leave: () => void): Promise<HeldRecord> {
  const me = randomUUID();
  const pending = `${pendingPrefix(file)}${me}`;
  const candidate = `${pendingPrefix(file, 't')}${me}`;
  const marker = path.join(lock, me);
  const handle = await open(pending, 'wx');
  const cleanUp = async () => {
    await handle.close().catch(() => {});
    await unlink(pending).catch(() => {});
    await rm(candidate, { recursive: true, force: true });
  };
  try {
    await mkdir(candidate);
    await mkdir(path.join(candidate, me));
    await acquire(file, lock, candidate, me, pending, options);
  } catch (err) {
    await cleanUp();
    throw err;
  }
  // Refreshed while held: a holder that stops refreshing (paused, dead) is taken over.
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(marker, now, now).catch(() => {}); // gone: taken over, and the publish will say so
  }, options.staleMs / 4);
  refresh.unref();
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
      clearInterval(refresh);
      await close().catch(() => {});
      if (!published) await unlink(pending).catch(() => {});
      // Only this writer's marker; the directory only if nobody renamed theirs in meanwhile (ENOTEMPTY).
      const mine = await rmdir(marker).then(
        () => true,
        () => false,
      );
      // Another writer may have renamed its lock in meanwhile (ENOTEMPTY), or it is gone.
      if (mine) await rmdir(lock).catch(() => {});
      leave();
    },
  };
}

/** Rename `candidate` onto `lock` once it is free or its holder is stale; throws after WAIT_MS. */
async function acquire(file: string, lock: string, candidate: string, me: string, pending: string, options: RecordLockOptions): Promise<void> {
  const started = Date.now();
  let touched = started;
  for (let attempt = 0; ; attempt++) {
    if (Date.now() - touched > options.staleMs / 4) {
      // A long wait: the marker must not arrive already stale.
      touched = Date.now();
      const now = new Date(touched);
      await utimes(path.join(candidate, me), now, now);
    }
    try {
      await rename(candidate, lock);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    const entries = await readdir(lock).catch(() => [] as string[]);
    const holder = entries.find((name) => UUID.test(name));
    if (holder === undefined && entries.length > 0) {
      // Not a lock of this kind (stray entries, e.g. a desktop's .DS_Store): each removed by its
      // own name once the lock has not changed for the staleness, never the lock itself (another
      // writer may rename its lock in at any moment).
      const changed = await stat(lock).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      );
      if (changed < Date.now() - options.staleMs) {
        for (const stray of entries) await rm(path.join(lock, stray), { recursive: true, force: true }).catch(() => {});
      }
    }
    if (holder !== undefined) {
      const refreshed = await stat(path.join(lock, holder)).then(
        (s) => s.mtimeMs,
        () => undefined,
      );
      if (refreshed !== undefined && refreshed < Date.now() - options.staleMs) {
        // Stale: fence its writer off before the lock can change hands, then remove its marker
        // by name (a holder that refreshed or released meanwhile keeps or already lost it; the
        // name is that holder's alone). Tried again at once only if the marker went.
        if (options.fenced) await sweep(file, pending);
        const removed = await rm(path.join(lock, holder), { recursive: true, force: true }).then(
          () => true,
          () => false,
        );
        if (removed) continue;
      }
    }
    if (Date.now() - started > WAIT_MS) {
      throw Object.assign(new Error(`the lock of ${path.basename(file)} is held by a live writer for over ${WAIT_MS / 1000} s`), { code: 'ELOCKED' });
    }
    await sleep(Math.min(50, 1 + attempt * 2) * (0.5 + Math.random()));
  }
}

/** Delete the pending files of one record (all but `own`): their writers lost the lock. */
async function sweep(file: string, own: string): Promise<void> {
  const dir = path.dirname(file);
  const start = path.basename(pendingPrefix(file));
  for (const name of await readdir(dir)) {
    if (!name.startsWith(start) || !UUID.test(name.slice(start.length))) continue;
    const entry = path.join(dir, name);
    if (entry !== own) await unlink(entry).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }
}
