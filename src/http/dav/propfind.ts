import type { Context } from 'koa';
import { liveLocks } from '../../domain/locks.js';
import type { Target } from '../../domain/paths.js';
import { parentOf } from '../../domain/collections.js';
import type { CollectionRecord, FileRecord, Lock } from '../../domain/types.js';
import type { Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';

import { propstat, response, sendMultistatus } from './multistatus.js';
import { CHECKSUMS, type Described, lookup, propElement, propKey, propNames } from './props.js';
import type { DigestFill } from '../../domain/digest-fill.js';
import { depthOf, hrefOf } from './request.js';
import { children, DAV, readXmlBody, type XmlElement } from './xml.js';
import { callerOf } from '../auth.js';

/** Bytes of a PROPFIND, PROPPATCH or LOCK body. */
export const MAX_XML_BYTES = 256 * 1024;

/** What a PROPFIND asks for. */
type Wanted = { mode: 'all'; include: string[] } | { mode: 'names' } | { mode: 'prop'; names: string[] };

function parsePropfind(body: XmlElement | undefined): Wanted {
  if (!body) return { mode: 'all', include: [] };
  if (body.ns !== DAV || body.name !== 'propfind') throw new Problem('bad-request', 'a PROPFIND body is a DAV:propfind element');
  const [first, ...rest] = children(body);
  const names = (el: XmlElement | undefined) => (el ? children(el).map((p) => propKey(p.ns, p.name)) : []);
  if (first?.ns === DAV && first.name === 'allprop') return { mode: 'all', include: names(rest.find((el) => el.ns === DAV && el.name === 'include')) };
  if (first?.ns === DAV && first.name === 'propname') return { mode: 'names' };
  if (first?.ns === DAV && first.name === 'prop') return { mode: 'prop', names: names(first) };
  throw new Problem('bad-request', 'DAV:propfind holds one of DAV:allprop, DAV:propname or DAV:prop');
}

/** What one PROPFIND may spend filling in `oc:checksums` of versions stored without them (domain/digest-fill.ts): bytes read, files written. */
export const DIGEST_BUDGET = { bytes: 64 * 2 ** 20, files: 64 };

/**
 * PROPFIND (RFC 4918 §9.1): Depth 0, 1 or infinity (up to the tree limit); 207 with one response
 * per resource. Asked for `oc:checksums`, a file stored without SHA-1 and MD5 gets them (`digests`).
 */
export async function propfind(ctx: Context, dav: Namespace, target: Target, digests?: DigestFill): Promise<void> {
  const depth = depthOf(ctx, ['0', '1', 'infinity'] as const, 'infinity');
  const wanted = parsePropfind(await readXmlBody(ctx.req, MAX_XML_BYTES));
  const root = await describe(dav, target.key, target.directory);
  if (!root) throw new Problem('not-found', `nothing at ${target.key || '/'}`);
  const now = dav.now();
  const viewer = callerOf(ctx).name;
  const budget = { ...DIGEST_BUDGET };
  const named = wanted.mode === 'prop' ? wanted.names : wanted.mode === 'all' ? wanted.include : [];
  const fill = digests && named.includes(CHECKSUMS) ? digests : undefined;
  const withDigests = async (r: Described): Promise<Described> => (fill && r.kind === 'file' ? { ...r, record: await fill.filled(r.key, r.record, budget) } : r);
  const responses = [render(await withDigests(root), wanted, now, viewer)];
  if (root.kind === 'collection' && depth !== '0') {
    // Locks each collection passes down (Depth infinity), its ancestors' included.
    const covering = new Map<string, Lock[]>([[target.key, root.locks.filter((l) => l.depth === 'infinity')]]);
    await dav.walk(
      target.key,
      async (key, kind, record) => {
        const inherited = covering.get(parentOf(key)) ?? [];
        const own = liveLocks(record, now);
        if (kind === 'collection') covering.set(key, [...inherited, ...own.filter((l) => l.depth === 'infinity')]);
        const locks = [...own, ...inherited];
        // A reserved path (a lock on an unmapped URL) is a lock-null member: listed with its locks
        // and no content properties, so a client that locked it before its PUT still sees it.
        const member: Described = kind === 'collection' ? { kind, key, record: record as CollectionRecord | undefined, locks } : { kind: 'file', key, record: record as FileRecord, locks };
        responses.push(render(await withDigests(member), wanted, now, viewer));
      },
      depth === '1' ? 1 : Infinity,
    );
  }
  sendMultistatus(ctx, responses);
}

/**
 * The resource at `key` with its locks, its own and those its collections pass down; a path
 * reserved by a live lock answers as a lock-null resource (RFC 2518 §7.4: locks, no content);
 * undefined when nothing is there.
 */
export async function describe(dav: Namespace, key: string, collectionFirst = false): Promise<Described | undefined> {
  const resource = await dav.collections.resolve(key, collectionFirst);
  if (resource.kind === 'collection') return { kind: 'collection', key, record: resource.record, locks: await dav.locksOn(key, resource.record) };
  const record = resource.record;
  if (!record || (resource.kind === 'none' && liveLocks(record, dav.now()).length === 0)) return undefined;
  return { kind: 'file', key, record, locks: await dav.locksOn(key, record) };
}

function render(r: Described, wanted: Wanted, now: number, viewer: string): string {
  const href = hrefOf(r.key, r.kind === 'collection');
  if (wanted.mode === 'names')
    return response(href, {
      propstats: [
        propstat(
          200,
          propNames(r, now).map((key) => propElement(key, '')),
        ),
      ],
    });
  const { found, missing } = lookup(r, wanted.mode === 'all' ? 'all' : wanted.names, now, viewer);
  if (wanted.mode === 'all') {
    for (const key of wanted.include) {
      const extra = lookup(r, [key], now, viewer).found.get(key);
      if (extra !== undefined) found.set(key, extra);
    }
  }
  const propstats: string[] = [];
  if (found.size > 0 || missing.length === 0)
    propstats.push(
      propstat(
        200,
        [...found].map(([key, value]) => propElement(key, value)),
      ),
    );
  if (missing.length > 0)
    propstats.push(
      propstat(
        404,
        missing.map((key) => propElement(key, '')),
      ),
    );
  return response(href, { propstats });
}
