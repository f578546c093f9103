import { randomUUID } from 'node:crypto';
import { Problem } from '../errors.js';
import { RevisionMismatch, type RecordStore, type Revision } from '../storage/contracts.js';
import type { Clock } from './types.js';
import { expired, noUpload, type UploadState } from './upload-state.js';

/**
 * How long a claim holds without renewal, and how often a running request renews it: after a
 * crash, the upload is busy for at most this long (clients retry a 409 for longer: tus-js-client's
 * default delays add up to 9 s; its first HEAD is not refused). A renewal is one state write.
 */
export const CLAIM_MS = 10_000;
const RENEW_MS = 2_500;

/**
 * The right to append to or commit one upload: taken by compare-and-set on its state record,
 * so two requests (on any instances) never write one upload at once. Renewed while the request
 * runs; a claim whose process died lapses after {@link CLAIM_MS}. The state is written again
 * only through the claim ({@link keep}, {@link release}), which fails if it was lost meanwhile.
 * Instances compare `until` by their own clocks: they must agree within a few seconds.
 */
export class UploadClaim {
  private timer: NodeJS.Timeout | undefined;
  private held = true;
  /** A renewal or write found the claim taken: nothing more is written through it. */
  private lost = false;
  private queue: Promise<void> = Promise.resolve();
  /** Called once if a renewal finds the claim taken (this request stalled past the lease). */
  onLost: (() => void) | undefined;

  private constructor(
    private readonly states: RecordStore<UploadState>,
    private readonly clock: Clock,
    private readonly claimId: string,
    public state: UploadState,
    private revision: Revision,
  ) {}

  /** Claim upload `id` after `check` passed on its current state; 404 when there is none, 409 `upload-busy` while another request holds it. */
  static async take(states: RecordStore<UploadState>, clock: Clock, id: string, check: (state: UploadState) => void): Promise<UploadClaim> {
    for (;;) {
      const stored = await states.get(id);
      const now = clock();
      if (!stored || expired(stored.value, now)) throw noUpload();
      const state = stored.value;
      check(state); // first: who may not use the upload learns nothing of it
      if (state.claim && Date.parse(state.claim.until) > now) {
        throw new Problem('upload-busy', 'another request is appending to or committing this upload; try again shortly', { offset: state.position.length });
      }
      const claimId = randomUUID();
      const next = { ...state, claim: { id: claimId, until: new Date(now + CLAIM_MS).toISOString() } };
      try {
        const revision = await states.put(id, next, stored.revision);
        const claim = new UploadClaim(states, clock, claimId, next, revision);
        claim.timer = setInterval(() => void claim.renew(), RENEW_MS).unref();
        return claim;
      } catch (err) {
        if (!(err instanceof RevisionMismatch)) throw err;
      }
    }
  }

  /** Write `next`, the claim kept; 409 `upload-busy` when the claim was lost. */
  async keep(next: UploadState): Promise<void> {
    if (this.lost) throw lostClaim();
    await this.put(() => ({ ...next, claim: { id: this.claimId, until: new Date(this.clock() + CLAIM_MS).toISOString() } }));
  }

  /**
   * Write `next` without the claim, which ends; with no `next`, the state as it was claimed.
   * 409 `upload-busy` when the claim was lost (a renewal found it taken): nothing is written.
   */
  async release(next: UploadState = this.state): Promise<void> {
    if (this.lost) throw lostClaim();
    if (!this.held) return;
    clearInterval(this.timer);
    const { claim: _claim, ...rest } = next;
    try {
      await this.put(rest);
    } finally {
      this.held = false;
    }
  }

  /** Stop renewing without writing (the state was removed). */
  end(): void {
    clearInterval(this.timer);
    this.held = false;
  }

  /** Writes run one after another: a renewal never races a write of the same claim. */
  private put(value: UploadState | (() => UploadState)): Promise<void> {
    const run = this.queue.then(() => this.putNow(typeof value === 'function' ? value() : value));
    this.queue = run.catch(() => {});
    return run;
  }

  private async putNow(value: UploadState): Promise<void> {
    try {
      this.revision = await this.states.put(value.id, value, this.revision);
      this.state = value;
    } catch (err) {
      if (err instanceof RevisionMismatch) {
        this.end();
        this.lost = true;
        this.onLost?.();
        throw lostClaim();
      }
      throw err;
    }
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    await this.put(() => ({ ...this.state, claim: { id: this.claimId, until: new Date(this.clock() + CLAIM_MS).toISOString() } })).catch(() => {});
  }
}

function lostClaim(): Problem {
  return new Problem('upload-busy', 'this request lost its claim on the upload (it stalled for too long); resume from the offset HEAD reports');
}
