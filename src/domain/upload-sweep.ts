import { RevisionMismatch, type UploadStore } from '../storage/contracts.js';
import { expired, type UploadState } from './upload-state.js';

/** Bytes with no state are an interrupted creation's or removal's once they are this old. */
const ORPHAN_MS = 3_600_000;

export interface SweepReport {
  /** Uploads reclaimed untouched past their expiry (never committed). */
  expired: number;
  /** Bytes reclaimed whose state was gone. */
  orphans: number;
}

/** Where a committed upload's state is remembered. */
export function doneKey(id: string): string {
  return `done/${id}`;
}

/**
 * A committed upload leaves the open ones (which count against the quota): its state moves
 * under `done/`, remembered until it expires for a client that lost the last answer, and its
 * bytes go. A crash midway leaves a committed state among the open ones; the sweep finishes.
 */
export async function retire(store: UploadStore<UploadState>, state: UploadState): Promise<void> {
  await store.bytes.remove(state.id);
  await store.states.put(doneKey(state.id), state, null).catch((err: unknown) => {
    if (!(err instanceof RevisionMismatch)) throw err;
  });
  await store.states.remove(state.id);
}

/**
 * Reclaim what resumable uploads left at `now`: expired open uploads (bytes and state),
 * committed ones past their memory, and bytes whose state is gone. Any instance may run it;
 * every removal is idempotent, and an upload held by a live claim is never expired.
 */
export async function sweepUploads(store: UploadStore<UploadState>, now: number, onExpired: () => void): Promise<SweepReport> {
  let count = 0;
  for (const id of (await store.states.list(''))?.files ?? []) {
    const stored = await store.states.get(id);
    if (!stored) continue;
    if (stored.value.version !== undefined) {
      const claim = stored.value.claim;
      if (!claim || Date.parse(claim.until) <= now) await retire(store, stored.value);
      continue;
    }
    if (!expired(stored.value, now)) continue;
    await store.bytes.remove(id);
    await store.states.remove(id);
    count++;
    onExpired();
  }
  for (const id of (await store.states.list('done'))?.files ?? []) {
    const stored = await store.states.get(doneKey(id));
    if (stored && expired(stored.value, now)) await store.states.remove(doneKey(id));
  }
  let orphans = 0;
  for await (const { id, modifiedAt } of store.bytes.list()) {
    if (modifiedAt > now - ORPHAN_MS || (await store.states.get(id))) continue;
    await store.bytes.remove(id);
    orphans++;
  }
  return { expired: count, orphans };
}
