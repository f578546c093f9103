import { Problem } from '../errors.js';
import { RevisionMismatch, type RecordStore, type StoredRecord } from '../storage/contracts.js';

/** Rounds of compare-and-set before giving up (each lost round means another writer won). */
export const MAX_ROUNDS = 1000;

/** What one round decided: the value to write (none: nothing to write) and the answer. */
export interface Decision<V, R> {
  next?: V;
  result: R;
  /** Runs once the write is decided and before it is made (RecordStore.put's `prepare`: publishing a blob). */
  prepare?: (() => Promise<void>) | undefined;
}

/** A read of the record made earlier (a precheck's), used by the first round instead of reading again. */
export interface Seen<V> {
  readonly stored: StoredRecord<V> | undefined;
}

/** The outcome: the answer, the value the write replaced, and the value written (undefined when nothing was). */
export interface Written<V, R> {
  result: R;
  replaced: V | undefined;
  written: V | undefined;
}

/**
 * The one compare-and-set of the domain: read, decide, write if the record is still the one
 * read; on a lost race, read and decide again. `decide` runs every rule on the very value it
 * is about to replace, so no check ever runs between a read and a separate, unguarded write.
 * `finish` turns a decided value into what is stored (the history paging of a file record).
 * With `seen`, the first round decides on that earlier read instead of reading again: a record
 * that changed since fails the write's own revision check, and the next round reads afresh. A
 * first round on `seen` that refuses or writes nothing has no such check, so it runs again on a
 * fresh read: only a write is ever decided on an earlier read.
 * After {@link MAX_ROUNDS} lost races, 503 `storage-unavailable` (contention), nothing written.
 */
export async function compareAndSet<V, R>(
  store: RecordStore<V>,
  key: string,
  decide: (current: V | undefined) => Decision<V, R> | Promise<Decision<V, R>>,
  finish?: (next: V) => Promise<V>,
  seen?: Seen<V>,
): Promise<Written<V, R>> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const reused = round === 0 && seen !== undefined;
    const stored = reused ? seen.stored : await store.get(key);
    let decision: Decision<V, R>;
    try {
      decision = await decide(stored?.value);
    } catch (err) {
      if (reused) continue; // a refusal is only ever decided on a fresh read
      throw err;
    }
    if (decision.next === undefined) {
      if (reused) continue; // and so is an answer that writes nothing: no write checks its revision
      return { result: decision.result, replaced: stored?.value, written: undefined };
    }
    const next = finish ? await finish(decision.next) : decision.next;
    try {
      await store.put(key, next, stored?.revision ?? null, decision.prepare);
      return { result: decision.result, replaced: stored?.value, written: next };
    } catch (err) {
      if (!(err instanceof RevisionMismatch)) throw err;
    }
  }
  throw new Problem('storage-unavailable', `too much contention on ${key}; try again`);
}
