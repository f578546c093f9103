import type { Context } from 'koa';
import type { LockRequest } from '../../domain/dav-locks.js';
import { parseTimeout } from '../lock-headers.js';
import type { Target } from '../../domain/paths.js';
import type { Lock } from '../../domain/types.js';
import type { Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';

import { type DavIf, ifGuard } from './conditions.js';
import { sendXml } from './multistatus.js';
import { MAX_XML_BYTES } from './propfind.js';
import { activeLock } from './props.js';
import { depthOf } from './request.js';
import { cleanLabel } from '../../domain/locks.js';
import { child, children, DAV, readXmlBody, serializeElement, textOf, type XmlElement } from './xml.js';
import { callerOf } from '../auth.js';

/** The lock a DAV:lockinfo body asks for (RFC 4918 §14.11): write locks, exclusive or shared. */
function parseLockinfo(body: XmlElement): Pick<LockRequest, 'scope' | 'ownerXml' | 'label'> {
  if (body.ns !== DAV || body.name !== 'lockinfo') throw new Problem('bad-request', 'a LOCK body is a DAV:lockinfo element');
  const scope = child(body, DAV, 'lockscope');
  const type = child(body, DAV, 'locktype');
  const kind = scope && children(scope)[0];
  if (!kind || kind.ns !== DAV || (kind.name !== 'exclusive' && kind.name !== 'shared')) throw new Problem('bad-request', 'DAV:lockscope must hold DAV:exclusive or DAV:shared');
  if (!type || !child(type, DAV, 'write')) throw new Problem('bad-request', 'only DAV:write locks exist');
  const owner = child(body, DAV, 'owner');
  // Its text is who holds the lock as the client says: LibreOffice sends the user's name, others an href.
  return { scope: kind.name, ownerXml: owner && serializeElement(owner), label: cleanLabel(owner && textOf(owner)) };
}

/**
 * LOCK (RFC 4918 §9.10): a new lock (200, or 201 when the URL was unmapped and is now
 * reserved), or with no body a refresh of the lock named in `If` (200). The same lock record
 * as a `/files` check-out: its token works on both.
 */
export async function lock(ctx: Context, dav: Namespace, target: Target, ifs: DavIf): Promise<void> {
  const seconds = parseTimeout(ctx.get('Timeout') || undefined, dav.files.lockTimeouts);
  const body = await readXmlBody(ctx.req, MAX_XML_BYTES);
  const caller = callerOf(ctx);
  if (!body) {
    const token = ifs.tokens[0];
    if (!token) throw new Problem('bad-request', 'a LOCK without a body refreshes a lock: name it in If: (<token>)');
    const refreshed = await dav.refresh(caller, target.key, token, seconds, target.directory);
    answer(ctx, 200, refreshed, dav.now(), seconds);
    return;
  }
  const depth = depthOf(ctx, ['0', 'infinity'] as const, 'infinity');
  const request: LockRequest = { ...parseLockinfo(body), depth: depth === '0' ? 0 : 'infinity', seconds };
  const guard = await ifGuard(ctx, dav, target.key, ifs);
  const resource = await dav.collections.resolve(target.key, target.directory);
  if (resource.kind !== 'collection') request.depth = 0; // a file has no members to cover
  const { lock: granted, created } = await dav.lock(caller, target.key, request, ifs.tokens, guard, target.directory);
  ctx.set('Lock-Token', `<${granted.token}>`);
  answer(ctx, created ? 201 : 200, granted, dav.now(), seconds);
}

function answer(ctx: Context, status: number, granted: Lock, now: number, seconds: number): void {
  ctx.set('Timeout', `Second-${seconds}`);
  sendXml(ctx, status, `<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLock(granted, now)}</D:lockdiscovery></D:prop>`);
}

/** UNLOCK (RFC 4918 §9.11): `Lock-Token: <token>` of a lock on the URL or covering it; 204. */
export async function unlock(ctx: Context, dav: Namespace, target: Target): Promise<void> {
  const header = ctx.get('Lock-Token').trim();
  const m = /^<([^>]+)>$/.exec(header);
  if (!m) throw new Problem('bad-request', 'UNLOCK needs Lock-Token: <token>');
  await dav.unlock(callerOf(ctx), target.key, m[1] as string, target.directory);
  ctx.status = 204;
}
