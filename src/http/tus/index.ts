import type { Context } from 'koa';
import type { WriteResult } from '../../domain/files.js';
import { joinKey, parseRelativeName } from '../../domain/paths.js';
import { noUpload, phaseOf, UPLOAD_ID, type UploadState } from '../../domain/upload-state.js';
import type { Uploads } from '../../domain/uploads.js';
import { Problem } from '../../errors.js';
import { callerOf, requireWriter } from '../auth.js';
import { bodyStream, contentTypeOf } from '../body.js';
import { fileUrl, stringParam } from '../rest/request.js';
import { respondWrite } from '../rest/write.js';
import { draftResource, interopVersion } from './ietf.js';
import { createIntent, retryIntent } from './intent.js';
import { heldHead, formatMetadata, OFFSET_OCTET_STREAM, parseChecksum, parseMetadata, sizeHeader, TUS_EXTENSIONS, TUS_VERSION, uploadHeaders } from './headers.js';

export interface TusDeps {
  uploads: Uploads;
  maxUploadBytes: number;
}

/** The methods /uploads answers, as its `Allow` header lists them. */
export const UPLOADS_ALLOW = 'OPTIONS, POST, HEAD, PATCH, DELETE, GET';
const ALLOW = UPLOADS_ALLOW;

/**
 * Resumable uploads, tus 1.0 (docs/uploads.md): `POST /uploads/` makes an upload aimed at a
 * file, `HEAD`/`PATCH`/`DELETE /uploads/<id>` as tus defines; kluis adds `GET` (the upload's
 * state as JSON) and `POST /uploads/<id>` (retry a refused commit with new preconditions).
 */
export function uploadsHandler(deps: TusDeps) {
  return async (ctx: Context): Promise<void> => {
    const rest = ctx.path.slice('/uploads'.length).replace(/^\//, '');
    if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) requireWriter(callerOf(ctx));
    if (rest !== '' && !UPLOAD_ID.test(rest)) throw noUpload();
    const draft = interopVersion(ctx);
    if (draft && rest !== '') return draftResource(ctx, rest, deps.uploads, draft);
    ctx.set('Tus-Resumable', TUS_VERSION);
    if (ctx.method === 'OPTIONS') return discovery(ctx, deps);
    const tus = ['HEAD', 'PATCH', 'DELETE'].includes(ctx.method) || (ctx.method === 'POST' && rest === '');
    if (tus && ctx.get('Tus-Resumable') !== TUS_VERSION) {
      ctx.set('Tus-Version', TUS_VERSION);
      throw new Problem('precondition-failed', `Tus-Resumable ${JSON.stringify(ctx.get('Tus-Resumable'))} is not a version kluis speaks (${TUS_VERSION})`);
    }
    const caller = callerOf(ctx);
    if (rest === '') return ctx.method === 'POST' ? create(ctx, deps) : notAllowed(ctx);
    switch (ctx.method) {
      case 'HEAD':
      case 'GET': {
        const state = await deps.uploads.status(caller, rest);
        if (ctx.method === 'HEAD') heldHead(state);
        ctx.set(uploadHeaders(state));
        if (Object.keys(state.metadata).length > 0) ctx.set('Upload-Metadata', formatMetadata(state.metadata));
        if (ctx.method === 'HEAD') ctx.status = 200;
        else ctx.body = describe(state);
        return;
      }
      case 'PATCH':
        return patch(ctx, deps, rest);
      case 'DELETE':
        await deps.uploads.terminate(caller, rest);
        ctx.status = 204;
        return;
      case 'POST': {
        const { state, committed } = await deps.uploads.commit(caller, rest, retryIntent(ctx));
        return answerCommitted(ctx, state, committed);
      }
      default:
        return notAllowed(ctx);
    }
  };
}

function discovery(ctx: Context, deps: TusDeps): void {
  ctx.set({ 'Tus-Version': TUS_VERSION, 'Tus-Extension': TUS_EXTENSIONS, 'Tus-Max-Size': String(deps.maxUploadBytes), 'Tus-Checksum-Algorithm': 'sha256,sha1,md5', Allow: ALLOW });
  ctx.status = 204;
}

function notAllowed(ctx: Context): never {
  ctx.set('Allow', ALLOW);
  throw new Problem('method-not-allowed', `${ctx.method} is not supported here; allowed: ${ALLOW}`);
}

/** POST /uploads/: a new upload; with a body (creation-with-upload), its first bytes. */
async function create(ctx: Context, deps: TusDeps): Promise<void> {
  const length = sizeHeader(ctx, 'Upload-Length');
  const deferred = ctx.get('Upload-Defer-Length');
  if (deferred !== '' && deferred !== '1') throw new Problem('bad-request', 'Upload-Defer-Length must be 1');
  if ((length === undefined) === (deferred === '')) throw new Problem('bad-request', 'send Upload-Length, or Upload-Defer-Length: 1 when the length is not known yet');
  const withBody = ctx.get('Content-Type') !== '' && Number(ctx.get('Content-Length') || '1') > 0;
  if (withBody && !ctx.is(OFFSET_OCTET_STREAM)) throw new Problem('unsupported-media-type', `the bytes of a creation with upload are sent as ${OFFSET_OCTET_STREAM}`);
  const metadata = parseMetadata(ctx.get('Upload-Metadata'));
  const path = targetOf(metadata);
  const contentType = metadata.filetype || metadata.type || metadata.contentType || null;
  const {
    id,
    state,
    committed: made,
  } = await deps.uploads.create(callerOf(ctx), {
    path,
    length: length ?? null,
    metadata,
    contentType: contentType && contentTypeOf(contentType),
    comment: metadata.comment ?? stringParam(ctx, 'comment'),
    intent: createIntent(ctx),
  });
  ctx.set('Location', `/uploads/${id}`);
  ctx.set(uploadHeaders(state));
  if (made) versionHeaders(ctx, state, made); // an empty upload, committed as made
  if (!withBody || made) {
    ctx.body = null; // first: an empty body, not Koa's status text (null set after the status makes it 204)
    ctx.status = 201;
    return;
  }
  const { state: after, committed } = await deps.uploads.append(callerOf(ctx), id, { offset: 0, checksum: parseChecksum(ctx) }, bodyStream(ctx));
  ctx.set(uploadHeaders(after));
  ctx.body = null;
  ctx.status = 201;
  if (committed) versionHeaders(ctx, after, committed);
}

/** PATCH /uploads/<id>: bytes at Upload-Offset; 204 with the new offset. */
async function patch(ctx: Context, deps: TusDeps, id: string): Promise<void> {
  if (!ctx.is(OFFSET_OCTET_STREAM)) throw new Problem('unsupported-media-type', `a PATCH sends its bytes as ${OFFSET_OCTET_STREAM}`);
  const offset = sizeHeader(ctx, 'Upload-Offset');
  if (offset === undefined) throw new Problem('bad-request', 'a PATCH needs Upload-Offset');
  const append = { offset, length: sizeHeader(ctx, 'Upload-Length'), checksum: parseChecksum(ctx) };
  const { state, committed } = await deps.uploads.append(callerOf(ctx), id, append, bodyStream(ctx));
  ctx.set(uploadHeaders(state));
  if (committed) versionHeaders(ctx, state, committed);
  ctx.status = 204;
}

/** The file an upload becomes: `path` in its metadata, else `filename` (or `name`) at the top level. */
function targetOf(metadata: Record<string, string>): string {
  if (metadata.path !== undefined) {
    // Metadata is not a URL: no percent-decoding, the path as written (a trailing / is refused).
    if (metadata.path.endsWith('/')) throw new Problem('bad-request', 'Upload-Metadata path names a folder; name a file');
    return joinKey('', parseRelativeName(metadata.path.replace(/^\/+/, '')));
  }
  const name = metadata.filename ?? metadata.name;
  if (name === undefined) throw new Problem('bad-request', 'Upload-Metadata needs path (the file to make) or filename');
  return joinKey('', parseRelativeName(name.slice(name.lastIndexOf('/') + 1)));
}

function versionHeaders(ctx: Context, state: UploadState, committed: WriteResult): void {
  ctx.set({ 'File-Version': String(committed.version.version), ETag: `"${committed.version.sha256}"`, 'Content-Location': fileUrl(state.path, committed.version.version) });
}

/** The answer of a commit retry: the version, as a PUT answers it. */
function answerCommitted(ctx: Context, state: UploadState, committed: WriteResult | undefined): void {
  ctx.set(uploadHeaders(state));
  if (committed) {
    respondWrite(ctx, state.path, committed, state.intent.checkin);
    return;
  }
  ctx.status = 200;
  ctx.body = describe(state);
}

/** GET /uploads/<id>: what the upload is, where it stands, and why its commit was refused. */
function describe(state: UploadState) {
  return {
    path: state.path,
    phase: phaseOf(state),
    offset: state.position.length,
    length: state.length,
    createdAt: state.createdAt,
    expiresAt: state.expiresAt,
    ...(state.version !== undefined ? { version: state.version, location: fileUrl(state.path, state.version) } : {}),
    ...(state.refused ? { refused: state.refused } : {}),
  };
}
