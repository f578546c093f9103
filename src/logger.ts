import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

/** Never written to a log: credentials and lock tokens, wherever they appear in a logged object. */
export const REDACT = [
  'authorization',
  'token',
  'lockToken',
  '*.authorization',
  '*.token',
  '*.lockToken',
  '*.headers.authorization',
  '*.headers["lock-token"]',
  '*.headers.cookie',
  'credentials',
  '*.credentials',
];

/** JSON lines on stdout; pretty (pino-pretty) when asked, or in `auto` when stdout is a terminal. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, isTTY = process.stdout.isTTY === true): Logger {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && isTTY);
  return pino({
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
