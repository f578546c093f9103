import type { Namespace } from './namespace.js';
import { currentVersion } from './rules.js';
import type { Caller } from './types.js';

/**
 * An AppleDouble file (`._report.pdf`) carries the Finder metadata of the file or folder beside
 * it (`report.pdf`): it lives and moves with it, whichever client deletes or moves that one, and
 * no timer ends it. macOS renames and removes the `._` file itself after the main one, looking it
 * up first; it then finds the work done. Best effort: a companion locked by someone else, or
 * changed meanwhile, stays where it is, and so does one the store fails to change: the main
 * operation has succeeded either way, and its answer says so.
 */

/** After `key` was deleted: its companion goes too. */
export async function removeCompanion(dav: Namespace, caller: Caller, key: string, tokens: string[]): Promise<void> {
  const companion = dav.desktop.companionOf(key);
  if (!companion) return;
  await bestEffort(async () => {
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
  await bestEffort(async () => {
    const record = await dav.files.get(source);
    const version = currentVersion(record);
    if (!record || !version) return;
    // Judged before anything is copied: a companion that may not go stays whole where it is.
    dav.checkOwn(source, record, { caller, tokens });
    await dav.checkInherited(source, { caller, tokens }, true);
    await dav.checkInherited(destination, { caller, tokens }, true);
    await dav.files.copyVersion(caller, destination, { tokens, conditions: {} }, version, record.props);
    await dav.files.remove(caller, source, { tokens, conditions: {}, base: version.version }, true);
  });
}

async function bestEffort(work: () => Promise<void>): Promise<void> {
  await work().catch(() => undefined);
}
