import type { RecordKinds, Storage } from './contracts.js';

/** Receives one storage call: which part and method, how it ended, how long it took. */
export type StorageObserver = (op: string, outcome: 'ok' | 'error', seconds: number) => void;

/** `target` with every promise-returning method timed as `<part>.<method>`; other members pass through. */
function timedPart<P extends object>(part: string, target: P, observe: StorageObserver): P {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value: unknown = Reflect.get(obj, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        const started = process.hrtime.bigint();
        const result: unknown = value.apply(obj, args);
        if (!(result instanceof Promise)) return result;
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        return result.then(
          (v: unknown) => {
            observe(`${part}.${key}`, 'ok', seconds());
            return v;
          },
          (err: unknown) => {
            observe(`${part}.${key}`, 'error', seconds());
            throw err;
          },
        );
      };
    },
  });
}

/**
 * The same storage with the latency of every operation reported to `observe` (for the
 * storage latency metric). A refused compare-and-set counts as an error outcome of `records.put`.
 */
export function timedStorage<K extends RecordKinds>(storage: Storage<K>, observe: StorageObserver): Storage<K> {
  return {
    ...storage,
    blobs: timedPart('blobs', storage.blobs, observe),
    records: timedPart('records', storage.records, observe),
    history: timedPart('history', storage.history, observe),
    collections: timedPart('collections', storage.collections, observe),
    ...(storage.listings ? { listings: timedPart('listings', storage.listings, observe) } : {}),
    ...(storage.uploads ? { uploads: { states: timedPart('uploads.states', storage.uploads.states, observe), bytes: timedPart('uploads.bytes', storage.uploads.bytes, observe) } } : {}),
  };
}
