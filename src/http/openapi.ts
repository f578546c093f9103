/**
 * The OpenAPI 3.1 document of the HTTP API (docs/api.md) and its handler,
 * GET /openapi.json. test/http/openapi.test.ts keeps it true: every (method, path, status) it
 * declares is answered by the running service, and every answer the test provokes is declared.
 */
import type { Context } from 'koa';
import { adminPaths, adminSchemas } from './openapi-admin.js';
import { folderParameters, folderSchemas } from './openapi-folders.js';
import { sessionPaths, sessionSchemas } from './openapi-session.js';
import { checkoutOp, DESKTOP, lockMethod, unlockOp } from './openapi-locks.js';
import { uploadPaths, uploadSchemas } from './openapi-uploads.js';
import {
  conflict,
  draining,
  full,
  header,
  headers,
  json,
  multipartBody,
  params,
  parameters,
  precondition,
  problem,
  readOnly,
  ref,
  schemas,
  securitySchemes,
  tooLarge,
  unauthorized,
  unavailable,
  unexpected,
  writeParams,
  written,
  type Operation,
  type PathItem,
  type Responses,
} from './openapi-schemas.js';

/** The refusals of an upload (PUT, or a multipart POST to a directory). */
const uploadRefusals: Responses = {
  '401': unauthorized,
  '403': problem(403, `${readOnly}, or ${DESKTOP}`, ['forbidden', 'csrf', 'desktop-file']),
  '409': conflict,
  '412': precondition,
  '413': tooLarge,
  '503': unavailable,
  '507': full,
  default: unexpected,
};

function read(operationId: string, summary: string): Operation {
  const validators = { ETag: header('ETag'), 'Last-Modified': header('LastModified'), 'File-Version': header('FileVersion'), 'Accept-Ranges': header('AcceptRanges') };
  return {
    operationId,
    summary,
    tags: ['files'],
    description:
      "The current version's bytes, or version N's with `?version=N`, with `Content-Type` as stored, `X-Content-Type-Options: nosniff`, a `Content-Security-Policy: sandbox` (not for PDF) and `Content-Disposition` (inline for images, audio, video, plain text and PDF; an attachment for every other type, or with `?download`). `?versions` answers the history and `?lock` the live lock instead (JSON, no validators).",
    parameters: params('Version', 'Download', 'Versions', 'Limit', 'Before', 'Lock', 'IfMatch', 'IfNoneMatch', 'IfModifiedSince', 'IfUnmodifiedSince', 'Range', 'IfRange'),
    responses: {
      '200': {
        description: 'The bytes of the version; with `?versions` a `History`, with `?lock` a `PublicLock`.',
        headers: { ...validators, Link: header('Link') },
        content: { '*/*': {}, 'application/json': { schema: { oneOf: [ref('schemas', 'History'), ref('schemas', 'PublicLock')] } } },
      },
      '206': { description: 'One byte range of the version.', headers: { ...validators, 'Content-Range': header('ContentRange', true) }, content: { '*/*': {} } },
      '304': { description: '`If-None-Match` matched, or not modified since `If-Modified-Since`.', headers: { ETag: header('ETag', true), 'File-Version': header('FileVersion', true) } },
      '302': {
        description: 'No file at the path, but a folder: its URL (`/files/<path>/`) in `Location`. Not with `?version`, `?versions` or `?lock`.',
        headers: { Location: header('Location', true) },
      },
      '400': problem(400, 'Invalid path, or a malformed `?version`, `?limit` or `?before`', ['invalid-path', 'bad-request']),
      '401': unauthorized,
      '404': problem(404, 'No such file or version (a delete marker included), nothing ever stored (`?versions`), or no live lock (`?lock`)'),
      '410': problem(410, '`?version=N` names a version retention pruned'),
      '412': problem(412, '`If-Match` or `If-Unmodified-Since` evaluated false'),
      '416': problem(416, '`Range` lies outside the content'),
      '503': unavailable,
      default: unexpected,
    },
  };
}

/** A method a directory URL does not serve: 400 `bad-request` (after auth and, with a path, its check). */
function notAFile(operationId: string, method: string, root: boolean): Operation {
  return {
    operationId,
    summary: `${method} names a file: refused on a directory URL`,
    tags: ['files'],
    responses: {
      '400': problem(400, `The URL ends in \`/\` and names a directory${root ? '' : ', or the path is invalid'}`, root ? ['bad-request'] : ['invalid-path', 'bad-request']),
      '401': unauthorized,
      '403': problem(403, 'A read-only user', ['forbidden', 'csrf']),
      '503': draining,
      default: unexpected,
    },
  };
}

function options(operationId: string, root: boolean): Operation {
  const responses: Responses = { '204': { description: 'The methods served.', headers: { Allow: header('Allow', true) } } };
  if (!root) responses['400'] = problem(400, 'Invalid path', ['invalid-path']);
  responses['401'] = unauthorized;
  responses['503'] = draining;
  responses.default = unexpected;
  return { operationId, summary: 'The methods /files serves', tags: ['files'], responses };
}

const fileItem: PathItem = {
  summary: 'A file and its versions',
  parameters: params('Path'),
  get: read('getFile', 'Download a version, or read the history or the lock'),
  head: read('headFile', 'As GET, headers only'),
  put: {
    operationId: 'putFile',
    summary: 'Store the raw body as a new version (with `?checkin`, and release the lock)',
    tags: ['files'],
    description: "The body is streamed while hashed; `Content-Type` is kept. Bytes equal to the current version's store nothing new (200). `?checkin` needs the caller's `Lock-Token`.",
    parameters: [...params('Checkin', 'Comment', 'ContentDigest', 'ContentMD5'), ...writeParams],
    requestBody: { required: true, content: { '*/*': {} } },
    responses: {
      '200': {
        description: 'A new version of an existing file, or the current one for equal bytes; with `?checkin` a `CheckinResult`.',
        headers: written,
        content: { 'application/json': { schema: { oneOf: [ref('schemas', 'Version'), ref('schemas', 'CheckinResult')] } } },
      },
      '201': { description: 'A new file (also after a delete).', headers: written, content: json('Version') },
      '400': problem(400, 'Invalid path, a malformed query or digest header, or a digest that does not match the bytes'),
      ...uploadRefusals,
    },
  },
  post: {
    operationId: 'postFile',
    summary: 'Multipart upload of one file, or `?restore=N`, `?pin=N`, `?unpin=N`, `?checkout`, `?checkin`, `?uncheckout[&force]`, `?move-to=<path>[&overwrite]`, or a resumable upload (IETF draft)',
    tags: ['files', 'locks'],
    description:
      'With `Upload-Draft-Interop-Version` (`5` or `6`) the request creates a resumable upload of this file (docs/uploads.md): 202 with its Location, or, with `Upload-Complete: ?1` and the whole body, the version. Otherwise the first flag present decides: `?move-to=<path>[&overwrite]` (move the file: 201, or 200 replacing what was there; a `MoveResult` with the version written at the destination), `?checkout` (as CHECKOUT), `?checkin` (an optional raw or one-part multipart body becomes a new version, then the lock is released), `?uncheckout` (as UNLOCK), `?restore=N`, `?pin=N` / `?unpin=N` (the version record, no new version), else a multipart/form-data body with exactly one file part.',
    parameters: [
      ...params('Restore', 'Pin', 'Unpin', 'Checkout', 'Checkin', 'Uncheckout', 'Force', 'MoveTo', 'Overwrite', 'Comment', 'Timeout', 'Label', 'ContentDigest', 'ContentMD5'),
      ...writeParams,
    ],
    requestBody: { required: false, content: { ...multipartBody('One file part.'), '*/*': {} } },
    responses: {
      '200': {
        description:
          'A new version of an existing file (upload, `?restore`), the pinned or unpinned version (`?pin`, `?unpin`), a `CheckinResult` (`?checkin`), the `Lock` (`?checkout`, with `Lock-Token` and `Timeout`), or a `MoveResult` (`?move-to&overwrite` replaced a file).',
        headers: { ETag: header('ETag'), Location: header('Location'), 'File-Version': header('FileVersion'), 'Lock-Token': header('LockToken'), Timeout: header('Timeout') },
        content: { 'application/json': { schema: { oneOf: [ref('schemas', 'Version'), ref('schemas', 'CheckinResult'), ref('schemas', 'Lock'), ref('schemas', 'MoveResult')] } } },
      },
      '201': {
        description: 'A new file (upload, `?restore` of a deleted file, or `?move-to` a free path: a `MoveResult`).',
        headers: written,
        content: { 'application/json': { schema: { oneOf: [ref('schemas', 'Version'), ref('schemas', 'MoveResult')] } } },
      },
      '202': {
        description:
          'With `Upload-Draft-Interop-Version` and `Upload-Complete: ?0`: a resumable upload of this file was created (docs/uploads.md); `Location` is its URL, `Upload-Offset` the bytes it took.',
        headers: { Location: header('Location', true) },
      },
      '204': { description: '`?uncheckout`: the lock is released.' },
      '400': problem(400, 'Invalid path, a malformed query, not one multipart file part, restoring a delete marker, or a digest mismatch (`?checkin`)'),
      '401': unauthorized,
      '403': problem(403, `${readOnly}, \`?force\` by a non-admin, a resumable upload past \`KLUIS_UPLOADS_PER_USER\`, or ${DESKTOP} (the file or the \`?move-to\` destination)`, [
        'forbidden',
        'upload-quota',
        'csrf',
        'desktop-file',
      ]),
      '404': problem(404, '`?restore=N`, `?pin=N`, `?unpin=N`: no version N; `?move-to`: no file at the path'),
      '409': conflict,
      '410': problem(410, '`?restore=N` or `?pin=N` of a version retention pruned'),
      '412': precondition,
      '413': tooLarge,
      '503': unavailable,
      '507': full,
      default: unexpected,
    },
  },
  delete: {
    operationId: 'deleteFile',
    summary: 'Store a delete marker version; GET then answers 404, the history stays',
    tags: ['files'],
    parameters: writeParams,
    responses: {
      '204': { description: 'Deleted.', headers: { 'File-Version': header('FileVersion', true) } },
      '400': problem(400, 'Invalid path, or a malformed `?base`', ['invalid-path', 'bad-request']),
      '401': unauthorized,
      '403': problem(403, `${readOnly}, or ${DESKTOP}`, ['forbidden', 'csrf', 'desktop-file']),
      '404': problem(404, 'No current file at the path'),
      '409': conflict,
      '412': precondition,
      '503': unavailable,
      default: unexpected,
    },
  },
  options: options('optionsFile', false),
  'x-kluis-methods': { CHECKOUT: checkoutOp, UNLOCK: unlockOp, LOCK: lockMethod('lockFile', false) },
};

/** `/files/{dir}/`, or the root `/files/` (which always exists and has no path to check). */
function directoryItem(root: boolean): PathItem {
  const id = (name: string) => `${name}${root ? 'Root' : 'Directory'}`;
  const invalid: Responses = root ? {} : { '400': problem(400, 'Invalid path', ['invalid-path']) };
  const list = (operationId: string, summary: string): Operation => ({
    operationId,
    summary,
    tags: ['files'],
    parameters: params('Deleted'),
    responses: {
      '200': { description: 'One level: sub-directories, then files with a current version (with `?deleted`, deleted ones too).', content: json('Listing') },
      ...invalid,
      '401': unauthorized,
      ...(root ? {} : { '404': problem(404, 'No such directory') }),
      '503': unavailable,
      default: unexpected,
    },
  });
  return {
    summary: root ? 'The root directory (`/files` without the slash is the same)' : 'A directory (implicit: made by the files in it)',
    ...(root ? {} : { parameters: params('Dir') }),
    get: list(id('list'), 'List the directory'),
    head: list(id('head'), 'As GET, headers only'),
    post: {
      operationId: id('uploadTo'),
      summary: 'Multipart upload of several files, each stored at `<dir>/<part filename>`; or `?mkdir`, or `?move-to=<dir>/[&overwrite]`',
      tags: ['files'],
      description:
        'Part filenames may hold sub-directories (`sub/x.txt`). The whole batch is checked (paths, locks, conditions) before any file is stored. `?mkdir` (no body) makes the folder and answers a `Folder`; `?move-to` moves the folder with everything in it and answers a `MoveResult`.',
      parameters: [...params('Mkdir', 'MoveTo', 'Overwrite', 'Comment'), ...writeParams],
      requestBody: { required: false, content: multipartBody('File parts.') },
      responses: {
        '200': {
          description: 'Every file existed: one result per file; `?mkdir`: the folder was there; `?move-to&overwrite`: a folder was replaced.',
          headers: { Location: header('Location') },
          content: { 'application/json': { schema: { oneOf: [{ type: 'array', items: ref('schemas', 'UploadResult') }, ref('schemas', 'Folder'), ref('schemas', 'MoveResult')] } } },
        },
        '201': {
          description: 'At least one file is new: one result per file; `?mkdir`: the folder was made; `?move-to`: the folder moved to a free path.',
          headers: { Location: header('Location') },
          content: { 'application/json': { schema: { oneOf: [{ type: 'array', items: ref('schemas', 'UploadResult') }, ref('schemas', 'Folder'), ref('schemas', 'MoveResult')] } } },
        },
        ...(root ? {} : { '404': problem(404, '`?move-to`: no such folder') }),
        '400': problem(400, 'Invalid path or part filename, not multipart, no file part, or a file-only query form (`?checkout`, `?restore`…)', ['invalid-path', 'bad-request']),
        ...uploadRefusals,
      },
    },
    put: notAFile(id('put'), 'PUT', root),
    delete: notAFile(id('delete'), 'DELETE', root),
    options: options(id('options'), root),
    'x-kluis-methods': { CHECKOUT: notAFile(id('checkout'), 'CHECKOUT', root), UNLOCK: notAFile(id('unlock'), 'UNLOCK', root), LOCK: lockMethod(id('lock'), root) },
  };
}

const service = (operationId: string, summary: string, responses: Responses): PathItem => ({ get: { operationId, summary, tags: ['service'], security: [], responses } });

export const document = {
  openapi: '3.1.0',
  info: {
    title: 'kluis',
    version: '0.1.0',
    description: [
      'Versioned file service: content-addressed uploads and check-out locks over HTTP. Every 4xx/5xx body is `application/problem+json` (RFC 9457) with a stable `code`.',
      'OpenAPI has no operation keys for WebDAV methods: CHECKOUT, UNLOCK and LOCK (which answers 405) are described under `x-kluis-methods` of each path item; CHECKOUT and UNLOCK have POST forms (`?checkout`, `?uncheckout`).',
      "CHECKIN, UNCHECKOUT and VERSION-CONTROL as method names are refused by Node's HTTP parser; on any URL they answer 501 `method-not-supported` whose `detail` names the form to use (`PUT`/`POST ?checkin`, `POST ?uncheckout`). Any other method on /files answers 405 `method-not-allowed` with `Allow`.",
      'The WebDAV mount at /dav/ (RFC 4918 class 1 and 2, an RFC 3253 subset) serves the same files, versions and locks; its methods are outside what OpenAPI describes and are documented in docs/webdav.md.',
      'Without a users file the service runs open: no credentials, every caller is `anonymous`. While the server drains for shutdown, every request but /healthz, /readyz and /metrics answers 503 `shutting-down`. Every answer carries `X-Request-Id`.',
      'CORS (docs/api.md#cors): with `KLUIS_CORS_ORIGINS` set, /files and /uploads answer a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from a listed origin 204 before authentication, with `Access-Control-Allow-*` and no `Allow`; every other answer to a listed origin is the one described here, with `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers` added. Other origins get the answers described here, without CORS headers.',
    ].join('\n\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  tags: [
    { name: 'files', description: 'Versions, listings, uploads.' },
    { name: 'locks', description: 'Check-out locks (WebDAV-style).' },
    { name: 'service', description: 'Health, metrics and this document; no credentials needed.' },
    { name: 'uploads', description: 'Resumable uploads: tus 1.0 and the IETF draft, under the same rules as a PUT.' },
    { name: 'ui', description: 'The web UI and its sign-in (a session cookie; scripts use Basic or Bearer).' },
    { name: 'admin', description: 'Operations: storage stats, garbage collection, retention; admins only when users are configured.' },
  ],
  security: [{ basicAuth: [] }, { bearerAuth: [] }, { sessionCookie: [] }, {}],
  paths: {
    '/files/{path}': fileItem,
    '/files/{dir}/': directoryItem(false),
    '/files/': directoryItem(true),
    '/healthz': service('healthz', 'The process is alive', { '200': { description: 'Alive.', content: json('Health') } }),
    '/readyz': service('readyz', 'The storage backend is reachable', {
      '200': { description: 'Ready.', content: json('Health') },
      '503': problem(503, 'The storage backend cannot be reached, or the server is shutting down'),
    }),
    '/metrics': service('metrics', 'Prometheus metrics, `kluis_problems_total{code,status}` included', { '200': { description: 'Prometheus text exposition.', content: { 'text/plain': {} } } }),
    ...adminPaths,
    ...uploadPaths,
    ...sessionPaths,
    '/openapi.json': service('openapi', 'This document', { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': {} } }, '503': draining }),
  } satisfies Record<string, PathItem>,
  components: { schemas: { ...schemas, ...adminSchemas, ...uploadSchemas, ...folderSchemas, ...sessionSchemas }, parameters: { ...parameters, ...folderParameters }, headers, securitySchemes },
};

const body = JSON.stringify(document);

/** GET /openapi.json */
export function openapi(ctx: Context): void {
  ctx.type = 'application/json';
  ctx.body = body;
}
