import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StagedBlob } from '../contracts.js';
import { statusOf, unavailable } from './client.js';
import { Budget, readHead } from './held.js';
import type { Janitor } from './janitor.js';
import type { S3Options } from './options.js';
import type { RemovalWindows } from './removal-window.js';

/** A staged blob held in this process's memory (a body of at most one part), by its id. */
const HELD = 'held:';
/** Attempts of a held commit: each one that lost its blob to a removal between its PUT and its touch goes again. */
const HELD_ATTEMPTS = 10;
/** Bytes of bodies a process holds in memory at once; past it, bodies are streamed to staging. */
export const HELD_BUDGET = 64 * 2 ** 20;

/** What a held commit needs of the blob store: a blob's key (the hash checked), its touch (exclusive with removals), a HEAD of it. */
export interface Touching {
  key(sha256: string): string;
  touch(sha256: string): Promise<void>;
  size(sha256: string): Promise<number | undefined>;
}

/**
 * Bodies of at most one part (`partSize`), held in memory from stage to commit and published
 * with one PUT `If-None-Match: *` (docs/storage-design.md, "Requests per operation"). All of
 * them together take at most {@link HELD_BUDGET}; a body that does not fit is handed back as a
 * stream for the staging path.
 */
export class HeldBodies {
  private readonly held = new Map<string, Buffer>();
  /** Held commits that skipped their touch, by staged id: their record write must end before `deadline` (performance.now()). */
  private readonly untouched = new Map<string, { sha256: string; deadline: number }>();
  private readonly budget = new Budget(HELD_BUDGET);

  constructor(
    private readonly client: S3Client,
    private readonly options: S3Options,
    private readonly store: Touching,
    private readonly windows: RemovalWindows,
    private readonly janitor: Janitor,
  ) {}

  /** Hold `body` when it fits (a staged blob), else hand it back as a stream of every byte. */
  async hold(body: Readable): Promise<StagedBlob | { stream: Readable }> {
    const head = await readHead(body, this.options.partSize, this.budget);
    if (!('whole' in head)) return head;
    const id = `${HELD}${randomUUID()}`;
    this.held.set(id, head.whole);
    return { id };
  }

  holds(staged: StagedBlob): boolean {
    return staged.id.startsWith(HELD);
  }

  discard(staged: StagedBlob): void {
    this.untouched.delete(staged.id);
    this.release(staged.id);
  }

  /**
   * Publish a body held in memory: one PUT `If-None-Match: *`. A new blob needs nothing else: no
   * removal can take a blob that did not exist, and the new one is younger than any cutoff. If
   * the content is already stored (412), that is all too while no removal window is open or
   * about to be ({@link RemovalWindows.quietUntil}); inside one (or on a 409, another PUT of it in
   * flight) the blob is touched as a staged commit touches it, and published again if a removal
   * took it between.
   */
  async commit(staged: StagedBlob, sha256: string): Promise<boolean> {
    const body = this.held.get(staged.id);
    if (!body) throw new Error(`staged blob ${staged.id} is gone`);
    const first = await this.putNew(sha256, body);
    if (first === 'created') {
      this.release(staged.id);
      return true;
    }
    const deadline = first === 'stored' ? this.windows.quietUntil() : undefined;
    if (deadline !== undefined) {
      // Stored, and no removal window can be read before the record write sent next lands, if
      // that write ends before the deadline; settle() checks, so the bytes are kept until then.
      this.untouched.set(staged.id, { sha256, deadline });
      return false;
    }
    try {
      return await this.publishTouched(body, sha256, first === 'busy');
    } finally {
      this.release(staged.id);
    }
  }

  /**
   * Touch the blob, as a staged commit does, and publish `body` again if a removal took the blob
   * before the touch. Resolves true when this call stored the bytes.
   */
  private async publishTouched(body: Buffer, sha256: string, busy = false): Promise<boolean> {
    for (let attempt = 0; attempt < HELD_ATTEMPTS; attempt++) {
      // 409: another PUT of this content is in flight; give it time to land before the touch.
      if (busy) await sleep(Math.min(1000, 25 * 2 ** attempt));
      await this.store.touch(sha256);
      // No removal can start after the touch; one that finished before it took the blob away.
      if ((await this.store.size(sha256)) !== undefined) return false;
      const again = await this.putNew(sha256, body);
      if (again === 'created') return true;
      busy = again === 'busy';
    }
    throw unavailable(new Error(`blob ${sha256} kept vanishing`), `PutObject ${this.store.key(sha256)}`);
  }

  /** One PUT `If-None-Match: *` of a blob: created, already stored (412), or another PUT of it in flight (409). */
  private async putNew(sha256: string, body: Buffer): Promise<'created' | 'stored' | 'busy'> {
    const key = this.store.key(sha256);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentLength: body.length, IfNoneMatch: '*' }));
      return 'created';
    } catch (err) {
      const status = statusOf(err);
      if (status === 412) return 'stored';
      if (status === 409) return 'busy';
      throw unavailable(err, `PutObject ${key}`);
    }
  }

  /** See BlobStore.settle: a commit that skipped its touch touches now if its record write ended late or uncertain. */
  async settle(staged: StagedBlob, uncertain = false): Promise<void> {
    const untouched = this.untouched.get(staged.id);
    this.untouched.delete(staged.id);
    const body = this.held.get(staged.id);
    if (!untouched || !body || (!uncertain && performance.now() <= untouched.deadline)) {
      this.release(staged.id);
      return;
    }
    // A record write that ended late (or may land later) may have landed after a window's
    // wait: touch now, as a commit inside a window does, and publish the kept bytes again if a
    // removal took them. While the store is away the janitor retries, keeping the bytes.
    await this.janitor.run(`settle ${staged.id}`, async () => {
      await this.publishTouched(body, untouched.sha256);
      this.release(staged.id);
    });
  }

  /** Forget a held body and give its bytes back to the budget. */
  private release(id: string): void {
    this.budget.give(this.held.get(id)?.length ?? 0);
    this.held.delete(id);
  }
}
