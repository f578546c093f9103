import { randomUUID } from 'node:crypto';
import { Problem } from '../errors.js';
import { holderOf, liveLocks, lockSummary, unclaimed } from './locks.js';
import { parentOf } from './collections.js';
import type { Caller, CollectionRecord, Lock, Lockable } from './types.js';

/** A WebDAV LOCK request (RFC 4918 §9.10): write locks only. */
export interface LockRequest {
  scope: 'exclusive' | 'shared';
  depth: 0 | 'infinity';
  /** The `<D:owner>` element as sent, or undefined. */
  ownerXml?: string | undefined;
  /** Its text: who holds the lock, as the client says ({@link Lock.label}). */
  label?: string | undefined;
  seconds: number;
}

/** The lock fields of a record with expired locks dropped. */
export function liveFields(record: Lockable | undefined, now: number): Lockable {
  const live = liveLocks(record, now);
  const exclusive = live.find((l) => l.scope !== 'shared') ?? null;
  const shared = live.filter((l) => l.scope === 'shared');
  return shared.length > 0 ? { lock: exclusive, shared } : { lock: exclusive };
}

/** Refuse a lock that conflicts with `locks` (an exclusive lock conflicts with any; shared ones share). */
export function checkCompatible(key: string, locks: Lock[], request: Pick<LockRequest, 'scope'>): void {
  const blocking = locks.find((l) => request.scope === 'exclusive' || l.scope !== 'shared' || l.operation);
  if (blocking) {
    throw new Problem('locked', `${key} is already locked (${blocking.scope ?? 'exclusive'}) by ${holderOf(blocking)} until ${blocking.expiresAt}`, {
      path: key,
      lock: lockSummary(blocking),
    });
  }
}

/**
 * Grant `request` on a record: a new lock beside the compatible live ones. Throws 409
 * `locked` (423 on /dav) when a live lock conflicts.
 */
export function grant(key: string, record: Lockable | undefined, caller: Caller, request: LockRequest, now: number, baseVersion: number): { lock: Lock; fields: Lockable } {
  const fields = liveFields(record, now);
  checkCompatible(key, liveLocks(fields, now), request);
  const lock: Lock = {
    path: key,
    token: `urn:uuid:${randomUUID()}`,
    owner: caller.name,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + request.seconds * 1000).toISOString(),
    baseVersion,
    ...(request.scope === 'shared' ? { scope: 'shared' as const } : {}),
    ...(request.depth === 'infinity' ? { depth: 'infinity' as const } : {}),
    ...(request.ownerXml !== undefined ? { ownerXml: request.ownerXml } : {}),
    ...(request.label !== undefined ? { label: request.label } : {}),
  };
  if (request.scope === 'shared') return { lock, fields: { lock: fields.lock, shared: [...(fields.shared ?? []), lock] } };
  return { lock, fields: { ...fields, lock } };
}

/** The live lock of `record` with `token`, or undefined. */
export function findLock(record: Lockable | undefined, token: string, now: number): Lock | undefined {
  return liveLocks(record, now).find((l) => l.token === token);
}

/** Extend the live lock with `token` to `seconds` from now; undefined when there is none. */
export function refresh(record: Lockable | undefined, token: string, caller: Caller, seconds: number, now: number): { lock: Lock; fields: Lockable } | undefined {
  const found = findLock(record, token, now);
  if (!found) return undefined;
  if (found.owner !== caller.name) throw new Problem('forbidden', `the lock belongs to ${found.owner}, not ${caller.name}`);
  const lock = { ...found, expiresAt: new Date(now + seconds * 1000).toISOString() };
  const fields = liveFields(record, now);
  if (lock.scope === 'shared') return { lock, fields: { lock: fields.lock, shared: (fields.shared ?? []).map((l) => (l.token === token ? lock : l)) } };
  return { lock, fields: { ...fields, lock } };
}

/** The lock fields without the live lock `token`; undefined when there is none. */
export function release(record: Lockable | undefined, token: string, caller: Caller, now: number): Lockable | undefined {
  const found = findLock(record, token, now);
  if (!found) return undefined;
  if (found.owner !== caller.name && caller.role !== 'admin') throw new Problem('forbidden', `the lock belongs to ${found.owner}, not ${caller.name}`);
  const fields = liveFields(record, now);
  const shared = (fields.shared ?? []).filter((l) => l.token !== token);
  return { lock: fields.lock?.token === token ? null : fields.lock, ...(shared.length > 0 ? { shared } : {}) };
}

/** Replace the lock fields of a record (dropping an empty `shared`). */
export function withLocks<T extends Lockable>(record: T, fields: Lockable): T {
  const { shared: _old, ...rest } = record;
  return { ...rest, lock: fields.lock, ...(fields.shared && fields.shared.length > 0 ? { shared: fields.shared } : {}) } as T;
}

/**
 * The live locks of a collection that reach its members: Depth infinity ones cover every member
 * below; a depth-0 one guards membership only (`membership`: a member of this very collection
 * is being made or removed).
 */
export function passedDown(record: CollectionRecord | undefined, now: number, membership = false): Lock[] {
  return liveLocks(record, now).filter((l) => l.depth === 'infinity' || membership);
}

/** The locks that `above` (the collections over `key`) pass down to it. */
export function coveringLocks(key: string, above: { dir: string; record: CollectionRecord | undefined }[], membership: boolean, now: number): { root: string; locks: Lock[] }[] {
  const parent = parentOf(key);
  return above.map(({ dir, record }) => ({ root: dir, locks: passedDown(record, now, membership && dir === parent) })).filter((entry) => entry.locks.length > 0);
}

/** Who submits which lock tokens (RFC 4918 §6.4: a token is good only in its creator's hands). */
export interface Submitted {
  caller: Caller;
  tokens: string[];
}

/**
 * 423 when `locks` are live and none had its token submitted, or a MOVE's claim is among them
 * and its token was not submitted; 403 when the one submitted is another user's.
 */
export function requireHeld(what: string, locks: Lock[], who: Submitted, extras: Record<string, unknown>): void {
  if (locks.length === 0) return;
  const claim = unclaimed(locks, who.tokens);
  if (claim) throw new Problem('locked', `${what} is being moved by ${claim.owner}; try again once the MOVE is done`, { ...extras, lock: { owner: claim.owner, expiresAt: claim.expiresAt } });
  // A MOVE's claim only gates: holding it is no holding of the other locks.
  const others = locks.filter((l) => !l.operation);
  if (others.length === 0) return;
  const held = others.find((l) => who.tokens.includes(l.token));
  const lock = others[0] as Lock;
  if (!held) throw new Problem('locked', `${what} is locked by ${holderOf(lock)} until ${lock.expiresAt}; submit its lock token in If`, { ...extras, lock: lockSummary(lock) });
  if (held.owner !== who.caller.name) throw new Problem('forbidden', `the lock on ${what} belongs to ${held.owner}, not ${who.caller.name}`);
}
