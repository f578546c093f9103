import type { Context } from 'koa';
import type { WriteResult } from '../../domain/files.js';
import { phaseOf, type UploadState } from '../../domain/upload-state.js';
import type { Uploads } from '../../domain/uploads.js';
import { Problem } from '../../errors.js';
import { callerOf } from '../auth.js';
import { bodyStream, contentTypeOf } from '../body.js';
import { stringParam } from '../rest/request.js';
import { respondWrite } from '../rest/write.js';
import { parseMetadata, heldHead, sizeHeader } from './headers.js';
import { createIntent } from './intent.js';

/**
 * The IETF draft "Resumable Uploads for HTTP" in the interop versions tus-js-client 4.3 speaks
 * (`Upload-Draft-Interop-Version: 5` for draft-03, `6` for draft-05), on the same uploads as
 * tus: the creation request is aimed at the file's own URL (`POST /files/<path>`), the upload
 * resource is `/uploads/<id>` (HEAD for the offset, PATCH to append, DELETE to cancel).
 * No 104 interim answer is sent (Node has no API for it): the Location comes with the final one.
 */
export const INTEROP_VERSIONS = ['5', '6'] as const;
export type InteropVersion = (typeof INTEROP_VERSIONS)[number];

/** The body type draft-05 gives an append. */
const PARTIAL_UPLOAD = 'application/partial-upload';

/** The interop version a request speaks, or undefined for none; 400 for one kluis does not. */
export function interopVersion(ctx: Context): InteropVersion | undefined {
  const raw = ctx.get('Upload-Draft-Interop-Version');
  if (raw === '') return undefined;
  if (!(INTEROP_VERSIONS as readonly string[]).includes(raw)) {
    throw new Problem('bad-request', `Upload-Draft-Interop-Version ${JSON.stringify(raw)} is not one kluis speaks (${INTEROP_VERSIONS.join(', ')})`);
  }
  return raw as InteropVersion;
}

/** `Upload-Complete` (a structured boolean, `?1` or `?0`); 400 when missing or malformed. */
function uploadComplete(ctx: Context): boolean {
  const raw = ctx.get('Upload-Complete');
  if (raw !== '?1' && raw !== '?0') throw new Problem('bad-request', 'the draft asks for Upload-Complete: ?1 (these are the last bytes) or ?0');
  return raw === '?1';
}

/** The headers of every draft answer about an upload. */
function draftHeaders(ctx: Context, version: InteropVersion, state: UploadState): void {
  const done = phaseOf(state) !== 'receiving';
  ctx.set({
    'Upload-Draft-Interop-Version': version,
    'Upload-Offset': String(state.position.length),
    'Upload-Complete': done ? '?1' : '?0',
    ...(state.length !== null ? { 'Upload-Length': String(state.length) } : {}),
    'Cache-Control': 'no-store',
  });
}

/**
 * `POST /files/<path>` with `Upload-Draft-Interop-Version`: a resumable upload of that file,
 * checked now against the caller's rights, locks and preconditions (as a PUT is). With
 * `Upload-Complete: ?1` the body is the whole file and the answer is the version's; with `?0`
 * the answer is 202 (the upload waits for the rest) with its Location and the bytes it took.
 */
export async function draftCreate(ctx: Context, key: string, uploads: Uploads, version: InteropVersion): Promise<void> {
  const last = uploadComplete(ctx);
  const metadata = parseMetadata(ctx.get('Upload-Metadata'));
  const type = contentTypeOf(ctx.get('Content-Type') || undefined);
  const contentType = type && type !== PARTIAL_UPLOAD ? type : contentTypeOf(metadata.filetype || metadata.type || undefined);
  const {
    id,
    state,
    committed: made,
  } = await uploads.create(callerOf(ctx), {
    path: key,
    length: sizeHeader(ctx, 'Upload-Length') ?? null,
    metadata,
    contentType,
    comment: stringParam(ctx, 'comment'),
    intent: createIntent(ctx),
  });
  ctx.set('Location', `/uploads/${id}`);
  if (made || state.version !== undefined) {
    answer(ctx, version, state, made, 201); // an empty upload, committed as made
    return;
  }
  const withBody = last || Number(ctx.get('Content-Length') || '0') > 0 || ctx.get('Transfer-Encoding') !== '';
  if (!withBody) {
    draftHeaders(ctx, version, state);
    ctx.body = null; // first: an empty body, not Koa's status text (null set after the status makes it 204)
    ctx.status = 202;
    return;
  }
  const out = await uploads.append(callerOf(ctx), id, { offset: 0, last }, bodyStream(ctx));
  answer(ctx, version, out.state, out.committed, 202);
}

/** HEAD, PATCH or DELETE of `/uploads/<id>` in the draft's terms. */
export async function draftResource(ctx: Context, id: string, uploads: Uploads, version: InteropVersion): Promise<void> {
  const caller = callerOf(ctx);
  switch (ctx.method) {
    case 'HEAD': {
      const state = await uploads.status(caller, id);
      heldHead(state);
      draftHeaders(ctx, version, state);
      ctx.status = 204;
      return;
    }
    case 'PATCH': {
      if (version === '6' && !ctx.is(PARTIAL_UPLOAD)) throw new Problem('unsupported-media-type', `an append in draft-05 sends its bytes as ${PARTIAL_UPLOAD}`);
      const offset = sizeHeader(ctx, 'Upload-Offset');
      if (offset === undefined) throw new Problem('bad-request', 'an append needs Upload-Offset');
      const append = { offset, last: uploadComplete(ctx), length: sizeHeader(ctx, 'Upload-Length') };
      const out = await uploads.append(caller, id, append, bodyStream(ctx));
      answer(ctx, version, out.state, out.committed, 204);
      return;
    }
    case 'DELETE':
      await uploads.terminate(caller, id);
      ctx.set('Upload-Draft-Interop-Version', version);
      ctx.status = 204;
      return;
    default:
      ctx.set('Allow', 'HEAD, PATCH, DELETE');
      throw new Problem('method-not-allowed', `${ctx.method} is not part of the resumable-upload draft; allowed: HEAD, PATCH, DELETE`);
  }
}

/** The answer of a request that sent bytes: the version's, once they made one. */
function answer(ctx: Context, version: InteropVersion, state: UploadState, committed: WriteResult | undefined, status: number): void {
  if (committed) respondWrite(ctx, state.path, committed, state.intent.checkin);
  else {
    ctx.body = null;
    ctx.status = status;
  }
  draftHeaders(ctx, version, state);
}
