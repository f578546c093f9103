/** First and longest wait between sweeps of failed cleanups. */
const MIN_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;
/** Beyond this many, a failed cleanup is left to the start-up sweep of abandoned uploads. */
const MAX_PENDING = 10_000;

/**
 * Cleanups (abort a staging multipart upload, delete a staging object) that failed because the
 * store was away, retried in the background with backoff until they succeed, so an outage
 * leaves no staged bytes behind once the store is back. Jobs must be idempotent.
 */
export class Janitor {
  private readonly pending = new Map<string, () => Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private delay = MIN_DELAY_MS;
  private closed = false;

  /** Run `job` now; if it fails, keep retrying it under `id` until it succeeds. */
  async run(id: string, job: () => Promise<void>): Promise<void> {
    try {
      await job();
    } catch {
      if (this.pending.size < MAX_PENDING) this.pending.set(id, job);
      this.schedule();
    }
  }

  /** Jobs waiting for the store. */
  get backlog(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer || this.closed || this.pending.size === 0) return;
    this.timer = setTimeout(() => void this.sweep(), this.delay);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    for (const [id, job] of this.pending) {
      try {
        await job();
        this.pending.delete(id);
      } catch {
        break; // the store is still away: wait longer before the next sweep
      }
    }
    this.timer = undefined;
    this.delay = this.pending.size === 0 ? MIN_DELAY_MS : Math.min(this.delay * 2, MAX_DELAY_MS);
    this.schedule();
  }
}
