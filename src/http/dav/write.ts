import type { Context } from 'koa';
import { deleteResource } from '../../domain/dav-delete.js';
import type { Target } from '../../domain/paths.js';
import type { WriteIntent } from '../../domain/rules.js';
import type { Ancestor, Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';
import type { BlobStore } from '../../storage/contracts.js';
import { openBody, sentDigests, stageRawBody } from '../body.js';
import { withOcChecksum } from '../checksums.js';
import { clientMtime, MTIME_ACCEPTED, syncClient } from './oc-mtime.js';

import { checkIf, type DavIf, ifGuard } from './conditions.js';
import { davEtag } from './etag.js';
import { hasBody } from './request.js';
import { requestConditions } from '../preconditions.js';
import { callerOf } from '../auth.js';

export interface DavWriteDeps {
  dav: Namespace;
  blobs: BlobStore;
  maxUploadBytes: number;
}

/** The write intent of a /dav request: the `If` header's tokens and guard, and HTTP's conditional headers. */
export async function davIntent(ctx: Context, dav: Namespace, key: string, ifs: DavIf, above?: Ancestor[]): Promise<WriteIntent> {
  return { tokens: ifs.tokens, guard: await ifGuard(ctx, dav, key, ifs, above), conditions: requestConditions(ctx, false) };
}

/**
 * PUT: the body becomes a new version (auto-versioning: every save is a version). The parent
 * collection must exist (409), a collection is not overwritten by a file (405); 201 for a new
 * file, 204 for a new version.
 */
export async function put(ctx: Context, target: Target, ifs: DavIf, deps: DavWriteDeps): Promise<void> {
  const { dav } = deps;
  if (target.directory) throw new Problem('method-not-allowed', 'PUT names a file; this URL ends in / and names a collection');
  const resource = await dav.collections.resolve(target.key);
  if (resource.kind === 'collection') throw new Problem('method-not-allowed', `${target.key} is a collection`);
  const above = await dav.ancestors(target.key);
  if (!(await dav.parentExists(target.key, above))) throw new Problem('conflict', `the parent collection of ${target.key} does not exist; create it first (MKCOL)`);
  const caller = callerOf(ctx);
  // Malformed ownCloud headers are 400 before anything is read.
  const mtime = clientMtime(ctx);
  const expected = withOcChecksum(sentDigests(ctx), ctx.get('OC-Checksum') || undefined);
  const intent = await davIntent(ctx, dav, target.key, ifs, above);
  const seen = await dav.files.precheck(caller, target.key, intent);
  await dav.checkInherited(target.key, { caller, tokens: ifs.tokens }, resource.kind === 'none', above);
  const content = await stageRawBody(ctx, deps.blobs, deps.maxUploadBytes, expected, syncClient(ctx));
  const result = await dav.files.upload(caller, target.key, intent, { ...content, mtime }, false, seen);
  ctx.set({ ETag: davEtag(result.version.sha256 as string), 'File-Version': String(result.version.version), ...(mtime ? MTIME_ACCEPTED : {}) });
  ctx.status = result.created ? 201 : 204;
}

/** DELETE: a file gets a delete marker (its history stays); a collection loses every member. 204. */
export async function remove(ctx: Context, target: Target, ifs: DavIf, deps: DavWriteDeps): Promise<void> {
  const { dav } = deps;
  const resource = await dav.collections.resolve(target.key, target.directory);
  if (resource.kind === 'none') throw new Problem('not-found', `nothing at ${target.key || '/'}`);
  if (target.key === '') throw new Problem('forbidden', 'the root collection cannot be deleted');
  const guard = await ifGuard(ctx, dav, target.key, ifs);
  guard(resource.record); // 412 before 423: the If header is judged before any lock
  await deleteResource(dav, callerOf(ctx), target.key, resource.kind, ifs.tokens, { guard });
  ctx.status = 204;
}

/** MKCOL: a new, empty collection (201); a body is 415, an existing resource 405, a missing parent 409. */
export async function mkcol(ctx: Context, target: Target, ifs: DavIf, deps: DavWriteDeps): Promise<void> {
  const { dav } = deps;
  if (hasBody(ctx)) {
    openBody(ctx.req, ctx.res).resume();
    throw new Problem('unsupported-media-type', 'MKCOL takes no body');
  }
  if (target.key === '') throw new Problem('method-not-allowed', 'the root collection exists');
  await checkIf(ctx, dav, target.key, ifs, true);
  await dav.checkInherited(target.key, { caller: callerOf(ctx), tokens: ifs.tokens }, true);
  await dav.collections.create(target.key, dav.now());
  ctx.status = 201;
}
