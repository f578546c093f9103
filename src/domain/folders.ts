import { ancestorsOf, liveCollection } from './collections.js';
import type { Namespace } from './namespace.js';
import type { Caller } from './types.js';

/**
 * Make the folder `key`, and the missing folders above it as an upload makes them: each is an
 * explicit collection, listed by `/files` and a collection on /dav even while empty, until it
 * is deleted. Adding a folder to a collection is a change of its membership: the depth-0 and
 * Depth-infinity locks above the first missing folder need one of their tokens in `tokens`
 * (409 `locked`, with the state `/files` refusals carry). A folder already there changes
 * nothing but this: one that existed only because files are in it (made by `/files` uploads)
 * becomes explicit, so that it stays once emptied (refused while a MOVE of it runs). Returns
 * whether `key` itself was made.
 */
export async function makeFolder(dav: Namespace, caller: Caller, key: string, tokens: string[]): Promise<boolean> {
  if (key === '') return false;
  const chain = [...ancestorsOf(key).slice(1), key];
  const above = await dav.ancestors(key);
  const records = [...above.map((a) => a.record), await dav.collections.get(key)];
  let first = -1;
  for (const [i, dir] of chain.entries()) {
    if (!(await dav.collections.exists(dir, records[i] ?? null))) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    const own = records.at(-1);
    if (own && !own.implicit) return false;
    try {
      await dav.collections.update(key, (record) => {
        if (record && !record.implicit) return { result: undefined };
        dav.checkOwn(key, record, { caller, tokens });
        return { next: liveCollection(key, record, dav.now()), result: undefined };
      });
    } catch (err) {
      throw await dav.withState(key, err);
    }
    return false;
  }
  const top = chain[first] as string;
  try {
    await dav.checkInherited(top, { caller, tokens }, true, above.slice(0, first));
  } catch (err) {
    throw await dav.withState(top, err);
  }
  let made = false;
  for (const dir of chain.slice(first)) {
    made = await dav.collections.update(dir, async (record) => {
      if (await dav.collections.exists(dir, record ?? null)) return { result: false };
      return { next: liveCollection(dir, record, dav.now()), result: true };
    });
  }
  return made;
}
