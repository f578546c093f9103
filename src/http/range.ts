import { Problem } from '../errors.js';

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A single `Range: bytes=…` (RFC 9110 §14.2). Returns undefined to serve the whole
 * representation (no header, another unit, several ranges, or a syntax error: all of which a
 * server may ignore); throws 416 when the range lies outside the content.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  // A single range is short; a long header is served whole, never matched (the pattern's
  // adjacent optional spaces backtrack quadratically on long runs of them).
  if (header.length > 100) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () => new Problem('range-not-satisfiable', `the range ${header} is outside the ${size} bytes of this version`, {}, { 'Content-Range': `bytes */${size}` });
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}
