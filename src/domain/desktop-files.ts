import { parentOf } from './collections.js';
import { childKey, nameOf } from './paths.js';

/**
 * What desktops and office suites write beside people's documents: macOS Finder's AppleDouble
 * `._name` files and `.DS_Store`, Windows Explorer's `Thumbs.db` and `desktop.ini`, Microsoft
 * Office's owner files `~$name.docx`, LibreOffice's lock files `.~lock.name#`.
 */
export const DEFAULT_DESKTOP_FILES = ['._*', '.DS_Store', 'Thumbs.db', 'desktop.ini', '~$*', '.~lock.*#'];

/**
 * Which file names are desktop files (`KLUIS_DESKTOP_FILES`): such a file keeps no history (each
 * save replaces the one version it has), is listed and served on /dav only, and an AppleDouble
 * `._name` lives and moves with `name`, the file it describes. Patterns name the last path
 * segment: `*` is any run of characters, `?` one; letters match in either case (Windows names
 * do). An empty list (`KLUIS_DESKTOP_FILES=none`) turns the filter off.
 */
export class DesktopFiles {
  private readonly pattern: RegExp | null;

  constructor(readonly patterns: readonly string[] = DEFAULT_DESKTOP_FILES) {
    const alternatives = patterns.map((p) => [...p].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : literal(c))).join(''));
    this.pattern = alternatives.length > 0 ? new RegExp(`^(?:${alternatives.join('|')})$`, 'isu') : null;
  }

  /** Whether the last segment of `key` (`docs/._report.pdf`) names a desktop file. */
  matches(key: string): boolean {
    return this.pattern?.test(nameOf(key)) ?? false;
  }

  /**
   * The AppleDouble file that carries the Finder metadata of `key` (`docs/._report.pdf` for
   * `docs/report.pdf`), when such names are desktop files; undefined for a desktop file itself.
   */
  companionOf(key: string): string | undefined {
    if (key === '' || this.matches(key)) return undefined;
    const companion = childKey(parentOf(key), `._${nameOf(key)}`);
    return this.matches(companion) ? companion : undefined;
  }
}

function literal(c: string): string {
  return /[\\^$.|+()[\]{}]/.test(c) ? `\\${c}` : c;
}

/** Names no desktop file pattern may match. */
const ORDINARY_NAMES = ['report.pdf', 'a.txt', 'notes', 'Budget 2026.xlsx', 'photo.JPG', '.gitignore', 'README'];

/** `KLUIS_DESKTOP_FILES`: comma-separated name patterns; unset or empty, the defaults (as every variable); `none`, no filter. */
export function parseDesktopFiles(spec: string | undefined): { patterns: string[]; problems: string[] } {
  const trimmed = spec?.trim() ?? '';
  if (trimmed === '') return { patterns: [...DEFAULT_DESKTOP_FILES], problems: [] };
  if (trimmed === 'none') return { patterns: [], problems: [] };
  const patterns = trimmed.split(',').map((p) => p.trim());
  const problems = patterns.flatMap((p) => {
    if (p === '' || p.includes('/')) return [`KLUIS_DESKTOP_FILES: ${JSON.stringify(p)} is no name pattern (empty, or a path)`];
    // A typo such as `*.*` would hide every new document from /files and keep it without history.
    const ordinary = ORDINARY_NAMES.find((name) => new DesktopFiles([p]).matches(name));
    return ordinary ? [`KLUIS_DESKTOP_FILES: ${JSON.stringify(p)} matches ordinary names such as ${ordinary}`] : [];
  });
  return { patterns: patterns.filter((p) => p !== ''), problems };
}
