import type { Context } from 'koa';
import { liveLocks } from '../../domain/locks.js';
import { currentVersion } from '../../domain/rules.js';
import type { FileRecord, Lockable } from '../../domain/types.js';
import type { Ancestor, Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';
import { davEtag } from './etag.js';
import { evaluateIf, type IfList, parseIf, type ResourceState, submittedTokens, tagPath } from './if-header.js';
import type { Target } from '../../domain/paths.js';
import { davTarget } from './request.js';

/** The `If` header of a request: its lists and every lock token it submits. */
export interface DavIf {
  lists: IfList[];
  tokens: string[];
}

/** A check of the `If` header against the record a write is about to replace. */
export type Guard = (record: Lockable | undefined) => void;

export function readIf(ctx: Context): DavIf {
  const header = ctx.get('If');
  if (!header) return { lists: [], tokens: [] };
  const lists = parseIf(header);
  return { lists, tokens: submittedTokens(lists) };
}

/** The strong ETag of a file record's current version, as the ETag header carries it. */
export function etagOf(record: Lockable | undefined): string | null {
  const sha = record && 'versions' in record ? currentVersion(record as FileRecord)?.sha256 : undefined;
  return sha ? davEtag(sha) : null;
}

/**
 * The `If` header of a request on `key` as a guard: resources named by tagged lists are read
 * now; the request's own resource is judged on the record the write is about to replace, so
 * the check and the write are one compare-and-set. A header that evaluates false is 412.
 * `above`: the collections above `key`, when the caller has read them already.
 */
export async function ifGuard(ctx: Context, dav: Namespace, key: string, ifs: DavIf, above?: Ancestor[]): Promise<Guard> {
  if (ifs.lists.length === 0) return () => {};
  const host = ctx.get('Host');
  const targetOfTag = (tag: string): Target | undefined => {
    const path = tagPath(tag, host);
    if (path === undefined) return undefined;
    try {
      return davTarget(path);
    } catch {
      return undefined;
    }
  };
  const keyOfTag = (tag: string) => targetOfTag(tag)?.key;
  const others = new Map<string, ResourceState>();
  for (const list of ifs.lists) {
    const tagged = list.resource === undefined ? undefined : targetOfTag(list.resource);
    const other = tagged?.key;
    if (tagged === undefined || other === undefined || other === key || others.has(other)) continue;
    const { kind, record } = await dav.collections.resolve(other, tagged.directory);
    others.set(other, { etag: kind === 'file' ? etagOf(record) : null, tokens: (await dav.locksOn(other, record)).map((l) => l.token) });
  }
  const inherited = (await dav.inherited(key, false, above)).flatMap((entry) => entry.locks.map((l) => l.token));
  return (record) => {
    const own: ResourceState = { etag: etagOf(record), tokens: [...liveLocks(record, dav.now()).map((l) => l.token), ...inherited] };
    const ok = evaluateIf(ifs.lists, (resource) => {
      if (resource === undefined) return own;
      const other = keyOfTag(resource);
      if (other === undefined) return { etag: null, tokens: [] };
      return other === key ? own : (others.get(other) ?? { etag: null, tokens: [] });
    });
    if (!ok) throw new Problem('precondition-failed', `the If header evaluated false for ${key || '/'}`);
  };
}

/** Evaluate the `If` header now, on the current state (for changes that are not one compare-and-set); `collectionFirst` for a URL ending in `/`. */
export async function checkIf(ctx: Context, dav: Namespace, key: string, ifs: DavIf, collectionFirst = false): Promise<void> {
  if (ifs.lists.length === 0) return;
  const guard = await ifGuard(ctx, dav, key, ifs);
  const resource = await dav.collections.resolve(key, collectionFirst);
  guard(resource.record);
}
