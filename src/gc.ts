/**
 * `npm run gc -- [--dry-run] [--grace=SECONDS]`: with retention rules (KLUIS_RETENTION), one
 * retention pass first (skipped by --dry-run), then one garbage collection run over the storage
 * the environment configures (the same variables as the server, see src/config.ts); the reports
 * are printed as JSON. Safe while servers are running on the same store (src/maintenance/gc.ts).
 * The same as `npm run kluis -- gc` (src/cli.ts).
 */
import { ConfigError, loadConfig } from './config.js';
import type { KluisRecords } from './domain/types.js';
import { GC_USAGE, type GcArgs, parseGcArgs, runGc, UsageError } from './gc-command.js';
import { openStorage } from './storage/open.js';

const USAGE = `usage: npm run gc -- [--dry-run] [--grace=SECONDS]\n${GC_USAGE}`;

async function main(): Promise<number> {
  let args: GcArgs;
  try {
    args = parseGcArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (!err.message) process.stdout.write(`${USAGE}\n`);
    else process.stderr.write(`kluis gc: ${err.message}\n${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const config = loadConfig(process.env);
  const storage = await openStorage<KluisRecords>(config);
  try {
    return await runGc(args, storage, config);
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
