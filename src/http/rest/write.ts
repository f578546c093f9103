import type { Context } from 'koa';
import type { FileService, StagedContent, WriteResult } from '../../domain/files.js';
import type { Namespace } from '../../domain/namespace.js';
import { removeCompanion } from '../../domain/companions.js';
import { joinKey, parseRelativeName, type Target } from '../../domain/paths.js';
import type { WriteIntent } from '../../domain/rules.js';
import type { Version } from '../../domain/types.js';
import { Problem } from '../../errors.js';
import type { BlobStore } from '../../storage/contracts.js';
import { readMultipart, stage, stageRawBody } from '../body.js';
import { fileUrl, hasFlag, intParam, stringParam, writeIntent } from './request.js';
import { submittedTokens } from './folders.js';
import { callerOf } from '../auth.js';

export interface WriteDeps {
  files: FileService;
  /** The WebDAV side: collection locks a write must respect, deleted parents it revives. */
  dav: Namespace;
  blobs: BlobStore;
  maxUploadBytes: number;
}

/** PUT /files/<path>: the raw body becomes a new version (with `?checkin`, and the lock is released). */
export async function put(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const key = fileKey(target, 'PUT');
  const caller = callerOf(ctx);
  const checkin = hasFlag(ctx, 'checkin');
  const intent = await deps.dav.beforeFilesWrite(key, caller, writeIntent(ctx));
  const seen = await deps.files.precheck(caller, key, intent, checkin);
  const comment = stringParam(ctx, 'comment'); // every query check before a byte is staged
  const content = await stageRawBody(ctx, deps.blobs, deps.maxUploadBytes);
  const result = await deps.files.upload(caller, key, intent, { ...content, comment }, checkin, seen);
  respondWrite(ctx, key, result, checkin);
}

/** POST /files/<path> or /files/<dir>/ with multipart/form-data. */
export async function postMultipart(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  if (!ctx.is('multipart/form-data')) {
    throw new Problem('bad-request', 'POST uploads need a multipart/form-data body (curl -F file=@name); use PUT for a raw body');
  }
  const caller = callerOf(ctx);
  const asked = writeIntent(ctx);
  if (!target.directory) {
    const intent = await deps.dav.beforeFilesWrite(target.key, caller, asked);
    const seen = await deps.files.precheck(caller, target.key, intent);
    const [part] = await stageParts(ctx, deps, () => target.key, 1);
    const result = await deps.files.upload(caller, target.key, intent, part as StagedContent, false, seen);
    respondWrite(ctx, target.key, result, false);
    return;
  }
  const parts = await stageParts(ctx, deps, (filename) => joinKey(target.key, parseRelativeName(filename)), Infinity);
  const results: (Version & { path: string; created: boolean })[] = [];
  try {
    // Refuse the whole batch, changing nothing, if any file is refused now.
    const intents = new Map<string, WriteIntent>();
    for (const part of parts) {
      const intent = await deps.dav.beforeFilesWrite(part.key, caller, asked);
      await deps.files.precheck(caller, part.key, intent);
      intents.set(part.key, intent);
    }
    while (parts.length > 0) {
      const part = parts.shift() as (typeof parts)[number];
      const result = await deps.files.upload(caller, part.key, intents.get(part.key) as WriteIntent, part);
      results.push({ path: part.key, ...result.version, created: result.created });
    }
  } catch (err) {
    if (err instanceof Problem && results.length > 0) err.extras.stored = results;
    throw err;
  } finally {
    for (const part of parts) await deps.blobs.discard(part.staged);
  }
  ctx.status = results.some((r) => r.created) ? 201 : 200;
  ctx.body = results;
}

/** Stage every file part; fields (e.g. `comment`) apply to the file parts after them. */
async function stageParts(ctx: Context, deps: WriteDeps, keyOf: (filename: string) => string, max: number): Promise<(StagedContent & { key: string })[]> {
  const parts: (StagedContent & { key: string })[] = [];
  const queryComment = stringParam(ctx, 'comment');
  try {
    await readMultipart(ctx, deps.maxUploadBytes, async (part, fields) => {
      if (part.filename === '' && max === Infinity) {
        part.stream.resume(); // an empty file input of a browser form
        return;
      }
      if (parts.length >= max) throw new Problem('bad-request', 'this URL names one file: send exactly one file part, or POST to a directory URL ending in /');
      const key = keyOf(part.filename);
      const staged = await stage(part.stream, deps.blobs, deps.maxUploadBytes);
      parts.push({ ...staged, key, contentType: part.contentType, comment: fields.comment ?? queryComment });
    });
  } catch (err) {
    for (const part of parts) await deps.blobs.discard(part.staged);
    throw err;
  }
  if (parts.length === 0) throw new Problem('bad-request', 'the multipart body has no file part');
  return parts;
}

/** DELETE /files/<path>: a delete marker; 204. */
export async function remove(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const key = fileKey(target, 'DELETE');
  const caller = callerOf(ctx);
  const intent = await deps.dav.beforeFilesWrite(key, caller, writeIntent(ctx), 'remove');
  const marker = await deps.files.remove(caller, key, intent);
  await removeCompanion(deps.dav, caller, key, submittedTokens(ctx));
  ctx.set('File-Version', String(marker.version));
  ctx.status = 204;
}

/** POST /files/<path>?restore=N: a new version with version N's content. */
export async function restore(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const key = fileKey(target, 'restore');
  const n = intParam(ctx, 'restore', 1) as number;
  const caller = callerOf(ctx);
  const intent = await deps.dav.beforeFilesWrite(key, caller, writeIntent(ctx));
  const result = await deps.files.restore(caller, key, n, intent, stringParam(ctx, 'comment'));
  respondWrite(ctx, key, result, false);
}

export function fileKey(target: Target, what: string): string {
  if (target.directory) throw new Problem('bad-request', `${what} names a file; this URL ends in / and names a directory`);
  return target.key;
}

/** 201 for a new file, 200 for a new version; the version record, ETag, Location, File-Version. */
export function respondWrite(ctx: Context, key: string, result: WriteResult, checkin: boolean): void {
  const { version } = result;
  ctx.status = result.created && !checkin ? 201 : 200;
  ctx.set({ ETag: `"${version.sha256}"`, Location: fileUrl(key, version.version), 'File-Version': String(version.version) });
  ctx.body = checkin ? { version: { path: key, ...version }, released: true } : { path: key, ...version };
}
