import type { Config } from '../config.js';
import type { FileService } from '../domain/files.js';
import { createDomain } from '../domain/services.js';
import { type RetentionRule, ruleFor } from '../domain/retention.js';
import type { FileRecord, KluisRecords } from '../domain/types.js';
import type { RecordStore, Storage } from '../storage/contracts.js';

export interface RetentionReport {
  /** Records looked at. */
  scanned: number;
  /** Files that had versions pruned in this pass. */
  files: number;
  /** Versions pruned in this pass. */
  versions: number;
  /** Bytes those versions held (freed by garbage collection once no other version shares them). */
  bytes: number;
}

/**
 * One retention pass over every record: each file's versions that its rule lets go are marked
 * pruned, by compare-and-set like any other change, so a pass may run on several instances at
 * once and beside uploads. Blobs are not deleted here; garbage collection reclaims those that
 * no version references any more.
 */
export async function applyRetention(records: RecordStore<FileRecord>, files: FileService, rules: readonly RetentionRule[]): Promise<RetentionReport> {
  const report: RetentionReport = { scanned: 0, files: 0, versions: 0, bytes: 0 };
  if (rules.length === 0) return report;
  for await (const key of records.scan()) {
    report.scanned++;
    const rule = ruleFor(key, rules);
    if (!rule) continue;
    const pruned = await files.prune(key, rule);
    if (pruned.versions.length === 0) continue;
    report.files++;
    report.versions += pruned.versions.length;
    report.bytes += pruned.bytes;
  }
  return report;
}

/** A retention pass over `storage` with the configured rules, outside any app (server background, `npm run gc`). */
export function retentionPass(storage: Storage<KluisRecords>, config: Pick<Config, 'retention' | 'lockDefaultSeconds' | 'lockMaxSeconds'>): () => Promise<RetentionReport> {
  const { files } = createDomain(storage, { clock: Date.now, lockTimeouts: { defaultSeconds: config.lockDefaultSeconds, maxSeconds: config.lockMaxSeconds } });
  return () => applyRetention(storage.records, files, config.retention);
}
