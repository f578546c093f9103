import type { Context } from 'koa';
import { parseTimeout } from '../lock-headers.js';
import type { Target } from '../../domain/paths.js';
import type { FileReader } from '../../domain/reads.js';
import type { Version } from '../../domain/types.js';
import { MAX_TREE, type Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';

import type { DavIf } from './conditions.js';
import { davEtag } from './etag.js';
import { propstat, response, sendMultistatus, sendXml } from './multistatus.js';
import { MAX_XML_BYTES } from './propfind.js';
import { propElement, propKey, versionHref } from './props.js';
import { davIntent } from './write.js';
import { child, children, DAV, escapeXml, readXmlBody } from './xml.js';
import { callerOf } from '../auth.js';

/** Properties of a version resource (RFC 3253 §3.3) that a version-tree REPORT may ask for. */
function versionProp(name: string, v: Version): string | undefined {
  switch (name) {
    case propKey(DAV, 'version-name'):
      return String(v.version);
    case propKey(DAV, 'creator-displayname'):
      return escapeXml(v.author);
    case propKey(DAV, 'getcontentlength'):
      return String(v.size);
    case propKey(DAV, 'getcontenttype'):
      return escapeXml(v.contentType ?? 'application/octet-stream');
    case propKey(DAV, 'getetag'):
      return v.sha256 ? escapeXml(davEtag(v.sha256)) : undefined;
    case propKey(DAV, 'getlastmodified'):
      return new Date(v.createdAt).toUTCString();
    case propKey(DAV, 'comment'):
      return v.comment === undefined ? undefined : escapeXml(v.comment);
    case propKey(DAV, 'successor-set'):
      return '';
  }
  return undefined;
}

const DEFAULT_PROPS = ['version-name', 'creator-displayname', 'getcontentlength', 'getetag', 'getlastmodified'].map((n) => propKey(DAV, n));

/**
 * REPORT DAV:version-tree (RFC 3253 §3.7): one response per stored version with content, at
 * its URL (`/dav/<path>?version=N`, which GET answers). Pruned versions and delete markers have
 * no bytes and are left out.
 */
export async function report(ctx: Context, dav: Namespace, reader: FileReader, target: Target): Promise<void> {
  const body = await readXmlBody(ctx.req, MAX_XML_BYTES);
  if (!body || body.ns !== DAV || body.name !== 'version-tree') {
    throw new Problem('forbidden', 'the only REPORT is DAV:version-tree');
  }
  const prop = child(body, DAV, 'prop');
  const names = prop ? children(prop).map((p) => propKey(p.ns, p.name)) : DEFAULT_PROPS;
  const resource = await dav.collections.resolve(target.key, target.directory);
  if (resource.kind !== 'file') throw new Problem(resource.kind === 'none' ? 'not-found' : 'conflict', `${target.key || '/'} is not a version-controlled file`);
  const responses: string[] = [];
  let before: number | undefined;
  do {
    const page = await reader.history(target.key, 1000, before);
    for (const v of page.versions) {
      if (v.deleted || v.pruned || !v.sha256 || responses.length >= MAX_TREE) continue;
      const found = names.map((n) => [n, versionProp(n, v)] as const);
      const ok = found.filter(([, value]) => value !== undefined).map(([n, value]) => propElement(n, value as string));
      const missing = found.filter(([, value]) => value === undefined).map(([n]) => propElement(n, ''));
      const propstats = [propstat(200, ok), ...(missing.length > 0 ? [propstat(404, missing)] : [])];
      responses.push(response(versionHref(target.key, v.version), { propstats }));
    }
    before = page.nextBefore;
  } while (before !== undefined && responses.length < MAX_TREE);
  sendMultistatus(ctx, responses);
}

/**
 * CHECKOUT (RFC 3253 §4.3): check the file out, which is taking its exclusive lock (the
 * `/files` check-out); the token comes back in `Lock-Token`. A file already checked out is
 * 409 with `DAV:checkout-of-checked-out-version-is-forbidden`.
 */
export async function checkout(ctx: Context, dav: Namespace, target: Target, ifs: DavIf): Promise<void> {
  const resource = await dav.collections.resolve(target.key, target.directory);
  if (resource.kind !== 'file') throw new Problem(resource.kind === 'none' ? 'not-found' : 'conflict', `${target.key || '/'} is not a version-controlled file`);
  const seconds = parseTimeout(ctx.get('Timeout') || undefined, dav.files.lockTimeouts);
  const intent = await davIntent(ctx, dav, target.key, ifs);
  await dav.checkLockable(target.key, 'exclusive');
  try {
    const { lock } = await dav.files.checkout(callerOf(ctx), target.key, { ...intent, tokens: [] }, seconds);
    ctx.set({ 'Lock-Token': `<${lock.token}>`, 'Cache-Control': 'no-cache' });
    ctx.status = 200;
  } catch (err) {
    if (!(err instanceof Problem && err.code === 'locked')) throw err;
    // Checked out means no DAV:checked-in (must-be-checked-in, RFC 3253 §4.3); the other names the same refusal for a version.
    sendXml(ctx, 409, '<D:error xmlns:D="DAV:"><D:must-be-checked-in/><D:checkout-of-checked-out-version-is-forbidden/></D:error>');
  }
}
