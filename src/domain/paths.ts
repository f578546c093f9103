import { Problem } from '../errors.js';

/** Longest segment in UTF-8 bytes (leaves room for the store's own prefixes under NAME_MAX 255). */
export const MAX_SEGMENT_BYTES = 250;
/** Longest path in UTF-8 bytes (leaves room for an S3 key prefix under S3's 1024). */
export const MAX_PATH_BYTES = 900;

/** A validated location: `key` is '' for the root, else `a/b/c` with no leading or trailing slash. */
export interface Target {
  key: string;
  directory: boolean;
}

/**
 * Parse the percent-encoded part of a URL after `/files/`. Refuses everything that could
 * escape the data root or name one file two ways: dot segments (also encoded, or encoded
 * twice), empty segments, encoded slashes, backslashes, NUL and control characters,
 * malformed escapes, over-long names. Names are normalised to NFC, so an NFD spelling from
 * macOS reaches the same file rather than a look-alike twin.
 */
export function parseUrlPath(raw: string): Target {
  if (raw === '') return { key: '', directory: true };
  const directory = raw.endsWith('/');
  const parts = (directory ? raw.slice(0, -1) : raw).split('/');
  const segments = parts.map((part) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw invalid(`malformed percent-encoding in ${JSON.stringify(part)}`);
    }
    return checkSegment(decoded);
  });
  return { key: checkLength(segments.join('/')), directory };
}

/**
 * Validate a relative file name from a multipart part (`notes.txt`, or `sub/notes.txt` from a
 * folder upload). Absolute names (`/x`, `C:\x`, `\\server\x`) are refused.
 */
export function parseRelativeName(name: string): string {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw invalid(`absolute file name ${JSON.stringify(name)}`);
  return checkLength(name.split('/').map(checkSegment).join('/'));
}

/**
 * Validate a path given as text, not percent-encoded (a query value such as `?move-to=`, which
 * the query string decoded once): `a/b/c`, with a trailing `/` for a directory, `/` alone for
 * the root. Nothing is decoded again; the segments are checked as a URL path's are.
 */
export function parsePlainPath(text: string): Target {
  if (text === '/') return { key: '', directory: true };
  const directory = text.endsWith('/');
  return { key: checkLength((directory ? text.slice(0, -1) : text).split('/').map(checkSegment).join('/')), directory };
}

/** The key of `name` in the directory `dir` ('' for the root): `a/b` + `c` is `a/b/c`. */
export function childKey(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** The last segment of a key: `a/b/c.txt` is `c.txt`. */
export function nameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Join a directory key and a relative key. */
export function joinKey(dir: string, name: string): string {
  return checkLength(childKey(dir, name));
}

function checkSegment(segment: string): string {
  const s = segment.normalize('NFC');
  if (s === '') throw invalid('empty path segment');
  if (isDots(s)) throw invalid(`dot segment ${JSON.stringify(s)}`);
  if (s.includes('/')) throw invalid('encoded slash in a path segment');
  if (s.includes('\\')) throw invalid('backslash in a path segment');
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) throw invalid('control character (C0, DEL or C1) or NUL in a path segment');
  if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) throw invalid(`path segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  // A segment that is still an encoded dot segment would turn into one if anything decoded it again.
  let again: string | undefined;
  try {
    again = decodeURIComponent(s);
  } catch {
    again = undefined;
  }
  if (again !== undefined && again !== s && (isDots(again) || again.includes('/') || again.includes('\\') || again.includes('\0'))) {
    throw invalid(`doubly encoded ${JSON.stringify(again)} in a path segment`);
  }
  return s;
}

function isDots(s: string): boolean {
  return s === '.' || s === '..';
}

function checkLength(key: string): string {
  if (Buffer.byteLength(key) > MAX_PATH_BYTES) throw invalid(`path longer than ${MAX_PATH_BYTES} bytes`);
  return key;
}

function invalid(detail: string): Problem {
  return new Problem('invalid-path', detail);
}
