import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound, statusOf, unavailable } from './client.js';
import type { S3Options } from './options.js';

/**
 * A window not refreshed for this long was left by a garbage collection that died: ignored,
 * then dropped. Judged by each host's clock, so hosts may differ by much less than this.
 */
const STALE_MS = 6 * 3600_000;
/** How often an open window is refreshed, so a long run's window never looks stale. */
const REFRESH_MS = 10 * 60_000;
/** Rounds of the marker's compare-and-set before a run gives up (each lost one means another writer won). */
const MAX_ROUNDS = 50;

/**
 * The marker: every open window by id, with the time (ms) it was last refreshed, and the wait
 * of the last collection that opened one (`waitMs`): a collection waits at least that long, and
 * a process's quiet period is half the smaller of it and its own, so instances configured with
 * different waits stay safe.
 */
type Marker = { windows: Record<string, number>; waitMs?: number };

/**
 * Removal windows: on S3, garbage collection removes blobs only inside a window it announces
 * in the object `gc/removals`, and it reads no reference before the window has been announced
 * for `waitMs`. Every process reads that object every `pollMs` (a GET). A commit of content
 * that is already stored may then skip the touch when this process holds no window and its
 * last look, begun less than `waitMs / 2` before, found none: if its record write ends within
 * `waitMs / 2` of that look, it landed before any garbage collection that could miss it began
 * reading references, and no blob is removed outside a window. A record write that ends later
 * is followed by the touch (BlobStore.settle). Inside a window, or when the last look is too
 * old (the store was away), commits touch as before. docs/storage-design.md, "Removal windows".
 */
export class RemovalWindows {
  /** performance.now() when the last look that found no window began; undefined after one that found a window. */
  private quietSince: number | undefined;
  /** The wait the marker recorded at the last look (see {@link Marker}). */
  private recordedWaitMs: number | undefined;
  /** Windows this process holds open. */
  private open = 0;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private readonly key: string;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3Options,
    readonly waitMs: number,
    private readonly pollMs: number,
  ) {
    this.key = `${options.prefix}gc/removals`;
  }

  /** Look now, then every `pollMs`. */
  start(): void {
    this.timer = setInterval(() => void this.look(), this.pollMs);
    this.timer.unref();
    void this.look();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * When a commit may skip its touch: no window open here, and none anywhere as of a look begun
   * less than waitMs / 2 ago. Returns the deadline (performance.now()) its record write must end
   * by for that to hold: waitMs / 2 after that look began; undefined when it may not.
   */
  quietUntil(): number | undefined {
    if (this.open > 0 || this.quietSince === undefined) return undefined;
    const deadline = this.quietSince + Math.min(this.waitMs, this.recordedWaitMs ?? this.waitMs) / 2;
    return performance.now() < deadline ? deadline : undefined;
  }

  /** Whether this process has a window open (a conditional removal runs only inside one). */
  get inWindow(): boolean {
    return this.open > 0;
  }

  /**
   * Announce a window and wait `waitMs`: after that, no commit that skipped its touch can have a
   * record write still to land. Resolves with the close, which ends the window (call it once
   * every removal of the window has ended).
   */
  async begin(): Promise<() => Promise<void>> {
    const id = randomUUID();
    let closed = false;
    let waitMs = this.waitMs;
    this.open++;
    try {
      await this.change((marker) => {
        waitMs = Math.max(this.waitMs, marker.waitMs ?? 0);
        return { windows: { ...marker.windows, [id]: Date.now() }, waitMs: this.waitMs };
      });
    } catch (err) {
      this.open--;
      throw err;
    }
    const refresh = setInterval(() => {
      void this.change((marker) => (closed ? marker : { ...marker, windows: { ...marker.windows, [id]: Date.now() } })).catch(() => {});
    }, REFRESH_MS);
    refresh.unref();
    try {
      await sleep(waitMs);
    } catch (err) {
      clearInterval(refresh);
      this.open--;
      throw err;
    }
    return async () => {
      if (closed) return;
      closed = true;
      clearInterval(refresh);
      this.open--;
      // A window that could not be closed goes stale (STALE_MS).
      await this.change(({ windows: { [id]: _closed, ...others }, waitMs: recorded }) => ({ windows: others, ...(recorded ? { waitMs: recorded } : {}) })).catch(() => {});
    };
  }

  /** Read-modify-write of the marker by compare-and-set; stale windows are dropped on the way. */
  private async change(edit: (marker: Marker) => Marker): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (round > 0) await sleep(Math.random() * 20 * Math.min(round, 10));
      const read = await this.read();
      const live = Object.fromEntries(Object.entries(read?.marker.windows ?? {}).filter(([, at]) => Date.now() - at < STALE_MS));
      const body = edit({ ...read?.marker, windows: live });
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: this.key,
            Body: JSON.stringify(body),
            ContentType: 'application/json',
            ...(read ? { IfMatch: read.etag } : { IfNoneMatch: '*' }),
          }),
        );
        return;
      } catch (err) {
        const status = statusOf(err);
        if (status !== 412 && status !== 409 && !(read && status === 404)) throw unavailable(err, `PutObject ${this.key}`);
      }
    }
    throw unavailable(new Error(`${MAX_ROUNDS} lost compare-and-set rounds`), `PutObject ${this.key}`);
  }

  private async read(): Promise<{ marker: Marker; etag: string } | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key }));
      const text = (await out.Body?.transformToString('utf8')) ?? '';
      let marker: Partial<Marker>;
      try {
        marker = JSON.parse(text) as Partial<Marker>;
      } catch {
        throw new Error(`${this.key} is not the removal-window marker kluis writes (delete it to start over): ${text.slice(0, 80)}`);
      }
      const waitMs = typeof marker.waitMs === 'number' ? marker.waitMs : undefined;
      return { marker: { windows: marker.windows ?? {}, ...(waitMs ? { waitMs } : {}) }, etag: (out.ETag ?? '').replace(/^"|"$/g, '') };
    } catch (err) {
      if (err instanceof Error && err.message.includes('is not the removal-window marker')) throw err;
      if (isNotFound(err)) return undefined;
      throw unavailable(err, `GetObject ${this.key}`);
    }
  }

  /** One look at the marker (never two at once); a failed look leaves the last one to age. */
  private look(): Promise<void> {
    this.looking ??= (async () => {
      const began = performance.now();
      try {
        const read = await this.read();
        const open = Object.values(read?.marker.windows ?? {}).some((at) => Date.now() - at < STALE_MS);
        this.recordedWaitMs = read?.marker.waitMs;
        this.quietSince = open ? undefined : began;
      } catch {
        // The store is away: quietSince ages past waitMs / 2 and commits touch again.
      } finally {
        this.looking = undefined;
      }
    })();
    return this.looking;
  }
}
