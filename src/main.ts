import { pino } from 'pino';
import { createApp, createServer } from './app.js';
import { UserDirectory } from './auth/users.js';
import { ConfigError, loadConfig } from './config.js';
import type { FileRecord } from './domain/types.js';
import { openFsStorage } from './storage/fs/index.js';
import { openS3Storage } from './storage/s3/index.js';

/** Read the environment, open storage, listen; on SIGTERM/SIGINT stop accepting and drain. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  const users = config.usersFile ? await UserDirectory.load(config.usersFile) : undefined;
  const storage = config.s3 ? await openS3Storage<FileRecord>(config.s3) : await openFsStorage<FileRecord>(config.dataDir);
  const app = createApp({ config, storage, logger, users });
  const server = createServer(app, config.bodyIdleSeconds);

  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const where = config.s3 ? { bucket: config.s3.bucket, prefix: config.s3.prefix, endpoint: config.s3.endpoint } : { dataDir: config.dataDir };
    logger.info({ port, storage: config.storage, ...where }, `kluis listening on http://localhost:${port}/files/`);
    if (!users) {
      logger.warn('OPEN MODE: no users file (KLUIS_USERS_FILE) is configured, so anyone who can reach this port can read, write and delete every file; every caller is "anonymous" and a lock token alone proves its holder');
    } else {
      logger.info({ users: users.size }, 'authentication required (HTTP Basic or Bearer)');
    }
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    server.close(() => {
      void storage.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
    }, 30_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`kluis: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
