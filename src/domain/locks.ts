import type { FileRecord, Lock, Lockable } from './types.js';

/** Lock timeouts in seconds. */
export interface LockTimeouts {
  /** Used when the request names none. */
  defaultSeconds: number;
  /** Upper bound for any request, `Infinite` included. */
  maxSeconds: number;
}

/** The lock of a record if it has not expired. An expired lock is no lock. */
export function liveLock(record: FileRecord | undefined, now: number): Lock | null {
  const lock = record?.lock;
  return lock && Date.parse(lock.expiresAt) > now ? lock : null;
}

/** Every live lock on a record: the exclusive one and WebDAV shared ones. */
export function liveLocks(record: Lockable | undefined, now: number): Lock[] {
  const all = record ? [...(record.lock ? [record.lock] : []), ...(record.shared ?? [])] : [];
  return all.filter((lock) => Date.parse(lock.expiresAt) > now);
}

/** A MOVE's claim among `locks` whose token is not in `tokens` (see {@link Lock.operation}). */
export function unclaimed(locks: Lock[], tokens: (string | undefined)[]): Lock | undefined {
  return locks.find((l) => l.operation && !tokens.includes(l.token));
}

/**
 * The lock `/files` reads show for a record: the exclusive one, else the oldest WebDAV shared
 * one (marked `scope: "shared"`): either refuses a write without its token.
 */
export function shownLock(record: Lockable | undefined, now: number): Lock | null {
  // A MOVE's claim lasts the MOVE: a client's lock to show it is not.
  return liveLocks(record, now).find((l) => !l.operation) ?? null;
}

/** What anyone may see of a lock: everything but the token. */
export function publicLock(lock: Lock | null): Omit<Lock, 'token'> | null {
  if (!lock) return null;
  const { token: _token, ...visible } = lock;
  return visible;
}

/** The longest lock label kept (characters); longer ones are cut. */
export const MAX_LABEL = 100;

/** A client's words for who holds a lock: whitespace collapsed, control and format characters dropped, cut at {@link MAX_LABEL}; undefined when empty or a URL. */
export function cleanLabel(text: string | undefined): string | undefined {
  // Control and format characters (bidi overrides, zero-width ones) would reorder or hide what a reader sees.
  const clean = text
    ?.replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // A client's own URL (macOS Finder sends http://www.apple.com/webdav_fs/) names no person.
  if (!clean || /^https?:\/\//i.test(clean)) return undefined;
  return [...clean].slice(0, MAX_LABEL).join('');
}

/** Who holds a lock: the user, and the label their client gave (listings' `lockedBy`). */
export function lockHolder(lock: Lock): { owner: string; label?: string } {
  return { owner: lock.owner, ...(lock.label ? { label: lock.label } : {}) };
}

/** What a refusal says of the lock that caused it: who holds it, until when. */
export function lockSummary(lock: Lock): { owner: string; label?: string; expiresAt: string } {
  return { ...lockHolder(lock), expiresAt: lock.expiresAt };
}

/** The holder as a sentence names it: `bob`, or `anonymous ("Jan Jansen", as their client says)`. */
export function holderOf(lock: Lock): string {
  return lock.label ? `${lock.owner} (${JSON.stringify(lock.label)}, as their client says)` : lock.owner;
}
