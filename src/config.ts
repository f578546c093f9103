import os from 'node:os';
import { parseRetention, type RetentionRule } from './domain/retention.js';
import { parseDesktopFiles } from './domain/desktop-files.js';
import { parseCorsOrigins } from './http/cors-origins.js';
import type { S3Options } from './storage/s3/options.js';

/** Every setting of the service, read from the environment only by main.ts. */
export interface Config {
  /** TCP port (`PORT`, default 8080; 0 picks a free one). */
  port: number;
  /** Address to bind (`HOST`; default: all interfaces). */
  host: string | undefined;
  /** Storage backend (`KLUIS_STORAGE`): `fs` (local disk, default) or `s3`. */
  storage: 'fs' | 's3';
  /** The S3 backend's settings (`KLUIS_S3_*`), present when `storage` is `s3`. */
  s3: S3Options | undefined;
  /** Data root for the `fs` backend (`KLUIS_DATA_DIR`, default `./storage`). */
  dataDir: string;
  /** Largest accepted upload body in bytes (`KLUIS_MAX_UPLOAD_BYTES`, default 16 GiB; suffixes K, M, G, T). */
  maxUploadBytes: number;
  /** Lock timeout when a CHECKOUT names none (`KLUIS_LOCK_DEFAULT_SECONDS`, default 3600). */
  lockDefaultSeconds: number;
  /** Upper bound of any lock timeout (`KLUIS_LOCK_MAX_SECONDS`, default 86400). */
  lockMaxSeconds: number;
  /** JSON users file; unset means the service is open (`KLUIS_USERS_FILE`). */
  usersFile: string | undefined;
  /** Signs the web UI's session cookies; every instance must share it (`KLUIS_SESSION_SECRET`, at least 32 characters; unset: made at start, sessions end with the process). */
  sessionSecret: string | undefined;
  /** A request body that sends nothing for this long is dropped (`KLUIS_BODY_IDLE_SECONDS`, default 60). */
  bodyIdleSeconds: number;
  /** pino level (`KLUIS_LOG_LEVEL`, default info). */
  logLevel: string;
  /** `KLUIS_LOG_FORMAT`: `json`, `pretty`, or `auto` (default: pretty only when stdout is a terminal). */
  logFormat: 'json' | 'pretty' | 'auto';
  /** On SIGTERM/SIGINT, how long requests in flight may still run (`KLUIS_SHUTDOWN_GRACE_SECONDS`, default 30). */
  shutdownGraceSeconds: number;
  /** Server processes (node:cluster workers) sharing the port and the store; 1 runs no cluster. */
  workers: number;
  /** Retention rules (`KLUIS_RETENTION`, a JSON array; default none: every version is kept). */
  retention: RetentionRule[];
  /** Seconds between background retention passes (`KLUIS_RETENTION_INTERVAL_SECONDS`, default 3600; 0: only on demand). */
  retentionIntervalSeconds: number;
  /** A resumable upload untouched this long is reclaimed (`KLUIS_UPLOAD_EXPIRY_SECONDS`, default 86400). */
  uploadExpirySeconds: number;
  /** Resumable uploads one user may have open at once (`KLUIS_UPLOADS_PER_USER`, default 100; in open mode, for everyone together). */
  uploadsPerUser: number;
  /** Seconds between background sweeps of expired uploads (`KLUIS_UPLOAD_SWEEP_SECONDS`, default 600; 0: only on demand). */
  uploadSweepSeconds: number;
  /** Seconds between background storage scans for the store and live-lock gauges (`KLUIS_STATS_INTERVAL_SECONDS`, default 300; 0: off). */
  statsIntervalSeconds: number;
  /** Web origins whose scripts may call /files and /uploads (`KLUIS_CORS_ORIGINS`, comma-separated; default none: no CORS headers). */
  corsOrigins: string[];
  /** Desktop file names kept without versions and on /dav only (`KLUIS_DESKTOP_FILES`, comma-separated patterns; default `._*,.DS_Store,Thumbs.db,desktop.ini,~$*,.~lock.*#`; `none`: off). */
  desktopFiles: string[];
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Build a {@link Config} from environment variables, reporting every bad value at once. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const bytes = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const m = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(raw.trim());
    const n = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      problems.push(`${name}=${JSON.stringify(raw)}: expected a size such as 1073741824, 512M or 16GiB`);
      return fallback;
    }
    return n;
  };

  const storage = env.KLUIS_STORAGE || 'fs';
  if (storage !== 'fs' && storage !== 's3') problems.push(`KLUIS_STORAGE=${JSON.stringify(storage)}: expected fs or s3`);
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = (env[name] ?? '').toLowerCase();
    if (raw === '') return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name}=${JSON.stringify(env[name])}: expected true or false`);
    return fallback;
  };
  let s3: S3Options | undefined;
  if (storage === 's3') {
    if (!env.KLUIS_S3_BUCKET) problems.push('KLUIS_S3_BUCKET is required with KLUIS_STORAGE=s3');
    const prefix = env.KLUIS_S3_PREFIX ?? '';
    s3 = {
      endpoint: env.KLUIS_S3_ENDPOINT || undefined,
      region: env.KLUIS_S3_REGION || env.AWS_REGION || 'us-east-1',
      bucket: env.KLUIS_S3_BUCKET ?? '',
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      forcePathStyle: bool('KLUIS_S3_FORCE_PATH_STYLE', false),
      createBucket: bool('KLUIS_S3_CREATE_BUCKET', false),
      // One 5 MiB part at a time keeps a 1 GiB upload within about 35-45 MiB of extra memory
      // (measured; 2 parts reached 58 MiB under load for 7% more speed on Ceph). S3's
      // 10,000-part limit then caps one upload at about 48 GiB.
      partSize: bytes('KLUIS_S3_PART_SIZE', 5 * 2 ** 20),
      queueSize: int('KLUIS_S3_QUEUE_SIZE', 1, 1, 64),
      heartbeatSeconds: int('KLUIS_S3_HEARTBEAT_SECONDS', 10, 1, 3600),
      removalWaitSeconds: int('KLUIS_S3_REMOVAL_WAIT_SECONDS', 60, 2, 3600),
    };
    if (s3.partSize < 5 * 2 ** 20) problems.push(`KLUIS_S3_PART_SIZE=${JSON.stringify(env.KLUIS_S3_PART_SIZE)}: S3 parts are at least 5 MiB`);
  }
  const logLevel = env.KLUIS_LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`KLUIS_LOG_LEVEL=${JSON.stringify(logLevel)}: expected fatal, error, warn, info, debug, trace or silent`);
  }
  const logFormat = env.KLUIS_LOG_FORMAT || 'auto';
  if (logFormat !== 'json' && logFormat !== 'pretty' && logFormat !== 'auto') problems.push(`KLUIS_LOG_FORMAT=${JSON.stringify(logFormat)}: expected json, pretty or auto`);
  let retention: RetentionRule[] = [];
  if (env.KLUIS_RETENTION) {
    const parsed = parseRetention(env.KLUIS_RETENTION);
    retention = parsed.rules;
    for (const p of parsed.problems) problems.push(`KLUIS_RETENTION: ${p}`);
  }
  const cors = parseCorsOrigins(env.KLUIS_CORS_ORIGINS ?? '');
  problems.push(...cors.problems);
  const desktop = parseDesktopFiles(env.KLUIS_DESKTOP_FILES);
  problems.push(...desktop.problems);
  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    host: env.HOST || undefined,
    storage: storage === 's3' ? 's3' : 'fs',
    s3,
    dataDir: env.KLUIS_DATA_DIR || './storage',
    maxUploadBytes: bytes('KLUIS_MAX_UPLOAD_BYTES', 16 * 2 ** 30),
    lockDefaultSeconds: int('KLUIS_LOCK_DEFAULT_SECONDS', 3600, 1, 10 * 365 * 86400),
    lockMaxSeconds: int('KLUIS_LOCK_MAX_SECONDS', 86400, 1, 10 * 365 * 86400),
    usersFile: env.KLUIS_USERS_FILE || undefined,
    sessionSecret: env.KLUIS_SESSION_SECRET || undefined,
    bodyIdleSeconds: int('KLUIS_BODY_IDLE_SECONDS', 60, 1, 86400),
    logLevel,
    logFormat: logFormat === 'json' || logFormat === 'pretty' ? logFormat : 'auto',
    shutdownGraceSeconds: int('KLUIS_SHUTDOWN_GRACE_SECONDS', 30, 0, 3600),
    workers: int('KLUIS_WORKERS', os.availableParallelism(), 1, 256),
    retention,
    retentionIntervalSeconds: int('KLUIS_RETENTION_INTERVAL_SECONDS', 3600, 0, 30 * 86400),
    statsIntervalSeconds: int('KLUIS_STATS_INTERVAL_SECONDS', 300, 0, 30 * 86400),
    uploadExpirySeconds: int('KLUIS_UPLOAD_EXPIRY_SECONDS', 86400, 60, 365 * 86400),
    uploadsPerUser: int('KLUIS_UPLOADS_PER_USER', 100, 1, 1_000_000),
    uploadSweepSeconds: int('KLUIS_UPLOAD_SWEEP_SECONDS', 600, 0, 30 * 86400),
    corsOrigins: cors.origins,
    desktopFiles: desktop.patterns,
  };
  if (config.lockDefaultSeconds > config.lockMaxSeconds) {
    problems.push(`KLUIS_LOCK_DEFAULT_SECONDS (${config.lockDefaultSeconds}) is above KLUIS_LOCK_MAX_SECONDS (${config.lockMaxSeconds})`);
  }
  if (config.sessionSecret !== undefined && config.sessionSecret.length < 32) problems.push('KLUIS_SESSION_SECRET: at least 32 characters (e.g. `openssl rand -base64 32`)');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
