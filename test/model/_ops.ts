/**
 * The vocabulary of the model-based test: operations as plain data (what regressions.ts stores),
 * the request a model step sends, and the answer it expects. Not a test file.
 */
export const PATHS = ['a.txt', 'b.txt', 'd/c.txt'] as const;
/** A small alphabet, so that identical bytes recur on one path and across paths. */
export const CONTENTS = ['', 'x', 'y', 'xy', 'yx'] as const;
export const TYPES = ['text/plain', 'application/octet-stream'] as const;
/** root is the admin; alice and bob are plain users; reader is read-only (its writes are 403 before any other check). */
export const USERS = ['alice', 'bob', 'root', 'reader'] as const;
export type User = (typeof USERS)[number];
/** A user, or `holder`: the owner of the path's lock (live or expired, else of its last one), so lock rules get exercised. */
export type Actor = User | 'holder';
/** The server under test runs with `lockDefaultSeconds: 60`; CHECKOUT sends no Timeout. */
export const LOCK_SECONDS = 60;

/** Which lock token a request carries: none, the path's lock (or last) token, an older one, a never-issued one. */
export type TokenRef = 'none' | 'held' | 'stale' | 'bogus';
export type Cond = 'none' | 'if-match' | 'if-match-stale' | 'if-none-match' | 'base' | 'base-stale';
/** A version number chosen among versions with content, delete markers, or numbers past the head. */
export type Pick = 'content' | 'marker' | 'missing';

export type Op =
  | { op: 'put'; path: number; user: Actor; content: string; type: string; token: TokenRef; cond: Cond; form?: boolean }
  | { op: 'checkin'; path: number; user: Actor; method: 'PUT' | 'POST' | 'FORM'; content: string; token: TokenRef; cond: Cond }
  | { op: 'checkout'; path: number; user: Actor; token: TokenRef; cond: Cond }
  | { op: 'uncheckout'; path: number; user: Actor; token: TokenRef }
  | { op: 'force'; path: number; user: User }
  | { op: 'delete'; path: number; user: Actor; token: TokenRef; cond: Cond }
  | { op: 'restore'; path: number; user: Actor; pick: Pick; i: number; token: TokenRef; cond: Cond }
  | { op: 'read'; path: number; what: 'current' | 'history' }
  | { op: 'readVersion'; path: number; pick: Pick; i: number }
  | { op: 'advance'; seconds: number };

/** One HTTP request; `token` is a token symbol (`t1`…) or `bogus`, mapped to a real token by the driver. */
export interface Req {
  kind: Op['op'];
  method: string;
  path: number;
  query: string;
  user: User;
  headers: Record<string, string>;
  token?: string;
  body?: string;
  /** Send `body` as the one file part of a multipart/form-data body, with this part Content-Type. */
  form?: string;
}

export interface LockView {
  owner: string;
  baseVersion: number;
}

export interface VersionView {
  version: number;
  sha256: string | null;
  size: number;
  contentType: string | null;
  author: string;
  comment: string | null;
  deleted: boolean;
}

export interface HistoryView {
  versions: VersionView[];
  lock: LockView | null;
}

/** What an answer must show, in the same shape the driver extracts from the real one. */
export interface Expect {
  status: number;
  code?: string;
  /** 409/412 bodies: `currentVersion`, `currentSha256`, `lock.owner`. */
  conflict?: { currentVersion: number; currentSha256: string | null; lockOwner: string | null };
  /** The version of a write's answer (null: a check-in that released only), or `File-Version` of a read. */
  version?: number | null;
  bytes?: string;
  history?: HistoryView;
  lock?: LockView;
  /** Symbol of the token a CHECKOUT answers with. */
  lockToken?: string;
  /** A check-in's answer says the lock was released. */
  released?: boolean;
}
