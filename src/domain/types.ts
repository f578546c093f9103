import type { ListingSummary } from './listing-summary.js';
import type { UploadState } from './upload-state.js';
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
  /** The resumable upload that made it: a tag derived from the upload's id (never the id). */
  upload?: string;
  /** Present (true) on a delete marker. */
  deleted?: true;
  /**
   * The modification time the client gave the file (ISO 8601; WebDAV `X-OC-Mtime`), shown as
   * its `DAV:getlastmodified`. A client's clock, never used for conditional requests.
   */
  mtime?: string;
  /**
   * Hex SHA-1 of the content: computed while a sync client's upload streamed in, else filled in
   * when first asked for (src/domain/digest-fill.ts); absent until then.
   */
  sha1?: string;
  /** Hex MD5 of the content, computed or filled in with the SHA-1. */
  md5?: string;
  /** Kept from pruning by retention (`POST ?pin=N`). */
  pinned?: true;
  /**
   * Present (true) once retention pruned this version: its metadata stays in the history,
   * its bytes are gone (it no longer references its blob, which GC may then reclaim).
   */
  pruned?: true;
}

/**
 * A check-out or WebDAV lock. The token is the holder's proof: with users configured only its
 * owner may use it, and only its owner is shown it (`DAV:lockdiscovery`, the CHECKOUT answer).
 */
export interface Lock {
  path: string;
  token: string;
  owner: string;
  createdAt: string;
  expiresAt: string;
  /** The version that was current when the lock was taken (0 for a reserved path). */
  baseVersion: number;
  /** A WebDAV shared lock (kept in `shared`); absent for the exclusive lock. */
  scope?: 'shared';
  /** A WebDAV collection lock that covers every member (Depth: infinity); absent for depth 0. */
  depth?: 'infinity';
  /** The `<D:owner>` element of a WebDAV LOCK, echoed verbatim in `DAV:lockdiscovery`. */
  ownerXml?: string;
  /**
   * Who holds it in the words of the client that took it: the text of a WebDAV LOCK's
   * `<D:owner>` (LibreOffice sends its user's name), or `/files` `?label=`. Self-asserted: with
   * users configured `owner` is who is signed in; in open mode it is all there is.
   */
  label?: string;
  /**
   * A claim a MOVE takes on its source (kept in `shared`, depth infinity) so that no other
   * request changes or moves it while it is copied: every write not carrying this token is
   * refused, however many other tokens it carries. Never shown in `DAV:lockdiscovery`.
   */
  operation?: 'move';
}

/** Versions (first .. first + PAGE_SIZE - 1) of one path, without their pinned/pruned flags (src/domain/history.ts). */
export interface HistoryPage {
  path: string;
  first: number;
  versions: Version[];
}

/** Dead WebDAV properties: `{namespace}name` to the property element's content as XML. */
export type DeadProps = Record<string, string>;

/** What carries locks: a file record or a collection record. */
export interface Lockable {
  /** The exclusive lock: a `/files` check-out or a WebDAV exclusive write lock. */
  lock: Lock | null;
  /** WebDAV shared write locks. */
  shared?: Lock[];
}

/** Everything known about one path; replaced only by compare-and-set. */
export interface FileRecord extends Lockable {
  path: string;
  /**
   * The newest versions, oldest first. Older ones live in history pages (src/domain/history.ts):
   * versions 1..`sealed` (absent: 0), whose pin flags and pruned ranges are kept here.
   */
  versions: Version[];
  sealed?: number;
  /** Sealed versions that are pinned. */
  sealedPinned?: number[];
  /** Sealed versions that retention pruned, as inclusive ranges `[from, to]`. */
  sealedPruned?: [number, number][];
  props?: DeadProps;
  /**
   * A desktop file (src/domain/desktop-files.ts): `versions` holds only the newest (a save or a
   * delete replaces it). /files shows no desktop file, judged by its name, flag or not.
   */
  unversioned?: true;
}

/**
 * A WebDAV collection made explicit (MKCOL, a lock, or a `/files` upload reviving it). A
 * directory with no record exists while it has records below it (made by `/files` uploads);
 * a deleted collection keeps its record as a tombstone, so compare-and-set never races a
 * missing key.
 */
export interface CollectionRecord extends Lockable {
  path: string;
  createdAt: string;
  deleted?: true;
  /**
   * The record only carries locks of a directory made by `/files` uploads (a MOVE's claim): the
   * directory still exists while, and only while, records sit below it, as with no record.
   */
  implicit?: true;
  props?: DeadProps;
}

/** Who is asking. `anonymous` when the service runs open. */
export interface Caller {
  name: string;
  role: 'admin' | 'user' | 'read-only';
}

/** Milliseconds since the epoch; injectable so tests control lock expiry. */
export type Clock = () => number;

/** The records kluis keeps, by store (the storage contract's record kinds). */
export interface KluisRecords {
  records: FileRecord;
  history: HistoryPage;
  collections: CollectionRecord;
  listings: ListingSummary;
  uploads: UploadState;
}
