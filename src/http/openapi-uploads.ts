/** The resumable-upload part of the OpenAPI document: /uploads/ and /uploads/{id} (docs/uploads.md). */
import {
  conflict,
  header,
  type Header,
  json,
  type Operation,
  type Parameter,
  type PathItem,
  precondition,
  problem,
  readOnly,
  type Responses,
  tooLarge,
  unauthorized,
  unavailable,
  unexpected,
  writeParams,
  written,
} from './openapi-schemas.js';

const count = { type: 'integer', minimum: 0 };
const text = (description: string): Header => ({ description, schema: { type: 'string' } });
const param = (name: string, description: string): Parameter => ({ name, in: 'header', description, schema: { type: 'string' } });

const UPLOAD_HEADERS = {
  UploadOffset: text('Bytes of the upload stored and acknowledged.'),
  UploadExpires: text('tus: when it is reclaimed unless more bytes arrive (HTTP-date).'),
  UploadComplete: text('Draft: `?1` once every byte arrived, else `?0`.'),
} satisfies Record<string, Header>;

const tusParams = [
  param('Tus-Resumable', 'tus: `1.0.0` (412 with `Tus-Version` otherwise).'),
  param('Upload-Draft-Interop-Version', 'The IETF draft instead of tus: `5` (draft-03) or `6` (draft-05).'),
];
const offsetHeaders = { 'Upload-Offset': { ...UPLOAD_HEADERS.UploadOffset, required: true } };
const id: Parameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The upload id (the last segment of its Location); a capability: whoever holds it may continue it (with users, only its creator).',
  schema: { type: 'string' },
};

export const uploadSchemas = {
  UploadState: {
    type: 'object',
    description: 'Where a resumable upload stands.',
    required: ['path', 'phase', 'offset', 'length', 'createdAt', 'expiresAt'],
    properties: {
      path: { type: 'string' },
      phase: { enum: ['receiving', 'complete', 'committed'], description: '`complete`: every byte arrived and the commit was refused (`refused`); retry it with POST.' },
      offset: count,
      length: { type: ['integer', 'null'], minimum: 0 },
      createdAt: { type: 'string', format: 'date-time' },
      expiresAt: { type: 'string', format: 'date-time' },
      version: { type: 'integer', minimum: 1 },
      location: { type: 'string' },
      refused: { $ref: '#/components/schemas/Problem' },
    },
  },
  SweepReport: { type: 'object', required: ['expired', 'orphans'], properties: { expired: count, orphans: count } },
};

const gone = problem(404, "No such upload for this caller: never made, terminated, expired, or another user's", ['not-found']);
const tusVersion = problem(
  412,
  '`Tus-Resumable` is missing or not `1.0.0` (the answer carries `Tus-Version`), or, at the commit, a recorded `If-Match` / `If-None-Match` / `If-Unmodified-Since` is false',
  ['precondition-failed'],
);
const busy = problem(
  409,
  '`Upload-Offset` is not where the bytes end (`offset` says where), another request is appending (`upload-busy`), or the commit was refused: checked out by someone else, modified past `?base`, the token names no lock',
  ['upload-offset', 'upload-busy', 'locked', 'modified', 'not-checked-out'],
);
const committedVersion = (description: string) => ({ description, headers: { ...written, ...offsetHeaders }, content: json('Version') });

const uploads = { tags: ['uploads'] };
const created: Operation = {
  ...uploads,
  operationId: 'createUpload',
  summary: 'tus creation: a resumable upload of the file named by `Upload-Metadata` (`path`, or `filename` at the top level)',
  description:
    'Checks now what a PUT would check (rights, `Lock-Token`, `?base`, `If-Match`, `If-None-Match: *`) and records it for the commit. `Upload-Length`, or `Upload-Defer-Length: 1`; creation-with-upload takes the first bytes as `application/offset+octet-stream`.',
  parameters: [
    ...tusParams,
    param('Upload-Length', 'Total bytes; over `KLUIS_MAX_UPLOAD_BYTES` is 413.'),
    param('Upload-Defer-Length', '`1`: the length comes with a later PATCH.'),
    param('Upload-Metadata', 'tus metadata: `path`, `filename`, `filetype`, `comment`.'),
    ...writeParams,
  ],
  responses: {
    '201': {
      description: 'Created; `Location` is the upload URL.',
      headers: { Location: { ...text('`/uploads/<id>`.'), required: true }, ...offsetHeaders, 'Upload-Expires': UPLOAD_HEADERS.UploadExpires },
    },
    '400': problem(400, 'Malformed tus headers or metadata, no path, an invalid path', ['bad-request', 'invalid-path']),
    '401': unauthorized,
    '403': problem(403, `${readOnly}, the caller has \`KLUIS_UPLOADS_PER_USER\` uploads open, or the target is a desktop file's name (\`KLUIS_DESKTOP_FILES\`)`, [
      'forbidden',
      'upload-quota',
      'csrf',
      'desktop-file',
    ]),
    '409': conflict,
    '412': tusVersion,
    '413': tooLarge,
    '415': problem(415, 'Creation-with-upload bytes that are not `application/offset+octet-stream`', ['unsupported-media-type']),
    '503': unavailable,
    default: unexpected,
  },
};

const resourceResponses = (ok: Responses): Responses => ({ ...ok, '401': unauthorized, '404': gone, '503': unavailable, default: unexpected });

export const uploadPaths: Record<string, PathItem> = {
  '/uploads/': {
    options: {
      ...uploads,
      operationId: 'uploadsDiscovery',
      summary: 'tus discovery: `Tus-Version`, `Tus-Extension`, `Tus-Max-Size`, `Tus-Checksum-Algorithm`',
      security: [],
      responses: { '204': { description: 'What kluis speaks.', headers: { 'Tus-Version': { ...text('`1.0.0`.'), required: true }, 'Tus-Extension': { ...text('The extensions.'), required: true } } } },
    },
    post: created,
  },
  '/uploads/{id}': {
    parameters: [id],
    head: {
      ...uploads,
      operationId: 'uploadOffset',
      summary: 'Where the upload stands: `Upload-Offset`, and `Upload-Length` or `Upload-Defer-Length` (tus), `Upload-Complete` (draft)',
      parameters: tusParams,
      responses: resourceResponses({
        '200': { description: 'tus.', headers: offsetHeaders },
        '204': { description: 'The draft.', headers: { ...offsetHeaders, 'Upload-Complete': { ...UPLOAD_HEADERS.UploadComplete, required: true } } },
        '400': problem(400, 'An interop version kluis does not speak', ['bad-request']),
        '412': tusVersion,
        '423': problem(
          423,
          'Every byte arrived but the upload is no version yet (its commit refused, or under way): not the offset, which a client would take for done; GET says where it stands, POST retries a refused one',
          ['upload-held'],
        ),
      }),
    },
    get: {
      ...uploads,
      operationId: 'uploadState',
      summary: "kluis: the upload's state as JSON, with the refusal of its commit if there was one",
      responses: resourceResponses({ '200': { description: 'The state.', headers: offsetHeaders, content: json('UploadState') } }),
    },
    patch: {
      ...uploads,
      operationId: 'appendUpload',
      summary: 'Append bytes at `Upload-Offset`; the request that completes the upload commits it as a PUT would',
      description:
        'tus: `application/offset+octet-stream`, optional `Upload-Checksum` (`sha256`, `sha1`, `md5`; 460 drops the bytes). Draft: `Upload-Complete`, and `application/partial-upload` in draft-05. What arrives before a dropped connection is kept. The completing request answers the commit: the version (tus: 204 with `File-Version`), or its refusal; a refused upload keeps its bytes for a retry (POST).',
      parameters: [
        ...tusParams,
        param('Upload-Offset', 'Where these bytes start.'),
        param('Upload-Checksum', 'tus: `<algorithm> <base64>` of this body.'),
        param('Upload-Complete', 'Draft: `?1` for the last bytes.'),
      ],
      responses: resourceResponses({
        '200': committedVersion('Draft: the last bytes made a new version of an existing file.'),
        '201': committedVersion('Draft: the last bytes made a new file.'),
        '204': { description: 'Stored (tus: and committed, with `File-Version`, once complete).', headers: offsetHeaders },
        '400': problem(400, 'No or malformed `Upload-Offset`, `Upload-Length`, `Upload-Checksum` or `Upload-Complete`', ['bad-request']),
        '403': problem(403, readOnly, ['forbidden', 'csrf']),
        '409': busy,
        '412': tusVersion,
        '413': problem(413, 'The bytes go past `Upload-Length`', ['too-large']),
        '415': problem(415, 'Bytes that are not `application/offset+octet-stream` (tus) or `application/partial-upload` (draft-05)', ['unsupported-media-type']),
        '460': problem(460, 'tus checksum: the bytes do not match `Upload-Checksum`; they were dropped', ['upload-checksum']),
      }),
    },
    delete: {
      ...uploads,
      operationId: 'terminateUpload',
      summary: 'Terminate: the bytes go; a version it made stays',
      parameters: tusParams,
      responses: resourceResponses({ '204': { description: 'Terminated.' }, '403': problem(403, readOnly, ['forbidden', 'csrf']), '412': tusVersion }),
    },
    post: {
      ...uploads,
      operationId: 'commitUpload',
      summary: 'kluis: retry the refused commit of a complete upload with new preconditions, without resending a byte',
      description: 'Takes `Lock-Token`, `?base`, `If-Match` / `If-None-Match` / `If-Unmodified-Since` and `?checkin`; what is not sent stays as recorded. A committed upload answers its state again.',
      parameters: [...writeParams, { name: 'checkin', in: 'query', description: 'Release the lock in the commit.', schema: { type: 'boolean' } }],
      responses: resourceResponses({
        '200': {
          description: 'A new version of an existing file (`Version`), or the state of an upload already committed (`UploadState`).',
          headers: { ETag: header('ETag'), 'File-Version': header('FileVersion') },
          content: json('Version'),
        },
        '201': committedVersion('A new file.'),
        '403': problem(403, readOnly, ['forbidden', 'csrf']),
        '409': busy,
        '412': precondition,
      }),
    },
  },
  '/admin/uploads': {
    post: {
      tags: ['admin'],
      operationId: 'adminUploads',
      summary: 'Reclaim expired resumable uploads now (each instance also does every `KLUIS_UPLOAD_SWEEP_SECONDS`)',
      responses: {
        '200': { description: 'What was reclaimed.', content: json('SweepReport') },
        '401': unauthorized,
        '403': problem(403, 'Users are configured and the caller is not an admin, or another site sent the request', ['forbidden', 'csrf']),
        '503': unavailable,
        default: unexpected,
      },
    },
  },
};
