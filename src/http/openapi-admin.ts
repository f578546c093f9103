/** The admin part of the OpenAPI document: /admin/stats, /admin/gc, /admin/retention. */
import { params, problem, type PathItem, type Responses, unauthorized, unavailable, unexpected } from './openapi-schemas.js';

const count = { type: 'integer', minimum: 0 };

export const adminSchemas = {
  Stats: {
    type: 'object',
    description: 'What the store holds (a scan of every record and blob; a close estimate on a busy store).',
    required: ['files', 'deletedFiles', 'versions', 'prunedVersions', 'liveLocks', 'blobs', 'bytesStored', 'bytesUploaded', 'dedupRatio', 'openUploads', 'openUploadBytes'],
    properties: {
      files: count,
      deletedFiles: count,
      versions: count,
      prunedVersions: count,
      liveLocks: count,
      blobs: count,
      bytesStored: count,
      bytesUploaded: count,
      dedupRatio: { type: 'number', description: 'bytesUploaded / bytesStored; 1 for an empty store.' },
      openUploads: { type: 'integer', description: 'Resumable uploads not yet committed (expired ones until the sweep reclaims them).' },
      openUploadBytes: { type: 'integer', description: 'Bytes acknowledged to those uploads.' },
    },
  },
  GcReport: {
    type: 'object',
    description: 'One garbage collection run: blobs no version references, committed before the grace period, removed.',
    required: ['scannedRecords', 'referencedBlobs', 'blobs', 'candidates', 'deleted', 'freedBytes', 'dryRun'],
    properties: {
      scannedRecords: count,
      referencedBlobs: count,
      missingBlobs: { ...count, description: 'Referenced but not stored; always 0 unless the store lost data.' },
      blobs: count,
      candidates: count,
      candidateBytes: count,
      deleted: count,
      freedBytes: count,
      dryRun: { type: 'boolean' },
      graceSeconds: count,
      durationMs: count,
    },
  },
  RetentionReport: {
    type: 'object',
    description: 'One retention pass: versions marked pruned (their bytes are freed by garbage collection).',
    required: ['scanned', 'files', 'versions', 'bytes'],
    properties: { scanned: count, files: count, versions: count, bytes: count },
  },
};

const json = (schema: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } });
const guarded = (ok: Responses): Responses => ({
  ...ok,
  '401': unauthorized,
  '403': problem(403, 'Users are configured and the caller is not an admin, or another site sent the request', ['forbidden', 'csrf']),
  '503': unavailable,
  default: unexpected,
});
const admin = { tags: ['admin'] };

export const adminPaths: Record<string, PathItem> = {
  '/admin/stats': {
    get: {
      ...admin,
      operationId: 'adminStats',
      summary: 'Counts of files, versions, locks and blobs; bytes stored and uploaded',
      responses: guarded({ '200': { description: 'The stats.', content: json('Stats') } }),
    },
  },
  '/admin/gc': {
    post: {
      ...admin,
      operationId: 'adminGc',
      summary: 'Garbage-collect unreferenced blobs now (`?dry-run` removes nothing; `?grace=` seconds, at least 60, default 3600)',
      parameters: params('DryRun', 'Grace'),
      responses: guarded({ '200': { description: "The run's report.", content: json('GcReport') }, '400': problem(400, '`?grace` is not a whole number of at least 60', ['bad-request']) }),
    },
  },
  '/admin/retention': {
    post: {
      ...admin,
      operationId: 'adminRetention',
      summary: 'Run a retention pass now (KLUIS_RETENTION rules)',
      responses: guarded({ '200': { description: "The pass's report.", content: json('RetentionReport') } }),
    },
  },
};
