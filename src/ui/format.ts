/** Sizes, times and paths as the UI shows them. */

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A lock label as the UI quotes it after the holder's name: self-asserted, so said to be the client's word. */
export function asTheirClientSays(label: string | undefined): string {
  return label ? ` (“${label}”, as their client says)` : '';
}

/** To the second, where two times are compared. */
export function exactly(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The folder part of a path (`a/b/c.txt` → `a/b/`; a top-level file → ``). */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/', path.endsWith('/') ? path.length - 2 : path.length);
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

export function nameOf(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The UI's address of a path: `#/` and the path, each segment percent-encoded. */
export function routeOf(path: string): string {
  return `#/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The path an address names (the inverse of {@link routeOf}). */
export function pathOfRoute(hash: string): string {
  try {
    return hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent).join('/');
  } catch {
    return '';
  }
}
