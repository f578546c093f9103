import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { cleanLabel } from '../../domain/locks.js';
import { parseTimeout } from '../lock-headers.js';
import type { Target } from '../../domain/paths.js';
import type { StagedContent } from '../../domain/files.js';
import { Problem } from '../../errors.js';
import { verifyDigests } from '../checksums.js';
import { readMultipart, sentDigests, stage, stageRawBody } from '../body.js';
import { fileUrl, hasFlag, stringParam, writeIntent } from './request.js';
import { fileKey, respondWrite, type WriteDeps } from './write.js';
import { callerOf } from '../auth.js';

/** CHECKOUT, or POST ?checkout: take or refresh the lock; 200 with the lock and `Lock-Token`. */
export async function checkout(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const key = fileKey(target, 'CHECKOUT');
  const seconds = parseTimeout(ctx.get('Timeout') || undefined, deps.files.lockTimeouts);
  const caller = callerOf(ctx);
  const above = await deps.dav.ancestors(key); // read once for both checks
  const intent = await deps.dav.beforeFilesWrite(key, caller, writeIntent(ctx), 'reserve', above);
  await deps.dav.checkLockable(key, 'exclusive', above);
  // `?label=`: who holds it, in the client's words (shown to whoever it refuses; never verified).
  const label = cleanLabel(stringParam(ctx, 'label'));
  const { lock } = await deps.files.checkout(caller, key, intent, seconds, label);
  ctx.set({ 'Lock-Token': `<${lock.token}>`, Timeout: `Second-${seconds}`, Location: fileUrl(key) });
  ctx.status = 200;
  ctx.body = lock;
}

/** UNLOCK, or POST ?uncheckout (`&force` for an admin): release without a new version; 204. */
export async function uncheckout(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const key = fileKey(target, 'uncheckout');
  await deps.files.uncheckout(callerOf(ctx), key, writeIntent(ctx).token, hasFlag(ctx, 'force'));
  ctx.status = 204;
}

/**
 * POST ?checkin: the body (raw, or one multipart file part), if there is one, becomes a new
 * version, and the lock is released in the same compare-and-set. An empty body only releases.
 */
export async function checkinPost(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const key = fileKey(target, 'checkin');
  const caller = callerOf(ctx);
  const intent = await deps.dav.beforeFilesWrite(key, caller, writeIntent(ctx));
  const seen = await deps.files.precheck(caller, key, intent, true);
  const comment = stringParam(ctx, 'comment'); // every query check before a byte is staged
  const content = await stageCheckinBody(ctx, deps);
  if (!content) {
    const { version, released } = await deps.files.checkin(caller, key, intent, seen);
    ctx.body = { version: version && { path: key, ...version }, released };
    return;
  }
  const result = await deps.files.upload(caller, key, intent, { ...content, comment: content.comment ?? comment }, true, seen);
  respondWrite(ctx, key, result, true);
}

async function stageCheckinBody(ctx: Context, deps: WriteDeps): Promise<StagedContent | undefined> {
  if (ctx.is('multipart/form-data')) {
    let content: StagedContent | undefined;
    try {
      await readMultipart(ctx, deps.maxUploadBytes, async (part, fields) => {
        if (content) throw new Problem('bad-request', 'a check-in takes one file part');
        content = { ...(await stage(part.stream, deps.blobs, deps.maxUploadBytes)), contentType: part.contentType, comment: fields.comment };
      });
    } catch (err) {
      // A second part, or a body that turns malformed after the first: nothing stays staged.
      if (content) await deps.blobs.discard((content as StagedContent).staged);
      throw err;
    }
    return content;
  }
  const expected = sentDigests(ctx);
  const declared = ctx.get('Content-Length');
  const chunked = ctx.get('Transfer-Encoding') !== '';
  if ((declared === '' || declared === '0') && !chunked) {
    verifyDigests(expected, EMPTY); // a digest sent for no body must be the empty body's
    return undefined;
  }
  const content = await stageRawBody(ctx, deps.blobs, deps.maxUploadBytes, expected);
  if (content.size > 0) return content;
  // A chunked body of no bytes is no body, as `Content-Length: 0` is: the check-in only releases.
  await deps.blobs.discard(content.staged);
  return undefined;
}

/** The digests of zero bytes, as `Content-Digest` and `Content-MD5` carry them. */
const EMPTY = { sha256Base64: createHash('sha256').digest('base64'), md5Base64: createHash('md5').digest('base64') };
