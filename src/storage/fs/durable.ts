import { closeSync, constants, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Per directory: the fsync running now, and the one queued to start after it. */
const dirSyncs = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

/**
 * fsync a directory so that a rename or a new entry in it survives a crash. Group commit:
 * callers that arrive while an fsync of the same directory runs share the next one, which
 * starts when it ends (the running one may have begun before their change), so N concurrent
 * uploads into one directory cost about two fsyncs instead of N.
 */
export function syncDir(dir: string): Promise<void> {
  const state = dirSyncs.get(dir);
  if (!state) {
    const running = fsyncDir(dir).finally(() => advance(dir));
    dirSyncs.set(dir, { running });
    return running;
  }
  state.next ??= state.running
    .catch(() => {})
    .then(() => fsyncDir(dir))
    .finally(() => advance(dir));
  return state.next;
}

function advance(dir: string): void {
  const state = dirSyncs.get(dir);
  if (!state) return;
  if (state.next) dirSyncs.set(dir, { running: state.next });
  else dirSyncs.delete(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    // Not awaited: the fsync is done, and every upload waits for two of these.
    handle.close().catch(() => {});
  }
}

/** Bytes read at once by {@link readSmallSync}: one read covers any record. */
const SMALL = 64 * 1024;

/**
 * Write `data` to the new file `temp` and fsync it; on failure the file is gone. With
 * {@link replaceWith} after it: an atomic, durable replace (a crash leaves the old or the new content).
 */
export async function writeTemp(temp: string, data: string | Buffer): Promise<void> {
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    // A full disk: the temp file must not stay behind in staging.
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** Rename the durable file `temp` over `target` and fsync the directory; on failure `temp` is gone. */
export async function replaceWith(temp: string, target: string): Promise<void> {
  try {
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDir(path.dirname(target));
}

/**
 * `mkdir -p` whose new entries survive a crash: every directory it creates is fsynced into
 * its parent. Costs nothing when the directory already exists.
 */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    await syncDir(path.dirname(d));
    if (d === first || path.dirname(d) === d) break;
  }
}

/** A missing file or directory: ENOENT, or ENOTDIR for a path through a file. */
export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' || (err as NodeJS.ErrnoException | null)?.code === 'ENOTDIR';
}

/** Blocking reads in a row before the event loop gets a turn (sockets, timers, other requests). */
const READS_PER_TURN = 32;
let readsThisTurn = 0;
const newTurn = () => {
  readsThisTurn = 0;
};

/**
 * Wait for this before a blocking read: at once, except after {@link READS_PER_TURN} of them in
 * one turn of the event loop, when it waits for the next turn. A listing or a scan reading
 * thousands of records would otherwise hold the event loop for all of them.
 */
export async function blockingReadTurn(): Promise<void> {
  while (readsThisTurn >= READS_PER_TURN) await new Promise((resolve) => setImmediate(resolve));
  if (readsThisTurn++ === 0) setImmediate(newTurn);
}

/** The first read of {@link readSmallSync} for a file of unknown size (reads are synchronous: one at a time). */
const scratch = Buffer.allocUnsafe(SMALL);

/** Plain read-only, or with O_NOATIME until the system refuses it (EPERM: another user's file). */
let readFlags = constants.O_RDONLY | (constants.O_NOATIME ?? 0);

function openForRead(file: string): number {
  try {
    return openSync(file, readFlags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM' || readFlags === constants.O_RDONLY) throw err;
    readFlags = constants.O_RDONLY;
    return openSync(file, readFlags);
  }
}

/**
 * The first `limit` bytes of a small file (all of it when shorter), read synchronously on the
 * calling thread: undefined when the file does not exist. Opened with O_NOATIME, so a read never
 * dirties the inode: with relatime the first read after a write updates the access time, which
 * takes a journal handle and may wait behind other writers' fsyncs.
 */
export function readSmallSync(file: string, limit = Infinity): Buffer | undefined {
  let fd: number;
  try {
    fd = openForRead(file);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    // A file of unknown size is read into one reused buffer first, and copied out at its size:
    // a fresh 64 KiB buffer per record read took 8% of a re-read's CPU in a profile.
    const first = limit === Infinity ? scratch : Buffer.allocUnsafe(Math.min(SMALL, limit));
    const n = readSync(fd, first, 0, first.length, 0);
    if (n < first.length || n === limit) return first === scratch ? Buffer.from(first.subarray(0, n)) : first.subarray(0, n);
    const chunks = [first === scratch ? Buffer.from(first) : first];
    let length = n;
    for (;;) {
      const want = Math.min(SMALL, limit - length);
      if (want <= 0) break;
      const buffer = Buffer.allocUnsafe(want);
      const read = readSync(fd, buffer, 0, want, length);
      chunks.push(buffer.subarray(0, read));
      length += read;
      if (read < want) break;
    }
    return Buffer.concat(chunks);
  } finally {
    // A failed close of a read-only descriptor loses nothing: the read's outcome stands.
    try {
      closeSync(fd);
    } catch {}
  }
}
