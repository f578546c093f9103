import { Problem } from '../errors.js';
import type { Namespace } from './namespace.js';
import { currentVersion } from './rules.js';
import type { Caller } from './types.js';

/**
 * An AppleDouble file (`._report.pdf`) carries the Finder metadata of the file or folder beside
 * it (`report.pdf`): it lives and moves with it, whichever client deletes or moves that one, and
 * no timer ends it. macOS renames and removes the `._` file itself after the main one, looking it
 * up first; it then finds the work done. Best effort: a companion locked by someone else, or
 * changed meanwhile, stays where it is, and the main operation has succeeded either way.
 */

/** After `key` was deleted: its companion goes too. */
export async function removeCompanion(dav: Namespace, caller: Caller, key: string, tokens: string[]): Promise<void> {
  const companion = dav.desktop.companionOf(key);
  if (!companion) return;
  await ignoringRefusals(async () => {
    if (!currentVersion(await dav.files.get(companion))) return;
    await dav.checkInherited(companion, { caller, tokens }, true);
    await dav.files.remove(caller, companion, { tokens, conditions: {} }, true);
  });
}

/** After `from` moved to `to`: its companion follows, replacing the destination's. */
export async function moveCompanion(dav: Namespace, caller: Caller, from: string, to: string, tokens: string[]): Promise<void> {
  const source = dav.desktop.companionOf(from);
  const destination = dav.desktop.companionOf(to);
  if (!source || !destination) return;
  await ignoringRefusals(async () => {
    const record = await dav.files.get(source);
    const version = currentVersion(record);
    if (!record || !version) return;
    await dav.checkInherited(destination, { caller, tokens }, true);
    await dav.files.copyVersion(caller, destination, { tokens, conditions: {} }, version, record.props);
    await dav.files.remove(caller, source, { tokens, conditions: {}, base: version.version }, true);
  });
}

async function ignoringRefusals(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
  }
}
