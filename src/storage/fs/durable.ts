import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** fsync a directory so that a rename or a new entry in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `target` with `data` atomically and durably: write a temp file, fsync it, rename it
 * over the target, fsync the directory. A crash leaves either the old or the new content.
 */
export async function writeFileDurable(target: string, temp: string, data: string | Buffer): Promise<void> {
  const handle = await open(temp, 'wx');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    // A full disk or a failed rename: the temp file must not stay behind in staging.
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
