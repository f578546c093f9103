import { Problem } from '../errors.js';
import { liveLock } from './locks.js';
import { evaluate, type ConditionalHeaders } from './preconditions.js';
import type { Caller, FileRecord, Lock, Version } from './types.js';

/** What a write request asserts about the state it expects. */
export interface WriteIntent {
  /** The lock token presented (`Lock-Token` or `If`). */
  token?: string | undefined;
  /** `?base=N`: the version the client started from (0: the file must not exist yet). */
  base?: number | undefined;
  conditions: ConditionalHeaders;
}

/** Number of the newest version, delete markers included; 0 when there is none. */
export function headNumber(record: FileRecord | undefined): number {
  return record?.versions.at(-1)?.version ?? 0;
}

/** The current version, or null when the file does not exist or was deleted. */
export function currentVersion(record: FileRecord | undefined): Version | null {
  const head = record?.versions.at(-1);
  return head && !head.deleted ? head : null;
}

/** The state a 409 carries so that a client can resolve the conflict without another request. */
export function conflictState(key: string, record: FileRecord | undefined, now: number): Record<string, unknown> {
  const lock = liveLock(record, now);
  return {
    path: key,
    currentVersion: headNumber(record),
    currentSha256: currentVersion(record)?.sha256 ?? null,
    lock: lock ? { owner: lock.owner, expiresAt: lock.expiresAt } : null,
  };
}

/**
 * The checks every write makes, in the contract's order: lock (409 locked / 403 / 409
 * not-checked-out), conditional headers (412), base version (409 modified). Runs inside the
 * compare-and-set loop, on the record it is about to replace. Returns the caller's live lock.
 */
export function checkWrite(
  key: string,
  record: FileRecord | undefined,
  caller: Caller,
  intent: WriteIntent,
  now: number,
  lockRequired = false,
): Lock | null {
  const lock = checkLock(key, record, caller, intent.token, now, lockRequired);
  checkState(key, record, intent, lock, now);
  return lock;
}

/**
 * The lock part alone: someone else's live lock is 409 `locked`; the right token of another
 * user is 403; a token naming no live lock (or none when one is required) is 409
 * `not-checked-out`. Returns the live lock the caller holds, or null.
 */
export function checkLock(
  key: string,
  record: FileRecord | undefined,
  caller: Caller,
  token: string | undefined,
  now: number,
  lockRequired: boolean,
): Lock | null {
  const lock = liveLock(record, now);
  const state = () => conflictState(key, record, now);
  if (lock && token !== lock.token) {
    const detail = `${key} is checked out by ${lock.owner} until ${lock.expiresAt}`;
    throw new Problem('locked', token ? `${detail}; the token sent is not that lock's` : `${detail}; send its Lock-Token`, state());
  }
  if (lock && lock.owner !== caller.name) {
    throw new Problem('forbidden', `the lock on ${key} belongs to ${lock.owner}, not ${caller.name}`);
  }
  if (!lock && (lockRequired || token !== undefined)) {
    const why = token ? 'the lock token sent names no live lock (expired, released or broken)' : 'no lock token was sent';
    throw new Problem('not-checked-out', `${key} is not checked out: ${why}`, state());
  }
  return lock;
}

/** Conditional headers (412), then the base version of the request and of the caller's lock (409 `modified`). */
export function checkState(key: string, record: FileRecord | undefined, intent: WriteIntent, lock: Lock | null, now: number): void {
  const state = () => conflictState(key, record, now);
  const current = currentVersion(record);
  const validators = current?.sha256 ? { etag: current.sha256, lastModified: new Date(current.createdAt) } : null;
  if (evaluate(intent.conditions, validators, false) !== 'pass') {
    throw new Problem('precondition-failed', `a conditional header evaluated false for ${key}`, state());
  }
  const head = headNumber(record);
  if (intent.base !== undefined && intent.base !== head) {
    throw new Problem('modified', `${key} is at version ${head}, not the base version ${intent.base}`, state());
  }
  if (lock && lock.baseVersion !== head) {
    throw new Problem('modified', `${key} moved from version ${lock.baseVersion} to ${head} while checked out`, state());
  }
}
