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

function stored(): Record<string, string> {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

export function keepToken(path: string, token: string): void {
  sessionStorage.setItem(KEY, JSON.stringify({ ...stored(), [path]: token }));
}

export function forgetToken(path: string): void {
  const { [path]: _gone, ...rest } = stored();
  sessionStorage.setItem(KEY, JSON.stringify(rest));
}

export interface LockInfo {
  path: string;
  owner: string;
  expiresAt: string;
  createdAt?: string;
  baseVersion?: number | null;
  token?: string;
  scope?: string;
}

/** The live lock on `path` (null when none), with the token when this tab or its user holds it. */
export async function lockOf(path: string): Promise<LockInfo | null> {
  try {
    const lock = await json<LockInfo>('GET', `${fileUrl(path)}?lock`);
    const token = lock.token ?? (lock.path === path ? stored()[path] : undefined);
    return token ? { ...lock, token } : lock;
  } catch (err) {
    if ((err as { problem?: { status: number } }).problem?.status === 404) {
      forgetToken(path);
      return null;
    }
    throw err;
  }
}
