import type { Context } from 'koa';
import type { FileReader } from '../../domain/reads.js';
import type { Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';
import { requireWriter, callerOf } from '../auth.js';
import { EXPECTS_CONTINUE, openBody } from '../body.js';
import { read, type ReadDeps } from '../rest/read.js';

import { readIf } from './conditions.js';
import { copyMove } from './copymove.js';
import { davEtag } from './etag.js';
import { listing } from './listing.js';
import { lock, unlock } from './lock.js';
import { MAX_XML_BYTES, propfind } from './propfind.js';
import type { DigestFill } from '../../domain/digest-fill.js';
import { proppatch } from './proppatch.js';
import { requestTarget } from './request.js';
import { checkout, report } from './versioning.js';
import { type DavWriteDeps, mkcol, put, remove } from './write.js';

export type DavDeps = DavWriteDeps & ReadDeps & { reader: FileReader; dav: Namespace; digests?: DigestFill };

export const DAV_METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'REPORT', 'CHECKOUT'];
const ALLOW = DAV_METHODS.join(', ');
const READS = new Set(['OPTIONS', 'GET', 'HEAD', 'PROPFIND', 'REPORT']);

/**
 * The WebDAV mount (RFC 4918 class 1 and 2, an RFC 3253 subset) over the files, versions and
 * locks of /files. Refusals are problem+json as everywhere, with the statuses WebDAV clients
 * act on: a lock held by someone else is 423 (409 on /files), a token that names no lock 412.
 */
export function davHandler(deps: DavDeps) {
  return async (ctx: Context): Promise<void> => {
    try {
      await handle(ctx, deps);
    } catch (err) {
      if (err instanceof Problem) {
        if (err.code === 'locked') err.answerAs(423);
        if (err.code === 'method-not-allowed') ctx.set('Allow', ALLOW);
      }
      throw err;
    }
  };
}

async function handle(ctx: Context, deps: DavDeps): Promise<void> {
  const method = ctx.method;
  if (!READS.has(method)) requireWriter(callerOf(ctx));
  const target = requestTarget(ctx);
  ctx.set('DAV', '1, 2');
  // PUT sends it when staging starts; an XML body over its cap is refused (413) without it.
  if (method !== 'PUT' && !(Number(ctx.get('Content-Length')) > MAX_XML_BYTES)) sendContinue(ctx);
  const ifs = readIf(ctx);
  switch (method) {
    case 'OPTIONS':
      ctx.set({ Allow: ALLOW, 'MS-Author-Via': 'DAV' });
      ctx.status = 200;
      return;
    case 'GET':
    case 'HEAD':
      if (target.key === '') return listing(ctx, deps.dav, '');
      // A URL ending in / names the collection, when there is one (a file may share its name).
      if (target.directory && ctx.querystring === '' && (await deps.dav.collections.resolve(target.key, true)).kind === 'collection') return listing(ctx, deps.dav, target.key);
      try {
        // A file first: one record read, as on /files; a collection only when there is none.
        return await read(ctx, { key: target.key, directory: false }, { ...deps, etag: davEtag });
      } catch (err) {
        if (!(err instanceof Problem && err.code === 'not-found') || ctx.querystring !== '') throw err;
        if ((await deps.dav.collections.resolve(target.key)).kind !== 'collection') throw err;
        return listing(ctx, deps.dav, target.key);
      }
    case 'PUT':
      return put(ctx, target, ifs, deps);
    case 'DELETE':
      return remove(ctx, target, ifs, deps);
    case 'MKCOL':
      return mkcol(ctx, target, ifs, deps);
    case 'COPY':
    case 'MOVE':
      return copyMove(ctx, deps.dav, target, ifs, method === 'MOVE');
    case 'PROPFIND':
      return propfind(ctx, deps.dav, target, deps.digests);
    case 'PROPPATCH':
      return proppatch(ctx, deps.dav, target, ifs);
    case 'LOCK':
      return lock(ctx, deps.dav, target, ifs);
    case 'UNLOCK':
      return unlock(ctx, deps.dav, target);
    case 'REPORT':
      return report(ctx, deps.dav, deps.reader, target);
    case 'CHECKOUT':
      return checkout(ctx, deps.dav, target, ifs);
    default:
      throw new Problem('method-not-allowed', `${method} is not supported on /dav; allowed: ${ALLOW}`);
  }
}

/** A client waiting for 100 Continue gets it before its XML body is read. */
function sendContinue(ctx: Context): void {
  if ((ctx.req as { [EXPECTS_CONTINUE]?: boolean })[EXPECTS_CONTINUE]) openBody(ctx.req, ctx.res);
}
