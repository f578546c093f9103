/** One stored state of a file. Versions are numbered 1, 2, 3… per path. */
export interface Version {
  version: number;
  /** Hex SHA-256 of the content; null for a delete marker. */
  sha256: string | null;
  size: number;
  contentType: string | null;
  /** ISO 8601. */
  createdAt: string;
  author: string;
  comment?: string;
  /** Present (true) on a delete marker. */
  deleted?: true;
  /** Kept from pruning by retention (`POST ?pin=N`). */
  pinned?: true;
  /**
   * Present (true) once retention pruned this version: its metadata stays in the history,
   * its bytes are gone (it no longer references its blob, which GC may then reclaim).
   */
  pruned?: true;
}

/** A check-out. The token is the holder's proof; it is never shown to anyone else. */
export interface Lock {
  path: string;
  token: string;
  owner: string;
  createdAt: string;
  expiresAt: string;
  /** The version that was current when the lock was taken (0 for a reserved path). */
  baseVersion: number;
}

/** Everything known about one path; replaced only by compare-and-set. */
export interface FileRecord {
  path: string;
  /**
   * The newest versions, oldest first. Older ones live in history pages (src/domain/history.ts):
   * versions 1..`sealed` (absent: 0), whose pin flags and pruned ranges are kept here.
   */
  versions: Version[];
  lock: Lock | null;
  sealed?: number;
  /** Sealed versions that are pinned. */
  sealedPinned?: number[];
  /** Sealed versions that retention pruned, as inclusive ranges `[from, to]`. */
  sealedPruned?: [number, number][];
}

/** Who is asking. `anonymous` when the service runs open. */
export interface Caller {
  name: string;
  role: 'admin' | 'user' | 'read-only';
}

/** Milliseconds since the epoch; injectable so tests control lock expiry. */
export type Clock = () => number;
