/**
 * `npm run kluis -- <command>` (in the image: `node dist/src/cli.js <command>`): operating a
 * store without HTTP, on the storage the environment configures (the same variables as the
 * server, src/config.ts), safe while servers run on it: every change is the same
 * compare-and-set a server makes.
 *
 *   locks            the live locks of every file (JSON lines: path, owner, label, scope, expiry)
 *   unlock <path>    break every lock of <path> (its check-out and WebDAV shared locks)
 *   stats            what the store holds (as GET /admin/stats)
 *   gc [--dry-run] [--grace=SECONDS]   as `npm run gc`
 */
import { type Config, loadConfig } from './config.js';
import { parseRelativeName } from './domain/paths.js';
import type { KluisRecords } from './domain/types.js';
import { Problem } from './errors.js';
import { breakLocks, forEachLiveLock } from './maintenance/break-locks.js';
import { storageStats } from './maintenance/stats.js';
import { type GcArgs, parseGcArgs, runGc, UsageError } from './gc-command.js';
import type { Storage } from './storage/contracts.js';
import { openStorage } from './storage/open.js';

const USAGE = `usage: npm run kluis -- <command>
  locks                              the live locks of every file, one JSON line each
  unlock <path>                      break every lock of <path>: its check-out and WebDAV shared locks
  stats                              what the store holds (as GET /admin/stats)
  gc [--dry-run] [--grace=SECONDS]   a retention pass (KLUIS_RETENTION), then garbage collection`;

type Command = { name: 'locks' } | { name: 'unlock'; path: string } | { name: 'stats' } | { name: 'gc'; args: GcArgs };

function parse(argv: string[]): Command {
  const [name, ...rest] = argv;
  if (name === 'locks' || name === 'stats') {
    if (rest.length > 0) throw new UsageError(`${name} takes no arguments`);
    return { name };
  }
  if (name === 'unlock') {
    if (rest.length !== 1) throw new UsageError('unlock takes one path');
    return { name, path: parseRelativeName((rest[0] as string).replace(/^\/+/, '')) };
  }
  if (name === 'gc') return { name, args: parseGcArgs(rest) };
  throw new UsageError(name === undefined || name === '--help' || name === '-h' ? '' : `unknown command ${JSON.stringify(name)}`);
}

async function run(command: Command, storage: Storage<KluisRecords>, config: Config): Promise<number> {
  const now = Date.now();
  switch (command.name) {
    case 'locks': {
      await forEachLiveLock(
        storage.records,
        (lock) => {
          const { token: _token, ownerXml: _xml, ...shown } = lock; // never a token; the label says who
          process.stdout.write(`${JSON.stringify(shown)}\n`);
        },
        now,
      );
      return 0;
    }
    case 'unlock': {
      const broken = await breakLocks(storage.records, command.path, now);
      if (broken.length === 0) {
        process.stderr.write(`kluis: not-checked-out: ${command.path} has no live lock\n`);
        return 1;
      }
      const locks = broken.map(({ owner, label, scope, expiresAt }) => ({ owner, ...(label ? { label } : {}), scope: scope ?? 'exclusive', expiresAt }));
      process.stdout.write(`${JSON.stringify({ path: command.path, released: true, locks })}\n`);
      return 0;
    }
    case 'stats':
      process.stdout.write(`${JSON.stringify(await storageStats(storage, now), null, 2)}\n`);
      return 0;
    case 'gc':
      return runGc(command.args, storage, config);
  }
}

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof Problem)) throw err;
    if (!err.message) process.stdout.write(`${USAGE}\n`);
    else process.stderr.write(`kluis: ${err.message}\n${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const config = loadConfig(process.env);
  const storage = await openStorage<KluisRecords>(config);
  try {
    return await run(command, storage, config);
  } catch (err) {
    // A refusal (no such lock) is the answer, not a crash: said as the API says it, exit 1.
    if (!(err instanceof Problem)) throw err;
    process.stderr.write(`kluis: ${err.code}: ${err.message}\n`);
    return 1;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kluis: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  },
);
