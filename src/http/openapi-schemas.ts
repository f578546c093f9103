/**
 * Types, components and shared responses of the OpenAPI document (src/http/openapi.ts). The
 * problem `code` enum and each problem response's codes come from the PROBLEMS catalogue.
 */
import { PROBLEMS, type ProblemCode } from '../errors.js';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1). */
export type Schema = { [key: string]: unknown };
export type Ref = { $ref: string };
export interface Header {
  description: string;
  required?: boolean;
  schema: Schema;
}
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: Schema;
}
export interface Response {
  description: string;
  /** The problem codes this response carries. */
  'x-kluis-codes'?: ProblemCode[];
  headers?: Record<string, Header | Ref>;
  content?: Record<string, { schema?: Schema }>;
}
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (Parameter | Ref)[];
  requestBody?: { description?: string; required: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, Response | Ref>;
  security?: Record<string, string[]>[];
}
export type Method = 'get' | 'head' | 'put' | 'post' | 'delete' | 'options' | 'patch';
export type PathItem = { summary?: string; description?: string; parameters?: (Parameter | Ref)[] } & { [M in Method]?: Operation } & {
  /** WebDAV methods OpenAPI has no key for (CHECKOUT, UNLOCK, LOCK), keyed by method name. */
  'x-kluis-methods'?: Record<string, Operation>;
};

export const ref = (kind: 'schemas' | 'parameters' | 'headers' | 'responses', name: string): Ref => ({ $ref: `#/components/${kind}/${name}` });
export const json = (schema: string): Record<string, { schema: Schema }> => ({ 'application/json': { schema: ref('schemas', schema) } });
const nullable = (schema: Schema | Ref): Schema => ({ oneOf: [schema, { type: 'null' }] });
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the content.' };
const instant = { type: 'string', format: 'date-time' };
export const flag = (name: string, description: string): Parameter => ({
  name,
  in: 'query',
  description: `${description} A flag: its presence counts (\`?${name}\`), its value is ignored.`,
  schema: { type: 'string' },
});
const query = (name: string, description: string, schema: Schema): Parameter => ({ name, in: 'query', description, schema });
const headerParam = (name: string, description: string): Parameter => ({ name, in: 'header', description, schema: { type: 'string' } });

const versionProps = {
  path: { type: 'string', description: 'The file path (in answers to writes).' },
  version: { type: 'integer', minimum: 1 },
  sha256: { ...nullable(sha256), description: 'Null for a delete marker.' },
  size: { type: 'integer', minimum: 0 },
  contentType: { type: ['string', 'null'], description: 'As sent with the upload; null when none was.' },
  createdAt: instant,
  author: { type: 'string', description: 'The authenticated user, or `anonymous`.' },
  comment: { type: 'string' },
  deleted: { const: true, description: 'Present on a delete marker.' },
  pinned: { const: true, description: 'Kept from pruning by retention.' },
  pruned: { const: true, description: 'Pruned by retention: metadata kept, bytes gone.' },
  sha1: {
    type: 'string',
    pattern: '^[0-9a-f]{40}$',
    description:
      'Hex SHA-1 of the content (WebDAV `oc:checksums`): computed on uploads from sync clients (that send `X-OC-Mtime` or `OC-Checksum`), filled in for other versions when a PROPFIND first asks for `oc:checksums`; absent until then.',
  },
  md5: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'Hex MD5 of the content, beside `sha1`.' },
  mtime: { ...instant, description: "The client's modification time of the file (WebDAV `X-OC-Mtime`): its `DAV:getlastmodified`. `Last-Modified` stays `createdAt`." },
};
const lockProps = {
  path: { type: 'string' },
  owner: { type: 'string' },
  label: { type: 'string', description: 'Who holds it in the words of the client that took it (WebDAV `<D:owner>` text, `/files` `?label=`): self-asserted, never verified.' },
  createdAt: instant,
  expiresAt: instant,
  baseVersion: { type: 'integer', minimum: 0, description: 'The version current when the lock was taken (0: a reserved path).' },
};
/** Who holds a lock: the user, and their client's label (listings' `lockedBy`, a refusal's `lock`). */
const holderProps = { owner: lockProps.owner, label: lockProps.label };

export const schemas: Record<string, Schema> = {
  Version: {
    type: 'object',
    description: 'One stored state of a file. Its ETag is `"<sha256>"`.',
    required: ['version', 'sha256', 'size', 'contentType', 'createdAt', 'author'],
    properties: versionProps,
  },
  UploadResult: {
    description: 'One file of a multipart upload to a directory.',
    allOf: [ref('schemas', 'Version'), { type: 'object', required: ['path', 'created'], properties: { created: { type: 'boolean', description: 'True when the path had no current version.' } } }],
  },
  CheckinResult: {
    type: 'object',
    required: ['version', 'released'],
    properties: { version: { ...nullable(ref('schemas', 'Version')), description: 'The current version; null for a reserved path checked in without a body.' }, released: { const: true } },
  },
  Lock: {
    type: 'object',
    description: 'A check-out, with its token: only the CHECKOUT answer shows the token.',
    required: ['path', 'token', 'owner', 'createdAt', 'expiresAt', 'baseVersion'],
    properties: { ...lockProps, token: { type: 'string', pattern: '^urn:uuid:' } },
  },
  PublicLock: {
    type: 'object',
    description: 'A live lock without its token, except in a `?lock` answer to its owner when users are configured.',
    required: Object.keys(lockProps).filter((key) => key !== 'label'),
    properties: { ...lockProps, token: { type: 'string', description: 'Only for the owner, with users configured (`?lock`).' } },
  },
  History: {
    type: 'object',
    description: 'One page of the history, newest first (`?limit`, default 100). `next` (and a `Link: <…>; rel="next"` header) is present when older versions remain.',
    required: ['path', 'versions', 'lock'],
    properties: {
      path: { type: 'string' },
      versions: { type: 'array', description: 'Newest first.', items: ref('schemas', 'Version') },
      lock: nullable(ref('schemas', 'PublicLock')),
      next: { type: 'string', description: 'URL of the next (older) page.' },
    },
  },
  ListingEntry: {
    oneOf: [
      {
        type: 'object',
        required: ['name', 'type'],
        properties: { name: { type: 'string' }, type: { const: 'directory' }, deleted: { const: true, description: '`?deleted`: a folder deleted on /dav or moved away.' } },
      },
      {
        type: 'object',
        required: ['name', 'type', 'size', 'version', 'sha256', 'contentType', 'modifiedAt', 'author', 'locked'],
        properties: {
          name: { type: 'string' },
          type: { const: 'file' },
          size: { type: 'integer', minimum: 0 },
          version: { type: 'integer', minimum: 1 },
          sha256,
          contentType: { type: ['string', 'null'] },
          modifiedAt: instant,
          author: { type: 'string', description: 'Who saved that version.' },
          locked: { type: 'boolean' },
          lockedBy: { type: 'object', required: ['owner'], properties: holderProps, description: 'While `locked`: who holds the lock.' },
          deleted: { const: true, description: '`?deleted`: a deleted file; the fields above are its last version with content, which `?restore=<version>` brings back.' },
          deletedVersion: { type: 'integer', minimum: 2, description: 'The delete marker: the newest version (`?base` of a restore).' },
          deletedAt: instant,
          deletedBy: { type: 'string' },
          pruned: { const: true, description: 'That version was pruned by retention: its restore is 410.' },
        },
      },
    ],
  },
  Listing: {
    type: 'object',
    description: 'One directory level: sub-directories, then files with a current version.',
    required: ['path', 'entries'],
    properties: { path: { type: 'string', description: '`<dir>/`, or empty for the root.' }, entries: { type: 'array', items: ref('schemas', 'ListingEntry') } },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details. 409 and 412 bodies also carry the current state: `path`, `currentVersion`, `currentSha256`, `lock`.',
    required: ['type', 'status', 'title', 'detail', 'code'],
    properties: {
      type: { type: 'string', pattern: '^urn:kluis:problem:' },
      status: { type: 'integer' },
      title: { type: 'string' },
      detail: { type: 'string' },
      code: { type: 'string', enum: Object.keys(PROBLEMS) },
      path: { type: 'string' },
      currentVersion: { type: 'integer', minimum: 0, description: 'Newest version number, delete markers included.' },
      currentSha256: nullable(sha256),
      lock: nullable({ type: 'object', required: ['owner', 'expiresAt'], properties: { ...holderProps, expiresAt: instant } }),
      stored: { type: 'array', items: ref('schemas', 'UploadResult'), description: 'Files a directory upload stored before it was refused.' },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { enum: ['ok', 'ready'] } } },
};

export const parameters: Record<string, Parameter> = {
  Path: { name: 'path', in: 'path', required: true, description: 'Slash-separated relative file path; each segment percent-encoded, the slashes sent as is.', schema: { type: 'string' } },
  Dir: { name: 'dir', in: 'path', required: true, description: 'Slash-separated relative directory path, percent-encoded like `path`.', schema: { type: 'string' } },
  Version: query('version', 'Read version N instead of the current one.', { type: 'integer', minimum: 1 }),
  Versions: flag('versions', 'Answer the history (`History`), newest first, one page at a time, instead of the bytes.'),
  Limit: query('limit', 'With `?versions`: versions per page (default 100, at most 1000).', { type: 'integer', minimum: 1, maximum: 1000 }),
  Before: query('before', 'With `?versions`: only versions numbered below this (the `next` URL sets it).', { type: 'integer', minimum: 1 }),
  Lock: flag('lock', 'Answer the live lock (`PublicLock`; with users configured, its `token` too when the caller owns it), 404 when unlocked.'),
  Download: flag('download', 'Serve the bytes as an attachment (`Content-Disposition: attachment`) whatever their type.'),
  Base: query('base', 'The version the client started from (0: the file must not exist yet); 409 `modified` if the file moved on.', { type: 'integer', minimum: 0 }),
  Comment: query('comment', 'Stored on the new version.', { type: 'string' }),
  Checkin: flag('checkin', "Store the body (if any) and release the caller's lock in one compare-and-set; needs `Lock-Token`."),
  Restore: query('restore', "A new version whose content is version N's.", { type: 'integer', minimum: 1 }),
  Pin: query('pin', 'Keep version N from retention (metadata only: no lock needed).', { type: 'integer', minimum: 1 }),
  Unpin: query('unpin', 'Let retention prune version N again.', { type: 'integer', minimum: 1 }),
  DryRun: flag('dry-run', 'Report only; remove nothing.'),
  Grace: query('grace', 'Keep blobs committed less than this many seconds ago (at least 60, default 3600).', { type: 'integer', minimum: 60 }),
  Checkout: flag('checkout', 'Take or refresh the lock (as CHECKOUT).'),
  Uncheckout: flag('uncheckout', 'Release the lock without a new version (as UNLOCK).'),
  Force: flag('force', "With `?uncheckout` or UNLOCK: an admin breaks someone else's lock."),
  IfMatch: headerParam('If-Match', 'Strong ETags or `*` (quotes optional); 412 when none matches.'),
  IfNoneMatch: headerParam('If-None-Match', 'ETags or `*`; 304 on GET/HEAD, 412 on writes, when one matches.'),
  IfModifiedSince: headerParam('If-Modified-Since', 'HTTP-date; 304 when not modified since (GET/HEAD).'),
  IfUnmodifiedSince: headerParam('If-Unmodified-Since', 'HTTP-date; 412 when modified since.'),
  Range: headerParam('Range', 'One range `bytes=a-b`, `bytes=a-` or `bytes=-n`; several ranges answer the whole file.'),
  IfRange: headerParam('If-Range', 'An ETag or HTTP-date: honour `Range` only while it still matches.'),
  LockToken: headerParam('Lock-Token', 'The lock token, `<urn:uuid:…>` (brackets optional).'),
  If: headerParam('If', 'WebDAV form of the token: `(<urn:uuid:…>)`; used when `Lock-Token` is absent.'),
  Label: query(
    'label',
    'With CHECKOUT / `?checkout`: who holds the lock, in words people recognise (kept to its first 100 characters, control characters dropped), shown in refusals, `?lock` and listings; self-asserted.',
    { type: 'string' },
  ),
  Timeout: headerParam('Timeout', 'Lock duration: `Second-N` or `Infinite`, capped by the configured maximum.'),
  ContentDigest: headerParam('Content-Digest', '`sha-256=:<base64>:` (RFC 9530), checked against the raw body.'),
  ContentMD5: headerParam('Content-MD5', 'Base64 MD5 (RFC 1864), checked against the raw body.'),
};

const h = (description: string): Header => ({ description, schema: { type: 'string' } });
export const headers = {
  ETag: h('`"<sha256>"` of the version (strong).'),
  LastModified: h('Creation time of the version.'),
  FileVersion: h('The version number answered or written.'),
  Location: h('URL of the new version (`/files/<path>?version=N`), of the file for a check-out, or of the folder (`?mkdir`, a folder `?move-to`).'),
  LockToken: h('`<urn:uuid:…>`: the token to send with writes, check-in and UNLOCK.'),
  Timeout: h('`Second-N`: the granted lock duration.'),
  AcceptRanges: h('`bytes`.'),
  ContentRange: h('`bytes a-b/size` for a 206, `bytes */size` for a 416.'),
  RetryAfter: h('Seconds to wait before retrying.'),
  WWWAuthenticate: h('`Basic realm="kluis", charset="UTF-8", Bearer realm="kluis"`.'),
  Allow: h('The methods /files answers.'),
  Link: h('With `?versions`, when older versions remain: `<next page URL>; rel="next"`.'),
} satisfies Record<string, Header>;
export type HeaderName = keyof typeof headers;

/** A response header: a reference, or inline with `required: true` when every such answer carries it. */
export const header = (name: HeaderName, required = false): Header | Ref => (required ? { ...headers[name], required } : ref('headers', name));

const STATUS_HEADERS: Record<number, Record<string, Header | Ref>> = {
  401: { 'WWW-Authenticate': header('WWWAuthenticate', true) },
  405: { Allow: header('Allow', true) },
  416: { 'Content-Range': header('ContentRange', true) },
  503: { 'Retry-After': header('RetryAfter', true) },
};

/** The catalogue codes answered with `status`. */
function codesOf(status: number): ProblemCode[] {
  return (Object.keys(PROBLEMS) as ProblemCode[]).filter((code) => PROBLEMS[code].status === status);
}

/**
 * A problem+json response; `why` says when this operation answers it, `codes` (default: every
 * code of the status) are listed in the text and in `x-kluis-codes`.
 */
export function problem(status: number, why: string, codes: ProblemCode[] = codesOf(status)): Response {
  const wrong = codes.filter((code) => PROBLEMS[code].status !== status);
  if (wrong.length > 0) throw new Error(`problem codes ${wrong.join(', ')} are not answered with ${status}`);
  return {
    description: `${why}: ${codes.map((code) => `\`${code}\``).join(', ')}.`,
    'x-kluis-codes': codes,
    ...(STATUS_HEADERS[status] ? { headers: STATUS_HEADERS[status] } : {}),
    content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } },
  };
}

/** The fallback for every /files operation: 500 `internal` (a bug, logged). */
export const unexpected: Response = { description: 'An unexpected failure (`internal`); logged, never detailed.', content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } } };

// Responses and parameters shared by the operations.
export type Responses = Record<string, Response | Ref>;
export const params = (...names: string[]): Ref[] => names.map((name) => ref('parameters', name));

export const unauthorized = problem(401, 'Auth is on and the credentials are missing or wrong');
export const unavailable = problem(503, 'The storage backend cannot be reached (nothing was stored), or the server is shutting down');
export const draining = problem(503, 'The server is shutting down', ['shutting-down']);
export const conflict = problem(409, 'Checked out by someone else, the file moved past the base version, or the token names no live lock', ['locked', 'modified', 'not-checked-out', 'conflict']);
export const precondition = problem(412, '`If-Match`, `If-None-Match` or `If-Unmodified-Since` evaluated false');
export const tooLarge = problem(413, 'The body is over the configured limit; nothing was stored');
export const full = problem(507, 'Storage is full (ENOSPC, quota); nothing was stored, reads go on', ['insufficient-storage']);
export const readOnly = "A read-only user writes, sends another user's lock token, a write authenticated by the session cookie lacks its `X-CSRF-Token`, or another site's page sent it";

/** Headers of a write that stored (or repeated) a version. */
export const written = { ETag: header('ETag', true), Location: header('Location', true), 'File-Version': header('FileVersion', true) };
export const writeParams = params('Base', 'IfMatch', 'IfNoneMatch', 'IfUnmodifiedSince', 'LockToken', 'If');
export const multipartBody = (what: string) => ({
  'multipart/form-data': {
    schema: {
      type: 'object',
      description: `${what} A \`comment\` field applies to the file parts after it.`,
      properties: { comment: { type: 'string' }, file: { type: 'string', contentMediaType: 'application/octet-stream' } },
    },
  },
});

export const securitySchemes = {
  basicAuth: { type: 'http', scheme: 'basic', description: 'Users from `KLUIS_USERS_FILE`. Without that file the service runs open and needs no credentials.' },
  bearerAuth: { type: 'http', scheme: 'bearer', description: "A user's token from `KLUIS_USERS_FILE`; not needed when the service runs open." },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'kluis_session',
    description: "The web UI's session (`POST /session`); a request that changes something also sends the session's `X-CSRF-Token` (from `GET /session`).",
  },
};
