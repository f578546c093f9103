import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { Context } from 'koa';
import type { StagedContent } from '../domain/files.js';
import { clientGone, Problem } from '../errors.js';
import type { BlobStore } from '../storage/contracts.js';
import { parseDigests, verifyDigests, type ExpectedDigests } from './checksums.js';
import { BodyDigest } from './body-digest.js';

/** Set by the server's `checkContinue` handler: the client waits for 100 Continue before sending. */
export const EXPECTS_CONTINUE = Symbol('expectsContinue');

/** Multipart parts and fields per request. */
const MULTIPART_LIMITS = { files: 1000, fields: 100, fieldSize: 64 * 1024, parts: 1100, headerPairs: 100 };

/**
 * Refuse a body early from its declared length (413 before a byte is read) and, when the
 * request is refused without reading its body, make sure the connection closes instead of
 * draining gigabytes nobody wants.
 */
function checkDeclaredLength(ctx: Context, limit: number): void {
  const declared = ctx.get('Content-Length');
  if (declared !== '' && Number(declared) > limit) {
    throw new Problem('too-large', `Content-Length ${declared} is over the limit of ${limit} bytes; nothing was stored`);
  }
}

/**
 * Whether the body can no longer be read to its end: the stream was destroyed (the client hung
 * up, or a parser error) before its end was read. That holds even when every byte had arrived
 * (`complete`): a destroyed stream delivers nothing more, so waiting for it would wait forever.
 */
function bodyLost(source: Readable): boolean {
  return source.destroyed && !source.readableEnded;
}

/** The request body as a stream: sends 100 Continue first if the client is waiting for it. */
export function openBody(req: IncomingMessage, res: ServerResponse): IncomingMessage {
  const flagged = req as IncomingMessage & { [EXPECTS_CONTINUE]?: boolean };
  if (flagged[EXPECTS_CONTINUE]) {
    flagged[EXPECTS_CONTINUE] = false;
    res.writeContinue();
  }
  return req;
}

/**
 * The request body as a stream that fails with {@link clientGone} when the client hangs up
 * before its end. Destroying it leaves the request (and so the answer's socket) alone.
 */
export function bodyStream(ctx: Context): Readable {
  const req = openBody(ctx.req, ctx.res);
  if (bodyLost(req)) throw clientGone();
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  // The client may go before a reader is attached (while the upload is claimed): the error stays
  // on the destroyed stream for that reader, and is no uncaught one meanwhile.
  out.on('error', () => {});
  req.once('close', () => {
    if (bodyLost(req)) out.destroy(clientGone());
  });
  req.on('error', (err) => out.destroy(err)); // every error: an aborted request may emit more than one
  req.pipe(out);
  return out;
}

/**
 * Stream `source` through a {@link BodyDigest} (SHA-256, and SHA-1 and MD5 for sync clients, in one pass) into the blob store's staging area. Nothing is
 * held in memory beyond the stream buffers. On any failure the staged bytes are gone.
 */
export async function stage(source: Readable, blobs: BlobStore, limit: number, expected: ExpectedDigests = {}, syncHashes = false): Promise<Omit<StagedContent, 'contentType'>> {
  // SHA-1 and MD5 in the same pass as SHA-256, for a sync client that compares them (or a digest
  // the client sent): they about halve a large upload's speed, so nobody else pays for them.
  const meter = new BodyDigest(limit, { sha1: syncHashes || expected.sha1 !== undefined, md5: syncHashes || expected.md5 !== undefined });
  // Not stream.pipeline: destroying the request would destroy the socket and with it the
  // answer (413, 400). On failure the source is unpiped and the response closes the connection.
  const onSourceError = (err: Error) => meter.destroy(err);
  const onSourceClose = () => {
    if (bodyLost(source)) meter.destroy(clientGone());
  };
  // A client that hung up (or a parser error) before staging began: its 'close' has already fired.
  if (bodyLost(source)) throw clientGone();
  source.once('error', onSourceError);
  source.once('close', onSourceClose);
  source.pipe(meter);
  try {
    const staged = await blobs.stage(meter);
    const digests = meter.digests();
    try {
      verifyDigests(expected, digests);
    } catch (err) {
      await blobs.discard(staged);
      throw err;
    }
    return { staged, sha256: digests.sha256, sha1: digests.sha1, md5: digests.md5, size: meter.bytes };
  } catch (err) {
    source.unpipe(meter);
    throw err;
  } finally {
    source.off('error', onSourceError);
    source.off('close', onSourceClose);
  }
}

/**
 * Stage a raw (non-multipart) request body, checked against the digests the request sent (or
 * `expected`); with `syncHashes`, SHA-1 and MD5 too (a WebDAV sync client's PUT).
 */
export async function stageRawBody(ctx: Context, blobs: BlobStore, limit: number, expected = sentDigests(ctx), syncHashes = false): Promise<StagedContent> {
  checkDeclaredLength(ctx, limit);
  const content = await stage(openBody(ctx.req, ctx.res), blobs, limit, expected, syncHashes);
  return { ...content, contentType: contentTypeOf(ctx.get('Content-Type')) };
}

/** A file part as it arrives: its name and stream. The handler must consume or discard the stream. */
export interface FilePart {
  filename: string;
  contentType: string | null;
  stream: Readable;
}

/** The digests a request sent for its body (`Content-Digest`, `Content-MD5`); 400 when malformed. */
export function sentDigests(ctx: Context): ExpectedDigests {
  return parseDigests(ctx.get('Content-Digest') || undefined, ctx.get('Content-MD5') || undefined);
}

/**
 * Parse multipart/form-data with busboy, calling `onFile` for each file part in order (one at a
 * time, so the stream applies back-pressure). Fields are collected; a field only applies to
 * the file parts after it. Resolves once the whole body is read and every handler finished.
 * The body as sent (boundaries and all) is held to `limit` however it is framed (413 at once by
 * its Content-Length, else the moment it passes), and a `Content-Digest`/`Content-MD5` sent with
 * it is checked against it at its end (400 `checksum-mismatch`); the caller then discards what
 * its handlers staged.
 */
export async function readMultipart(ctx: Context, limit: number, onFile: (part: FilePart, fields: Record<string, string>) => Promise<void>): Promise<Record<string, string>> {
  checkDeclaredLength(ctx, limit);
  const expected = sentDigests(ctx);
  let parser: busboy.Busboy;
  try {
    // curl and browsers send file names as raw UTF-8; busboy would read them as latin1.
    parser = busboy({ headers: ctx.req.headers, limits: MULTIPART_LIMITS, preservePath: true, defParamCharset: 'utf8' });
  } catch (err) {
    throw new Problem('bad-request', `not a multipart/form-data body: ${(err as Error).message}`);
  }
  failPartOpenAtEnd(parser);
  const fields: Record<string, string> = {};
  const req = openBody(ctx.req, ctx.res);
  const meter = new BodyDigest(limit, { md5: expected.md5 !== undefined, sha256: expected.sha256 !== undefined });
  return new Promise((resolve, reject) => {
    let chain = Promise.resolve();
    let failed = false;
    /** File streams not yet ended: on failure they are destroyed so no staging waits for bytes that will never come. */
    const open = new Set<Readable>();
    /** `err` from the parser means a malformed body; from a handler (storage), it is passed on as it is. */
    const fail = (err: unknown, fromHandler = false) => {
      if (failed) return;
      failed = true;
      req.unpipe(meter);
      meter.unpipe(parser);
      parser.removeAllListeners('file');
      const problem = err instanceof Problem || fromHandler ? err : new Problem('bad-request', `malformed multipart body: ${(err as Error).message}`);
      for (const stream of open) stream.destroy(problem instanceof Error ? problem : new Error(String(problem)));
      // Rejected once the handler of a part in flight has finished, so that the caller's
      // cleanup sees every part it staged (a part finishing after the rejection would leak).
      void chain.catch(() => {}).then(() => reject(problem));
    };
    parser.on('field', (name, value, info) => {
      // busboy cuts a value over its limit and says so: a limit refuses, never truncates.
      if (info.valueTruncated) return fail(new Problem('too-large', `the multipart field ${JSON.stringify(name)} is over ${MULTIPART_LIMITS.fieldSize} bytes; nothing was stored`));
      fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      const before = { ...fields }; // the fields sent before this part, not those after it
      open.add(stream);
      stream.once('end', () => open.delete(stream));
      // A queued part may be destroyed before anything reads it; its error reaches the staging
      // pipeline when there is one, and must not crash the process when there is none.
      stream.on('error', () => {});
      chain = chain.then(async () => {
        if (failed) {
          stream.resume();
          return;
        }
        await onFile({ filename: info.filename ?? '', contentType: contentTypeOf(info.mimeType), stream }, before);
      });
      chain.catch((err: unknown) => {
        stream.resume();
        fail(err, true);
      });
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => fail(new Problem('bad-request', `too many multipart parts (${limit})`)));
    }
    parser.on('error', fail);
    parser.on('close', () => {
      chain
        .then(() => {
          if (failed) return;
          verifyDigests(expected, meter.digests());
          resolve(fields);
        })
        .catch(fail);
    });
    // A client that hung up before parsing began: its 'close' has already fired.
    if (bodyLost(req)) return fail(clientGone());
    req.on('error', fail);
    req.on('close', () => {
      if (bodyLost(req)) fail(clientGone());
    });
    meter.on('error', fail);
    req.pipe(meter).pipe(parser);
  });
}

/** busboy's private state that {@link failPartOpenAtEnd} reads. */
interface BusboyInternals {
  _final(cb: (err?: Error | null) => void): void;
  _complete?: boolean;
}

/** Whether busboy never ended `part` (`push(null)`): read, it would wait for bytes forever. */
function leftOpen(part: Readable): boolean {
  const state = (part as unknown as { _readableState?: { ended?: boolean } })._readableState;
  return !part.destroyed && state?.ended === false;
}

/**
 * busboy 1.6 hangs on a body with a delimiter inside a file part's header block followed by
 * `\r\n--` (`…filename="a"\r\n\r\n--B\r\n--`: the block's blank line lends the delimiter its
 * CRLF): it opens the file part, reads the `--` as the form's end and never ends that part. Given
 * `\r\n` and another part's headers instead, it opens that part over the first, which is never
 * ended either. Either way neither 'close' nor 'error' comes and the request would wait forever.
 * At the body's end (`_final`, which first parses the bytes busboy held back) a form marked
 * complete with a file part busboy never ended is such a body: it fails as a malformed one. A
 * well-formed body has every part ended by the delimiter after it, so nothing else changes.
 */
function failPartOpenAtEnd(parser: busboy.Busboy): void {
  const internals = parser as unknown as BusboyInternals;
  const final = internals._final;
  if (typeof final !== 'function') return;
  const parts = new Set<Readable>();
  parser.prependListener('file', (_name: string, part: Readable) => {
    parts.add(part);
    part.once('end', () => parts.delete(part));
  });
  internals._final = function (this: BusboyInternals, cb) {
    final.call(this, cb); // parses the bytes it held back, then waits for open parts to end
    if (this._complete === true && [...parts].some(leftOpen)) parser.destroy(new Error('the body ends inside a file part'));
  };
}

export function contentTypeOf(value: string | undefined): string | null {
  return value && value.trim() !== '' ? value.trim() : null;
}
