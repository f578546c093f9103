import type { Readable } from 'node:stream';

/** A body read to its end within the limit: its bytes (still counted in the budget until given back). */
export interface Whole {
  whole: Buffer;
}

/** A body longer than the limit, or than the budget left: a stream of every byte (those read so far first, then the rest). */
export interface Longer {
  stream: Readable;
}

/** The bytes a process may hold in memory for bodies waiting for their commit. */
export class Budget {
  private used = 0;

  constructor(readonly bytes: number) {}

  take(n: number): boolean {
    if (this.used + n > this.bytes) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/**
 * Read `source` until it ends or passes `limit` bytes or the `budget`, whichever comes first. A
 * body that ends within both is returned whole (its bytes stay taken from the budget until the
 * caller gives them back), so the store can publish it with one PUT once its hash is known; any
 * other comes back as `source` itself, paused, with what was read put back in front of it
 * (`unshift`), for a multipart upload. At most `limit` bytes plus one chunk are held. An error
 * of `source` while the head is read rejects.
 */
export function readHead(source: Readable, limit: number, budget: Budget): Promise<Whole | Longer> {
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    let size = 0;
    const stop = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      budget.give(size);
    };
    const onData = (chunk: Buffer) => {
      head.push(chunk);
      size += chunk.length;
      if (size <= limit && budget.take(chunk.length)) return;
      size -= chunk.length; // never taken
      source.pause();
      stop();
      // Put what was read back in front of the rest, in order: the body is then read as if
      // nothing had been taken from it (no extra stream between it and the upload).
      for (let i = head.length - 1; i >= 0; i--) source.unshift(head[i]);
      resolve({ stream: source });
    };
    const onEnd = () => {
      source.off('data', onData);
      source.off('error', onError);
      resolve({ whole: Buffer.concat(head, size) });
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
  });
}
