/**
 * `npm run gc -- [--dry-run] [--grace=SECONDS]`: with retention rules (KLUIS_RETENTION), one
 * retention pass first (skipped by --dry-run), then one garbage collection run over the storage
 * the environment configures (the same variables as the server, see src/config.ts); the reports
 * are printed as JSON. Safe while servers are running on the same store (src/maintenance/gc.ts).
 */
import { ConfigError, loadConfig } from './config.js';
import type { KluisRecords } from './domain/types.js';
import { collectGarbage, DEFAULT_GRACE_SECONDS, MIN_GRACE_SECONDS } from './maintenance/gc.js';
import { type RetentionReport, retentionPass } from './maintenance/retention.js';
import { openFsStorage } from './storage/fs/index.js';
import { openS3Storage } from './storage/s3/index.js';

const USAGE = `usage: npm run gc -- [--dry-run] [--grace=SECONDS]
  (with KLUIS_RETENTION set, a retention pass runs first)
  --dry-run        no retention pass; report what GC would remove, remove nothing
  --grace=SECONDS  keep blobs committed less than this long ago (default ${DEFAULT_GRACE_SECONDS}, at least ${MIN_GRACE_SECONDS})`;

class UsageError extends Error {}

function parseArgs(args: string[]): { dryRun: boolean; graceSeconds: number } {
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

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (!err.message) process.stdout.write(`${USAGE}\n`);
    else process.stderr.write(`kluis gc: ${err.message}\n${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const config = loadConfig(process.env);
  const storage = config.s3 ? await openS3Storage<KluisRecords>(config.s3) : await openFsStorage<KluisRecords>(config.dataDir);
  try {
    let retention: RetentionReport | undefined;
    if (config.retention.length > 0 && !args.dryRun) {
      retention = await retentionPass(storage, config)();
    }
    const gc = await collectGarbage({ records: storage.records, history: storage.history, blobs: storage.blobs, graceMs: args.graceSeconds * 1000, dryRun: args.dryRun });
    process.stdout.write(`${JSON.stringify(retention ? { retention, gc } : { gc }, null, 2)}\n`);
    return 0;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kluis gc: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  },
);
