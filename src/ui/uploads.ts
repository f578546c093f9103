import { type DetailedError, Upload } from 'tus-js-client';
import { ApiError, call, json, type Problem, problemOf, uiHeaders } from './api.js';

/** One file being sent: resumable (tus), so a dropped connection or a server restart resumes it. */
export interface Job {
  id: number;
  file: File;
  /** Where it becomes a version. */
  path: string;
  /** Stored with the version. */
  comment?: string | undefined;
  sent: number;
  /** `skipped`: a desktop file (`.DS_Store`, `._name`…), which the server keeps on the WebDAV mount only. */
  state: 'queued' | 'sending' | 'done' | 'refused' | 'failed' | 'cancelled' | 'skipped';
  problem?: Problem;
  version?: number;
  /** The upload's URL (its capability), known once created: a refused commit is retried there. */
  url?: string;
  upload?: Upload;
  /** The views were told it is done. */
  seen?: boolean;
  /** What it was sent under: a retry keeps the token and check-in. */
  when?: Preconditions;
}

export interface Preconditions {
  token?: string | undefined;
  /** The version the person started from: a save on top of a newer one is refused (409 `modified`). */
  base?: number | undefined;
  /** Release the check-out (`token`) with this version. */
  checkin?: boolean | undefined;
}

/** The query a creation or a commit retry carries for `when`. */
function query(when: Preconditions): string {
  const parts = [...(when.base !== undefined ? [`base=${when.base}`] : []), ...(when.checkin ? ['checkin'] : [])];
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Answers that no retry will change: shown to the person instead. */
const FINAL = new Set(['locked', 'modified', 'not-checked-out', 'precondition-failed', 'forbidden', 'too-large', 'upload-quota', 'invalid-path', 'unauthorized', 'csrf', 'desktop-file']);

function problemIn(err: Error): Promise<Problem> | undefined {
  const response = (err as DetailedError).originalResponse;
  if (!response) return undefined;
  return problemOf({ status: response.getStatus(), body: response.getBody() ?? '' });
}

/** Send `job` over tus to `/uploads/`; `changed` is called on every step. */
export function send(job: Job, when: Preconditions, changed: () => void): void {
  job.when = when;
  const headers: Record<string, string> = { ...uiHeaders(), ...(when.token ? { 'Lock-Token': `<${when.token}>` } : {}) };
  let refusal: Problem | undefined;
  const upload = new Upload(job.file, {
    endpoint: `/uploads/${query(when)}`,
    metadata: { path: job.path, filetype: job.file.type || 'application/octet-stream', ...(job.comment ? { comment: job.comment } : {}) },
    headers,
    chunkSize: 8 * 2 ** 20,
    retryDelays: [0, 1000, 2000, 4000, 8000, 15000, 30000],
    removeFingerprintOnSuccess: true,
    onShouldRetry: (err) => {
      const body = (err as DetailedError).originalResponse?.getBody() ?? '';
      const code = /"code"\s*:\s*"([\w-]+)"/.exec(body)?.[1];
      return !(code && FINAL.has(code));
    },
    onUploadUrlAvailable: () => {
      job.url = upload.url ?? undefined;
    },
    onProgress: (sent) => {
      job.sent = sent;
      changed();
    },
    onSuccess: async (payload) => {
      const version = payload.lastResponse.getHeader('File-Version');
      if (version) job.version = Number(version);
      // The answer of the last PATCH was lost (a cut connection) and a HEAD found every byte
      // there: the upload's state names the version its commit made.
      else if (job.url) job.version = (await json<{ version?: number }>('GET', job.url).catch(() => ({ version: undefined }))).version;
      job.state = 'done';
      job.sent = job.file.size;
      changed();
    },
    onError: async (err) => {
      refusal = await problemIn(err);
      job.problem = refusal ?? { status: 0, code: 'network', title: 'Connection lost', detail: err.message };
      job.state = refusal?.code === 'desktop-file' ? 'skipped' : refusal && FINAL.has(refusal.code) ? 'refused' : 'failed';
      changed();
    },
  });
  job.upload = upload;
  job.state = 'sending';
  changed();
  upload.start();
}

/** Stop sending and give the upload up (its bytes are removed on the server). */
export async function cancel(job: Job): Promise<void> {
  job.state = 'cancelled';
  await job.upload?.abort(true).catch(() => undefined);
}

/**
 * Commit a refused upload again with new preconditions, without sending a byte again
 * (`POST /uploads/<id>`, kluis's extension: docs/uploads.md).
 */
export async function retryCommit(job: Job, changes: Preconditions): Promise<void> {
  if (!job.url) throw new Error('the upload has no URL yet');
  const when = { ...job.when, ...changes };
  const response = await call('POST', `${job.url}${query(when)}`, { headers: when.token ? { 'Lock-Token': `<${when.token}>` } : {} });
  const version = response.headers.get('File-Version');
  job.state = 'done';
  delete job.problem;
  if (version) job.version = Number(version);
}

/**
 * Try a refused upload again with changed preconditions: its commit when the server holds its
 * bytes (refused at completion), else the whole upload (refused at creation: nothing was sent).
 */
export async function tryAgain(job: Job, changes: Preconditions, changed: () => void): Promise<void> {
  const when = { ...job.when, ...changes };
  if (job.problem?.code === 'not-checked-out') {
    // The check-out it was sent under has ended: a commit retry keeps the recorded token, so
    // the bytes go again, without the token (the file is saved as anyone's save would be).
    await discard(job);
    Object.assign(when, { token: undefined, checkin: false });
  } else if (job.url) {
    try {
      await retryCommit(job, changes);
    } catch (err) {
      // Refused again (someone saved once more): the dialog shows the new state; the next try starts from it.
      if (err instanceof ApiError) job.problem = err.problem;
      job.when = when;
      changed();
      throw err;
    }
    return;
  }
  delete job.problem;
  delete job.url;
  job.sent = 0;
  job.state = 'queued';
  send(job, when, changed);
}

/** Give a refused upload up: its bytes go. */
export async function discard(job: Job): Promise<void> {
  if (job.url) await call('DELETE', job.url, { headers: { 'Tus-Resumable': '1.0.0' } }).catch(() => undefined);
  job.state = 'cancelled';
}
