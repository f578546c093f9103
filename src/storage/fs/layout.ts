import path from 'node:path';
import { splitKey } from '../keys.js';

/**
 * Where things live under the data root:
 *
 *   blobs/ab/cd/<sha256>      immutable content, one copy per distinct SHA-256
 *   records/d~docs/f~a.txt    the record (versions + lock) of `docs/a.txt`
 *   records/d~docs/l~a.txt/<id>   the record's lock: its holder's marker (record-lock.ts)
 *   records/d~docs/w~<hash>~<id>  a writer's pending new record (renamed over f~)
 *   records/d~docs/t~<hash>~<id>  a writer's lock candidate (renamed onto l~ to take the lock)
 *   history/d~docs/d~a.txt/f~0  history page 0 (versions 1..16) of `docs/a.txt`, same scheme
 *   collections/d~docs/f~sub  the WebDAV collection `docs/sub` (same scheme as records)
 *   uploads/f~<key>           the state of a resumable upload (src/domain/uploads.ts; key: owner tag + digest of the id)
 *   upload-bytes/<key>        its bytes so far (upload-bytes.ts)
 *   tmp/<boot>-<ns>~<pid>~<start>~<id>/ staging of a running process (reclaimed once it is known dead: temp-area.ts)
 *
 * Record names carry a prefix per kind so a file, a directory and a lock with the same name
 * never collide (`a` the file and `a/` the directory are `f~a` and `d~a`).
 */
export class Layout {
  readonly root: string;
  readonly blobs: string;
  readonly records: string;
  readonly tmp: string;
  readonly uploadBytes: string;

  /** `area` names the records' directory: `records`, or `history` for history pages. */
  constructor(root: string, area = 'records') {
    this.root = path.resolve(root);
    this.blobs = path.join(this.root, 'blobs');
    this.records = path.join(this.root, area);
    this.tmp = path.join(this.root, 'tmp');
    this.uploadBytes = path.join(this.root, 'upload-bytes');
  }

  blob(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return this.inside(path.join(this.blobs, sha256.slice(0, 2), sha256.slice(2, 4), sha256));
  }

  /** The record file of `key` and the lock path guarding it. */
  record(key: string): { file: string; lock: string; dir: string } {
    const segments = splitKey(key);
    const name = segments.pop() as string;
    const dir = this.directory(segments);
    return { dir, file: this.inside(path.join(dir, `f~${name}`)), lock: this.inside(path.join(dir, `l~${name}`)) };
  }

  /** The directory holding the records below `dir` ('' for the root). */
  recordDir(dir: string): string {
    return this.directory(dir === '' ? [] : splitKey(dir));
  }

  private directory(segments: string[]): string {
    return this.inside(path.join(this.records, ...segments.map((s) => `d~${s}`)));
  }

  /** Every resolved path is proven to stay inside the data root. */
  private inside(p: string): string {
    const resolved = path.resolve(p);
    if (!resolved.startsWith(this.root + path.sep)) throw new Error(`path escapes the data root: ${p}`);
    return resolved;
  }
}
