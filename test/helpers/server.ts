import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, pino } from 'pino';
import { createApp, createServer } from '../../src/app.js';
import type { UserDirectory } from '../../src/auth/users.js';
import type { RetentionRule } from '../../src/domain/retention.js';
import type { Clock } from '../../src/domain/types.js';
import type { S3Server } from '../s3/ceph.js';
import { type Backend, openTestStore, type StoreView, testBackend } from './backend.js';
import { tracked } from './children.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A fresh, empty data root under the OS temp dir. */
export async function tempDir(prefix = 'kluis-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  /** The backend it serves from (`KLUIS_TEST_BACKEND`, default fs). */
  backend: Backend;
  /** Blobs, staged bytes and records in its store. */
  store: StoreView;
  /** Move the injected clock forward (ms). */
  advance(ms: number): void;
  /** Another instance serving the same store (its data dir, or its S3 bucket and prefix), closed with this one. */
  another(): Promise<TestServer>;
  close(): Promise<void>;
}

export interface ServerOptions {
  dataDir?: string;
  /** Serve from this backend instead of `KLUIS_TEST_BACKEND`'s (fresh, empty store). */
  backend?: Backend;
  /** For backend s3: the S3 server to use instead of the process's shared one. */
  s3?: S3Server;
  users?: UserDirectory;
  maxUploadBytes?: number;
  lockDefaultSeconds?: number;
  lockMaxSeconds?: number;
  /** Default: silent. */
  logger?: Logger;
  /** Retention rules (default none). */
  retention?: RetentionRule[];
  /** Node's headersTimeout (default 60 s, as in production). */
  headersTimeoutMs?: number;
  /** Resumable uploads: open ones per user, and the expiry (defaults as in production). */
  uploadsPerUser?: number;
  uploadExpirySeconds?: number;
  /** `KLUIS_CORS_ORIGINS` (default none). */
  corsOrigins?: string[];
  /** S3: the key prefix of an existing store, to serve it as another instance (see {@link TestServer.another}). */
  keyPrefix?: string;
}

/** The real app on a real socket in this process, with an injectable clock. */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await tempDir());
  let offset = 0;
  const clock: Clock = () => Date.now() + offset;
  const backend = options.backend ?? testBackend();
  const keyPrefix = options.keyPrefix ?? `http-${randomUUID()}/`;
  const { storage, view } = await openTestStore(dataDir, backend, options.s3, keyPrefix);
  const app = createApp({
    config: {
      maxUploadBytes: options.maxUploadBytes ?? 1 << 30,
      lockDefaultSeconds: options.lockDefaultSeconds ?? 3600,
      lockMaxSeconds: options.lockMaxSeconds ?? 86400,
      retention: options.retention ?? [],
      ...(options.uploadsPerUser ? { uploadsPerUser: options.uploadsPerUser } : {}),
      ...(options.uploadExpirySeconds ? { uploadExpirySeconds: options.uploadExpirySeconds } : {}),
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    },
    storage,
    logger: options.logger ?? pino({ level: 'silent' }),
    backend,
    users: options.users,
    clock,
  });
  const server = createServer(app, 60, options.headersTimeoutMs);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const others: TestServer[] = [];
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    backend,
    store: view,
    advance: (ms) => {
      offset += ms;
    },
    another: async () => {
      const other = await startServer({ ...options, dataDir, backend, keyPrefix });
      others.push(other);
      return other;
    },
    close: async () => {
      for (const other of others.splice(0)) await other.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `src/main.ts` as its own process (as `npm start` runs it), on a free port. */
export async function startChild(dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = tracked(
    spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KLUIS_DATA_DIR: dataDir, KLUIS_LOG_LEVEL: 'info', KLUIS_WORKERS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const { port, output, exited } = await waitForListening(child);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Wait for a spawned server's "listening" log line; collects its stdout and stderr. */
export async function waitForListening(child: ChildProcess): Promise<{ port: number; output: () => string; exited: Promise<number | null> }> {
  let output = '';
  // Settles once the process has exited and its output has been read to the end ('exit' can come
  // before the last lines): a test that checks the log after stop() sees every line. Workers of a
  // cluster share the pipes; if one outlives the process, its output is not waited for beyond 5 s.
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      const settle = () => resolve(code);
      child.once('close', settle);
      setTimeout(settle, 5000).unref();
    }),
  );
  let found = false;
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (found) return; // only the start is searched: rescanning a growing log would cost quadratic time
      const m = /"port":(\d+)/.exec(output);
      if (m) {
        found = true;
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
    setTimeout(() => {
      if (found) return;
      child.kill('SIGKILL'); // not left running when the caller gives up on it
      reject(new Error(`server did not listen within 60 s:\n${output}`));
    }, 60_000).unref();
  });
  return { port, output: () => output, exited };
}

/** sha256 hex of a buffer or string. */
export async function sha256(data: Buffer | string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(data).digest('hex');
}
