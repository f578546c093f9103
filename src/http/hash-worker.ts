import { Worker } from 'node:worker_threads';

/**
 * SHA-256 on a worker thread, so that hashing a large upload overlaps with reading the socket
 * and writing the disk instead of taking turns with them on the main thread. One thread per
 * process serves every upload (each hash has an id). Plain CommonJS evaluated in the thread:
 * no file to resolve, the same under tsx and in the built dist.
 */
const CODE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('sha256')));
    h.update(new Uint8Array(m.data, 0, m.length));
    // The batch goes back to be filled again: no allocation per megabyte.
    parentPort.postMessage({ id: m.id, op: 'ack', length: m.length, data: m.data }, [m.data]);
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) || createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, op: 'digest', digest: h.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

interface Pending {
  onAck: (length: number, data?: ArrayBuffer) => void;
  onDigest?: (hex: string) => void;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(CODE, { eval: true });
  w.on('message', (m: { id: number; op: 'ack' | 'digest'; length?: number; data?: ArrayBuffer; digest?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    if (m.op === 'ack') p.onAck(m.length ?? 0, m.data);
    else {
      forget(m.id);
      p.onDigest?.(m.digest ?? '');
    }
  });
  w.on('error', (err) => {
    // Every hash in flight fails with it; the next upload starts a new thread.
    worker = undefined;
    for (const p of pending.values()) {
      p.onAck(Infinity); // wake a writer waiting for room
      p.onDigest?.(`error:${err.message}`);
    }
    pending.clear();
    w.unref();
  });
  // The thread keeps the process alive only while a hash is in flight (see track/forget);
  // unref comes after the listeners, since adding a 'message' listener refs the worker again.
  if (pending.size === 0) w.unref();
  worker = w;
  return w;
}

/** Start the thread now (a server does at start), so that its fixed memory is not part of the first upload's. */
export function startHashThread(): void {
  thread();
}

function track(id: number, p: Pending): void {
  pending.set(id, p);
  if (pending.size === 1) worker?.ref();
}

function forget(id: number): void {
  if (pending.delete(id) && pending.size === 0) worker?.unref();
}

/**
 * One SHA-256 computed on the hash thread. Bytes are copied into transferable batches; the
 * caller keeps its buffers. {@link inFlight} tells how many bytes the thread has not hashed yet,
 * so that the caller can apply back-pressure and keep memory flat.
 */
export class OffThreadHash {
  private readonly id = nextId++;
  private batch: ArrayBuffer;
  /** Batches the thread has hashed and handed back. */
  private readonly spare: ArrayBuffer[] = [];
  private used = 0;
  inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly batchBytes = 1 << 20) {
    this.batch = new ArrayBuffer(batchBytes);
    thread();
    track(this.id, {
      onAck: (length, data) => {
        this.inFlight -= length;
        if (data?.byteLength === this.batchBytes) this.spare.push(data);
        for (const wake of this.waiters.splice(0)) wake();
      },
    });
  }

  update(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.batchBytes - this.used);
      chunk.copy(new Uint8Array(this.batch), this.used, offset, offset + n);
      this.used += n;
      offset += n;
      if (this.used === this.batchBytes) this.send();
    }
  }

  /** Resolves once fewer than `limit` bytes wait for the thread. */
  async below(limit: number): Promise<void> {
    while (this.inFlight >= limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The hex digest of everything given to {@link update}. */
  digest(): Promise<string> {
    if (this.used > 0) this.send();
    return new Promise((resolve, reject) => {
      const p = pending.get(this.id);
      if (!p) return reject(new Error('hash thread failed'));
      p.onDigest = (hex) => (hex.startsWith('error:') ? reject(new Error(`hash thread failed: ${hex.slice(6)}`)) : resolve(hex));
      thread().postMessage({ id: this.id, op: 'digest' });
    });
  }

  /** Forget an unfinished hash (a failed upload). */
  drop(): void {
    forget(this.id);
    this.inFlight = 0;
    for (const wake of this.waiters.splice(0)) wake();
    worker?.postMessage({ id: this.id, op: 'drop' });
  }

  private send(): void {
    const data = this.batch;
    const length = this.used;
    this.batch = this.spare.pop() ?? new ArrayBuffer(this.batchBytes);
    this.used = 0;
    this.inFlight += length;
    thread().postMessage({ id: this.id, op: 'update', data, length }, [data]);
  }
}
