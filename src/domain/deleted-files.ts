import type { History } from './history.js';
import type { ListedFile } from './listing-summary.js';
import type { FileRecord } from './types.js';

/**
 * A file of a listing whose newest version is a delete marker (`GET /files/<dir>/?deleted`).
 * The listed fields are those of its last version with content, the one `?restore=<version>`
 * brings back and `?version=<version>` reads.
 */
export interface DeletedFile extends ListedFile {
  deleted: true;
  /** The delete marker's number: the file's newest version (`?base` of a restore). */
  deletedVersion: number;
  deletedAt: string;
  deletedBy: string;
  /** Retention pruned that version: its bytes are gone (410 on restore; `?versions` lists the others). */
  pruned?: true;
}

/**
 * What a listing shows of a deleted file, or null when the record's newest version is no delete
 * marker. A delete needs a current version, so the version below a marker has content.
 */
export async function deletedFile(record: FileRecord, history: History): Promise<DeletedFile | null> {
  const marker = record.versions.at(-1);
  if (!marker?.deleted) return null;
  const last = await history.version(record, marker.version - 1);
  if (!last?.sha256) return null;
  return {
    size: last.size,
    version: last.version,
    sha256: last.sha256,
    contentType: last.contentType,
    modifiedAt: last.createdAt,
    author: last.author,
    deleted: true,
    deletedVersion: marker.version,
    deletedAt: marker.createdAt,
    deletedBy: marker.author,
    ...(last.pruned ? { pruned: true as const } : {}),
  };
}
