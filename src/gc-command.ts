/** Garbage collection from the command line (`npm run gc`, `npm run kluis -- gc`): its arguments and its run. */
import type { Config } from './config.js';
import type { KluisRecords } from './domain/types.js';
import { collectGarbage, DEFAULT_GRACE_SECONDS, MIN_GRACE_SECONDS } from './maintenance/gc.js';
import { type RetentionReport, retentionPass } from './maintenance/retention.js';
import type { Storage } from './storage/contracts.js';

export const GC_USAGE = `  (with KLUIS_RETENTION set, a retention pass runs first)
  --dry-run        no retention pass; report what GC would remove, remove nothing
  --grace=SECONDS  keep blobs committed less than this long ago (default ${DEFAULT_GRACE_SECONDS}, at least ${MIN_GRACE_SECONDS})`;

/** A wrong command line: its message is printed with the usage (none: the usage alone, for --help). */
export class UsageError extends Error {}

export interface GcArgs {
  dryRun: boolean;
  graceSeconds: number;
}

export function parseGcArgs(args: string[]): GcArgs {
  let dryRun = false;
  let graceSeconds = DEFAULT_GRACE_SECONDS;
  for (const arg of args) {
    const grace = /^--grace=(\d{1,9})$/.exec(arg);
    if (arg === '--dry-run') dryRun = true;
    else if (grace) graceSeconds = Number(grace[1]);
    else throw new UsageError(arg === '--help' || arg === '-h' ? '' : `unknown argument ${JSON.stringify(arg)}`);
  }
  if (graceSeconds < MIN_GRACE_SECONDS) throw new UsageError(`--grace must be at least ${MIN_GRACE_SECONDS} seconds: an upload committing now may need its blob that long`);
  return { dryRun, graceSeconds };
}

/** One retention pass (unless a dry run, with rules set), then one GC run; the reports as JSON on stdout. */
export async function runGc(args: GcArgs, storage: Storage<KluisRecords>, config: Config): Promise<number> {
  let retention: RetentionReport | undefined;
  if (config.retention.length > 0 && !args.dryRun) retention = await retentionPass(storage, config)();
  const gc = await collectGarbage({ records: storage.records, history: storage.history, blobs: storage.blobs, graceMs: args.graceSeconds * 1000, dryRun: args.dryRun });
  process.stdout.write(`${JSON.stringify(retention ? { retention, gc } : { gc }, null, 2)}\n`);
  return 0;
}
