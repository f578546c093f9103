import { close as closeFd, open as openFd, read as readFd } from 'node:fs';
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

/** Bytes read at once by {@link readSmallFile}: one read covers any record. */
const SMALL = 64 * 1024;

/**
 * The whole content of a small file in as few round trips to the thread pool as possible:
 * open and read, with the close left to finish on its own (readFile adds an fstat, a read at
 * the end and a close to wait for). Undefined when the file does not exist. Callback fs with a
 * plain descriptor, not a FileHandle: a record is read on every request, and a FileHandle's
 * bookkeeping doubled the CPU each read cost.
 */
export function readSmallFile(file: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    openFd(file, 'r', (openErr, fd) => {
      if (openErr) {
        if (openErr.code === 'ENOENT' || openErr.code === 'ENOTDIR') resolve(undefined);
        else reject(openErr);
        return;
      }
      const chunks: Buffer[] = [];
      let position = 0;
      const readNext = () => {
        const buffer = Buffer.allocUnsafe(SMALL);
        readFd(fd, buffer, 0, SMALL, position, (readErr, bytesRead) => {
          if (readErr || bytesRead < SMALL) closeFd(fd, () => {});
          if (readErr) return reject(readErr);
          chunks.push(buffer.subarray(0, bytesRead));
          position += bytesRead;
          if (bytesRead === SMALL) return readNext();
          resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        });
      };
      readNext();
    });
  });
}

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
