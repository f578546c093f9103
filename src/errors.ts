/**
 * The one catalogue of stable problem codes (RFC 9457 problem+json `code` member).
 * Everything that refuses a request throws a {@link Problem}; the HTTP layer maps it to a
 * response in exactly one place (src/http/problem.ts).
 */
export const PROBLEMS = {
  'invalid-path': { status: 400, title: 'Invalid path' },
  'bad-request': { status: 400, title: 'Bad request' },
  'checksum-mismatch': { status: 400, title: 'Checksum mismatch' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf: { status: 403, title: 'Cross-site request refused' },
  'desktop-file': { status: 403, title: 'Desktop file name' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  locked: { status: 409, title: 'Checked out by someone else' },
  modified: { status: 409, title: 'Modified since the base version' },
  'not-checked-out': { status: 409, title: 'Not checked out' },
  conflict: { status: 409, title: 'Conflict with the namespace' },
  'upload-offset': { status: 409, title: 'Upload offset mismatch' },
  'upload-busy': { status: 409, title: 'Upload in use by another request' },
  'upload-quota': { status: 403, title: 'Too many open uploads' },
  'upload-checksum': { status: 460, title: 'Upload-Checksum mismatch' },
  'upload-held': { status: 423, title: 'Upload complete, not committed' },
  'version-pruned': { status: 410, title: 'Version pruned by retention' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'too-large': { status: 413, title: 'Body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'range-not-satisfiable': { status: 416, title: 'Range not satisfiable' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  internal: { status: 500, title: 'Internal server error' },
  'method-not-supported': { status: 501, title: 'Method not supported' },
  'bad-gateway': { status: 502, title: 'Destination on another server' },
  'insufficient-storage': { status: 507, title: 'Insufficient storage' },
  'storage-unavailable': { status: 503, title: 'Storage unavailable' },
  'shutting-down': { status: 503, title: 'Shutting down' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** Extra members of a problem body, e.g. the current state carried by a 409. */
export type ProblemExtras = Record<string, unknown>;

export class Problem extends Error {
  readonly code: ProblemCode;
  /** The catalogue's status, or the one a mount answers it with ({@link answerAs}). */
  status: number;
  readonly title: string;
  readonly extras: ProblemExtras;
  /** Response headers that belong to this refusal (WWW-Authenticate, Retry-After, Content-Range). */
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, detail: string, extras: ProblemExtras = {}, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'Problem';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
    this.extras = extras;
    this.headers = headers;
  }

  /** Answer with another status: the WebDAV mount answers `locked` with 423, as RFC 4918 says. */
  answerAs(status: number): this {
    this.status = status;
    return this;
  }

  /** The problem+json body. */
  toJSON(): Record<string, unknown> {
    return { type: `urn:kluis:problem:${this.code}`, ...this.extras, status: this.status, title: this.title, detail: this.message, code: this.code };
  }
}

/** The client hung up before its request body could be read to the end: its doing, a 400. */
export function clientGone(): Problem {
  return new Problem('bad-request', 'the client closed the connection before the body was complete');
}
