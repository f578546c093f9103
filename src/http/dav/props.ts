import { liveLock } from '../../domain/locks.js';
import { currentVersion, headNumber } from '../../domain/rules.js';
import type { CollectionRecord, DeadProps, FileRecord, Lock, Version } from '../../domain/types.js';
import { davEtag } from './etag.js';
import { escapeXml } from './xml.js';
import { hrefOf } from './request.js';

/** A resource as PROPFIND describes it. */
export type Described = { kind: 'file'; key: string; record: FileRecord; locks: Lock[] } | { kind: 'collection'; key: string; record: CollectionRecord | undefined; locks: Lock[] };

/** `{namespace}name` of a property: the key of dead properties and of the live table. */
export function propKey(ns: string, name: string): string {
  return `{${ns}}${name}`;
}

/** `{ns}name` back to its parts. */
export function splitKey(key: string): { ns: string; name: string } {
  const cut = key.indexOf('}');
  return { ns: key.slice(1, cut), name: key.slice(cut + 1) };
}

/** An element of property `key` holding `inner` (already XML), with its namespace declared on it. */
export function propElement(key: string, inner: string): string {
  const { ns, name } = splitKey(key);
  const [tag, decl] = ns === 'DAV:' ? [`D:${name}`, ''] : ns === '' ? [name, ' xmlns=""'] : [`x:${name}`, ` xmlns:x="${escapeXml(ns)}"`];
  return inner === '' ? `<${tag}${decl}/>` : `<${tag}${decl}>${inner}</${tag}>`;
}

const d = (name: string) => propKey('DAV:', name);

/** Live properties every resource answers in allprop (RFC 4918 §15). */
const ALLPROP = ['creationdate', 'displayname', 'getcontentlength', 'getcontenttype', 'getetag', 'getlastmodified', 'resourcetype', 'lockdiscovery', 'supportedlock'].map(d);
/** RFC 3253 properties: answered when asked for by name, never in allprop. */
const VERSIONING = ['checked-in', 'checked-out', 'version-name', 'auto-version', 'supported-report-set', 'version-history'].map(d);
/** ownCloud's namespace: `oc:checksums` is answered when asked for by name (rclone's owncloud vendor does). */
const OC = 'http://owncloud.org/ns';
export const CHECKSUMS = propKey(OC, 'checksums');

/**
 * The `DAV:activelock` of a lock (RFC 4918 §14.1), with its token when `withToken`: always for
 * the LOCK answer (the holder asked for it), and in `DAV:lockdiscovery` only for the lock's
 * owner. RFC 4918 §6.5 holds tokens not to be secrets; kluis shows them to their owner only,
 * so that with users configured nobody learns another's token (which would still be refused
 * in their hands: a token is bound to its owner). In open mode every caller is `anonymous`,
 * the owner of every lock, and sees every token.
 */
export function activeLock(lock: Lock, now: number, withToken = true): string {
  const seconds = Math.max(0, Math.ceil((Date.parse(lock.expiresAt) - now) / 1000));
  return (
    '<D:activelock><D:locktype><D:write/></D:locktype>' +
    `<D:lockscope>${lock.scope === 'shared' ? '<D:shared/>' : '<D:exclusive/>'}</D:lockscope>` +
    `<D:depth>${lock.depth === 'infinity' ? 'infinity' : '0'}</D:depth>` +
    (lock.ownerXml ?? `<D:owner>${escapeXml(lock.owner)}</D:owner>`) +
    `<D:timeout>Second-${seconds}</D:timeout>` +
    (withToken ? `<D:locktoken><D:href>${escapeXml(lock.token)}</D:href></D:locktoken>` : '') +
    `<D:lockroot><D:href>${escapeXml(hrefOf(lock.path, lock.depth === 'infinity' || lock.path === ''))}</D:href></D:lockroot>` +
    '</D:activelock>'
  );
}

const SUPPORTED_LOCK =
  '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
  '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';

/** The value (inner XML) of a live property, or undefined when the resource has none; `viewer`: who asks. */
function live(r: Described, key: string, now: number, viewer?: string): string | undefined {
  const file = r.kind === 'file' ? r.record : undefined;
  const current = file ? currentVersion(file) : null;
  // A directory made by /files uploads has no record: it answers the time of the request.
  const created = r.kind === 'file' ? (r.record.versions[0]?.createdAt ?? current?.createdAt) : (r.record?.createdAt ?? new Date(now).toISOString());
  // The client's modification time when it sent one (X-OC-Mtime), else when the version was made.
  const modified = current?.mtime ?? current?.createdAt ?? created;
  switch (key) {
    case d('creationdate'):
      return created && new Date(created).toISOString();
    case d('displayname'):
      return escapeXml(r.key.split('/').at(-1) ?? '');
    case d('getcontentlength'):
      return current ? String(current.size) : undefined;
    case d('getcontenttype'):
      return current ? escapeXml(current.contentType ?? 'application/octet-stream') : undefined;
    case d('getetag'):
      return current?.sha256 ? escapeXml(davEtag(current.sha256)) : undefined;
    case d('getlastmodified'):
      return modified && new Date(modified).toUTCString();
    case d('resourcetype'):
      return r.kind === 'collection' ? '<D:collection/>' : '';
    case d('lockdiscovery'):
      // A MOVE's claim on its source is no client's lock: never shown.
      return r.locks
        .filter((lock) => !lock.operation)
        .map((lock) => activeLock(lock, now, lock.owner === viewer))
        .join('');
    case d('supportedlock'):
      return SUPPORTED_LOCK;
  }
  if (!file || !current) return undefined;
  const lock = liveLock(file, now);
  switch (key) {
    case d('checked-in'):
      return lock ? undefined : `<D:href>${escapeXml(versionHref(r.key, current.version))}</D:href>`;
    case d('checked-out'):
      return lock ? `<D:href>${escapeXml(versionHref(r.key, lock.baseVersion || headNumber(file)))}</D:href>` : undefined;
    case d('version-name'):
      return String(current.version);
    case d('auto-version'):
      return '<D:checkout-checkin/>';
    case d('supported-report-set'):
      return '<D:supported-report><D:report><D:version-tree/></D:report></D:supported-report>';
    case d('version-history'):
      return `<D:href>${escapeXml(`${hrefOf(r.key, false)}?versions`)}</D:href>`;
    case CHECKSUMS:
      return ocChecksums(current);
  }
  return undefined;
}

/**
 * `oc:checksums` as ownCloud answers it: one `oc:checksum` holding `SHA1:<hex> MD5:<hex>`,
 * which rclone reads. None for a version without them until they are filled in (src/domain/digest-fill.ts).
 */
function ocChecksums(version: Version): string | undefined {
  const sums = [version.sha1 && `SHA1:${version.sha1}`, version.md5 && `MD5:${version.md5}`].filter(Boolean);
  return sums.length > 0 ? `<oc:checksum xmlns:oc="${OC}">${sums.join(' ')}</oc:checksum>` : undefined;
}

/** The URL of version `n` of a file: GET answers its bytes. */
export function versionHref(key: string, n: number): string {
  return `${hrefOf(key, false)}?version=${n}`;
}

function deadOf(r: Described): DeadProps {
  return r.record?.props ?? {};
}

/** Names of every property of the resource (propname). */
export function propNames(r: Described, now: number): string[] {
  const liveNames = [...ALLPROP, ...VERSIONING, CHECKSUMS].filter((key) => live(r, key, now) !== undefined);
  return [...liveNames, ...Object.keys(deadOf(r))];
}

/** Properties found (key → inner XML) and not found, for a list of names or for allprop. */
export function lookup(r: Described, names: string[] | 'all', now: number, viewer: string): { found: Map<string, string>; missing: string[] } {
  const found = new Map<string, string>();
  const missing: string[] = [];
  const dead = deadOf(r);
  const wanted = names === 'all' ? [...ALLPROP, ...Object.keys(dead)] : names;
  for (const key of wanted) {
    const value = live(r, key, now, viewer) ?? dead[key];
    if (value !== undefined) found.set(key, value);
    else if (names !== 'all') missing.push(key);
  }
  return { found, missing };
}

/** True for a property the server computes (PROPPATCH may not set or remove it). */
export function isLive(key: string): boolean {
  return ALLPROP.includes(key) || VERSIONING.includes(key) || key === CHECKSUMS;
}
