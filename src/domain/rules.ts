import { Problem } from '../errors.js';
import { holderOf, liveLock, liveLocks, lockSummary, unclaimed } from './locks.js';
import { evaluate, type Conditions } from './preconditions.js';
import type { Caller, FileRecord, Lock, Version } from './types.js';

/** What a write request asserts about the state it expects. */
export interface WriteIntent {
  /** The lock token presented (`Lock-Token` or `If`). */
  token?: string | undefined;
  /**
   * WebDAV: every lock token the `If` header submits. Any of them satisfies a lock; one that
   * names no lock here is no error (it may be a collection's).
   */
  tokens?: string[] | undefined;
  /** WebDAV: the `If` header, evaluated on the record about to be replaced (throws 412). */
  guard?: ((record: FileRecord | undefined) => void) | undefined;
  /** `?base=N`: the version the client started from (0: the file must not exist yet). */
  base?: number | undefined;
  conditions: Conditions;
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
  const lock = liveLocks(record, now)[0];
  return {
    path: key,
    currentVersion: headNumber(record),
    currentSha256: currentVersion(record)?.sha256 ?? null,
    lock: lock ? lockSummary(lock) : null,
  };
}

/**
 * The checks every write makes, in the contract's order: lock (409 locked / 403 / 409
 * not-checked-out), conditional headers (412), base version (409 modified). Runs inside the
 * compare-and-set loop, on the record it is about to replace. Returns the caller's live lock.
 */
export function checkWrite(key: string, record: FileRecord | undefined, caller: Caller, intent: WriteIntent, now: number, lockRequired = false): Lock | null {
  intent.guard?.(record);
  const lock = checkLock(key, record, caller, intent, now, lockRequired);
  checkState(key, record, intent, lock, now);
  return lock;
}

/** The lock tokens a request presents: `/files` sends one, a WebDAV `If` header any number. */
export type Presented = Pick<WriteIntent, 'token' | 'tokens'>;

/**
 * The lock part alone: a live lock (exclusive, or any WebDAV shared one) whose token was not
 * presented is 409 `locked`; the right token of another user is 403; a `/files` token naming
 * no live lock (or none when one is required) is 409 `not-checked-out`. Returns the exclusive
 * lock when the caller holds it, else null.
 */
export function checkLock(key: string, record: FileRecord | undefined, caller: Caller, presented: Presented, now: number, lockRequired: boolean): Lock | null {
  const locks = liveLocks(record, now);
  const token = presented.token;
  const state = () => conflictState(key, record, now);
  const claim = unclaimed(locks, [token, ...(presented.tokens ?? [])]);
  if (claim) throw new Problem('locked', `${key} is being moved by ${claim.owner}; try again once the MOVE is done`, state());
  // A MOVE's claim only gates: holding it is no holding of the file's locks.
  const others = locks.filter((l) => !l.operation);
  const held = others.find((l) => l.token === token || presented.tokens?.includes(l.token));
  if (others.length > 0 && !held) {
    const lock = others[0] as Lock;
    const detail = `${key} is ${lock.scope === 'shared' ? 'locked (shared)' : 'checked out'} by ${holderOf(lock)} until ${lock.expiresAt}`;
    throw new Problem('locked', token || presented.tokens?.length ? `${detail}; the token sent is not that lock's` : `${detail}; send its Lock-Token`, state());
  }
  if (held && held.owner !== caller.name) {
    throw new Problem('forbidden', `the lock on ${key} belongs to ${held.owner}, not ${caller.name}`);
  }
  if (!held && (lockRequired || token !== undefined)) {
    const why = token ? 'the lock token sent names no live lock (expired, released or broken)' : 'no lock token was sent';
    throw new Problem('not-checked-out', `${key} is not checked out: ${why}`, state());
  }
  return held && held === liveLock(record, now) ? held : null;
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
