import type { Context } from 'koa';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../../domain/upload-meter.js';
import { phaseOf, type UploadState } from '../../domain/upload-state.js';
import { Problem } from '../../errors.js';

/** The tus protocol version kluis speaks, and its extensions. */
export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,creation-with-upload,creation-defer-length,termination,expiration,checksum';
/** The body type of a PATCH (and of a creation with upload). */
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

/** A non-negative whole number header, or undefined when absent; 400 when malformed. */
export function sizeHeader(ctx: Context, name: string): number | undefined {
  const raw = ctx.get(name);
  if (raw === '') return undefined;
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new Problem('bad-request', `${name} must be a whole number of bytes, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has an empty value). */
export function parseMetadata(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw.trim() === '') return out;
  for (const pair of raw.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value))) {
      throw new Problem('bad-request', `Upload-Metadata: ${JSON.stringify(pair.trim())} is not "key base64value"`);
    }
    if (Object.hasOwn(out, key)) throw new Problem('bad-request', `Upload-Metadata names ${key} twice`);
    out[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

/** The metadata as `Upload-Metadata` sends it back. */
export function formatMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([k, v]) => (v === '' ? k : `${k} ${Buffer.from(v, 'utf8').toString('base64')}`))
    .join(',');
}

/** `Upload-Checksum: <algorithm> <base64>`; 400 for an algorithm kluis does not offer. */
export function parseChecksum(ctx: Context): { algorithm: ChecksumAlgorithm; base64: string } | undefined {
  const raw = ctx.get('Upload-Checksum');
  if (raw === '') return undefined;
  const [algorithm, base64, extra] = raw.trim().split(' ');
  if (!CHECKSUM_ALGORITHMS.includes(algorithm as ChecksumAlgorithm)) {
    throw new Problem('bad-request', `Upload-Checksum: algorithm ${JSON.stringify(algorithm)} is not one of ${CHECKSUM_ALGORITHMS.join(', ')}`);
  }
  if (!base64 || extra !== undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new Problem('bad-request', 'Upload-Checksum must be "<algorithm> <base64 digest>"');
  return { algorithm: algorithm as ChecksumAlgorithm, base64 };
}

/** The headers every answer about an upload carries: where its bytes end, its length, its expiry. */
export function uploadHeaders(state: UploadState): Record<string, string> {
  return {
    'Upload-Offset': String(state.position.length),
    ...(state.length === null ? { 'Upload-Defer-Length': '1' } : { 'Upload-Length': String(state.length) }),
    'Upload-Expires': new Date(state.expiresAt).toUTCString(),
    'Cache-Control': 'no-store',
  };
}

/**
 * HEAD of an upload whose every byte arrived but that is no version yet (its commit refused, or
 * running, or cut short and being finished): 423, not its offset. A tus client that sees the
 * whole length acknowledged takes the upload as done (tus-js-client does); a 423 is retried,
 * then reported. `GET` of the URL says where it stands.
 */
export function heldHead(state: UploadState): void {
  if (phaseOf(state) !== 'complete') return;
  const why = state.refused ? `the commit was refused (${String(state.refused.code)}): GET this URL for why, POST it to retry` : 'the commit is under way; ask again shortly';
  throw new Problem('upload-held', `every byte arrived but the upload is no version yet: ${why}`, state.refused ? { refused: state.refused } : {});
}
