import { fileUrl, json } from './api.js';

/**
 * Lock tokens this tab holds, by path. With users configured the owner fetches its own token
 * back from `GET /files/<path>?lock`, so a reload loses nothing and no token is written to web
 * storage. In open mode every caller is `anonymous` and the server cannot tell whose a token
 * is: the tab keeps its tokens in sessionStorage (this tab only, gone when it closes). Any
 * script of the origin could read them there; the UI runs no script but its own (a strict CSP),
 * and in open mode anyone who reaches the port may write anyway (docs/ui.md).
 */
const KEY = 'kluis.lockTokens';

/** A token, with when its lock was taken: it proves this tab's lock only while that lock lives. */
interface Kept {
  token: string;
  createdAt: string;
}

function stored(): Record<string, Kept> {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '{}') as Record<string, Kept>;
  } catch {
    return {};
  }
}

export function keepToken(path: string, lock: { token?: string; createdAt?: string }): void {
  if (!lock.token || !lock.createdAt) return;
  sessionStorage.setItem(KEY, JSON.stringify({ ...stored(), [path]: { token: lock.token, createdAt: lock.createdAt } }));
}

export function forgetToken(path: string): void {
  const { [path]: _gone, ...rest } = stored();
  sessionStorage.setItem(KEY, JSON.stringify(rest));
}

export interface LockInfo {
  path: string;
  owner: string;
  label?: string;
  expiresAt: string;
  createdAt?: string;
  baseVersion?: number | null;
  token?: string;
  scope?: string;
}

/** The live lock on `path` (null when none), with the token when this tab or its user holds it. */
export async function lockOf(path: string): Promise<LockInfo | null> {
  try {
    const { token: given, ...lock } = await json<LockInfo>('GET', `${fileUrl(path)}?lock`);
    // Only the file's own lock is this tab's to use: a folder's lock above it (its `path` is the
    // folder's) is not checked in here, and a kept token counts only for the lock it was taken with.
    if (lock.path !== path) return lock;
    const kept = stored()[path];
    const token = given ?? (kept && kept.createdAt === lock.createdAt ? kept.token : undefined);
    return token ? { ...lock, token } : lock;
  } catch (err) {
    if ((err as { problem?: { status: number } }).problem?.status === 404) {
      forgetToken(path);
      return null;
    }
    throw err;
  }
}
