/**
 * The storage-level guard of record keys, shared by every backend: the domain validates paths
 * (src/domain/paths.ts); this refuses anything that slipped by, before a key becomes a file
 * path or an object key ('' names no record). Returns the key's segments.
 */
export function splitKey(key: string): string[] {
  const segments = key.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.includes('\0') || s.includes('\\')) {
      throw new Error(`unsafe record key: ${JSON.stringify(key)}`);
    }
  }
  return segments;
}
