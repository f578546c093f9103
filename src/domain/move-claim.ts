import { randomUUID } from 'node:crypto';
import { Problem } from '../errors.js';
import { liveFields, requireHeld, withLocks } from './dav-locks.js';
import { liveLocks } from './locks.js';
import { conflictState, currentVersion } from './rules.js';
import type { Caller, Lock, Lockable } from './types.js';
import type { Namespace } from './namespace.js';

/** How long a claim lives unless renewed: what a crashed MOVE leaves its source locked for, at most. */
export const CLAIM_SECONDS = 60;
/** How often a MOVE in progress renews its claim. */
const RENEW_MS = (CLAIM_SECONDS * 1000) / 3;

/**
 * The claim a MOVE takes on its source before it copies anything: a compare-and-set on the
 * source's record that only one request can win. While it lives, every other write to the
 * source (and, for a collection, below it) is refused as locked, and a racing MOVE of the same
 * source is refused before it has copied a byte; a losing or refused MOVE changes nothing. The
 * source's deletion at the end of the MOVE removes the claim with every other lock; a MOVE that
 * fails releases it; a crashed one leaves it to expire after {@link CLAIM_SECONDS}.
 */
export class MoveClaim {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly dav: Namespace,
    readonly key: string,
    readonly kind: 'file' | 'collection',
    readonly lock: Lock,
  ) {
    this.timer = setInterval(() => void this.renew().catch(() => undefined), RENEW_MS);
    this.timer.unref();
  }

  get token(): string {
    return this.lock.token;
  }

  /**
   * Claim the file or collection at `key` for `caller`'s MOVE, which submitted `tokens`: 423
   * `locked` when another MOVE holds it or a lock on it was not submitted (checked in the same
   * compare-and-set), 404 when it is gone. A directory made by `/files` uploads stays implicit.
   */
  static async take(dav: Namespace, caller: Caller, key: string, kind: 'file' | 'collection', tokens: string[]): Promise<MoveClaim> {
    const now = dav.now();
    const lock: Lock = {
      path: key,
      token: `urn:uuid:${randomUUID()}`,
      owner: caller.name,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + CLAIM_SECONDS * 1000).toISOString(),
      baseVersion: 0,
      scope: 'shared',
      depth: 'infinity',
      operation: 'move',
    };
    const add = <T extends Lockable>(record: T, at: number): T => {
      requireHeld(key, liveLocks(record, at), { caller, tokens }, { path: key });
      const fields = liveFields(record, at);
      return withLocks(record, { lock: fields.lock, shared: [...(fields.shared ?? []), lock] });
    };
    if (kind === 'file') {
      await dav.files.update(key, (record, at) => {
        if (!record || !currentVersion(record)) throw new Problem('not-found', `nothing at ${key}`);
        try {
          return { next: add(record, at), result: undefined };
        } catch (err) {
          if (err instanceof Problem) Object.assign(err.extras, conflictState(key, record, at));
          throw err;
        }
      });
    } else {
      await dav.collections.update(key, async (record) => {
        if (!(await dav.collections.exists(key, record ?? null))) throw new Problem('not-found', `nothing at ${key}`);
        const base = record ?? { path: key, createdAt: new Date(now).toISOString(), lock: null, implicit: true as const };
        return { next: add(base, dav.now()), result: undefined };
      });
    }
    return new MoveClaim(dav, key, kind, lock);
  }

  /** Extend the claim while the MOVE runs (a no-op once it is gone: the source was deleted). */
  async renew(): Promise<void> {
    await this.change((l) => ({ ...l, expiresAt: new Date(this.dav.now() + CLAIM_SECONDS * 1000).toISOString() }));
  }

  /** Stop renewing: the MOVE is done and its source's deletion took the claim with it. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Let go of the claim: the MOVE failed. */
  async release(): Promise<void> {
    this.stop();
    await this.change(() => undefined);
  }

  /** Replace the claim on its record by `next(claim)` (undefined: remove it); nothing when it is no longer there. */
  private async change(next: (claim: Lock) => Lock | undefined): Promise<void> {
    const edit = <T extends Lockable>(record: T | undefined): { next?: T; result: undefined } => {
      const shared = record?.shared ?? [];
      const claim = shared.find((l) => l.token === this.token);
      if (!record || !claim) return { result: undefined };
      const replaced = next(claim);
      const rest = shared.filter((l) => l !== claim);
      return { next: withLocks(record, { lock: record.lock, shared: replaced ? [...rest, replaced] : rest }), result: undefined };
    };
    if (this.kind === 'file') await this.dav.files.update(this.key, (record) => edit(record));
    else await this.dav.collections.update(this.key, (record) => edit(record));
  }
}
