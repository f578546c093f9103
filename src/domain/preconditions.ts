/**
 * Conditional requests, RFC 9110 §13. Pure: the caller supplies the conditions, already read
 * from their headers (src/http/preconditions.ts), and the current representation's
 * validators; the result says what to answer.
 */

/** An entity-tag list (`If-Match`, `If-None-Match`): `*`, or tags as hex SHA-256. */
export interface EntityTags {
  any: boolean;
  tags: { weak: boolean; tag: string }[];
}

/** The conditions of a request. A date that was absent or not a valid HTTP-date is absent (ignored, §13.1.3-4). */
export interface Conditions {
  ifMatch?: EntityTags | undefined;
  ifNoneMatch?: EntityTags | undefined;
  /** Whole seconds since the epoch. */
  ifModifiedSince?: number | undefined;
  ifUnmodifiedSince?: number | undefined;
}

/** Validators of the current representation, or null when there is none. */
export interface Validators {
  /** Hex SHA-256: the strong entity-tag without quotes. */
  etag: string;
  lastModified: Date;
}

export type Outcome = 'pass' | 'precondition-failed' | 'not-modified';

/** `If-None-Match: *`: create only if absent. */
export const ABSENT: Conditions = { ifNoneMatch: { any: true, tags: [] } };

/** Evaluate in the order of RFC 9110 §13.2.2. `safe` is true for GET and HEAD. */
export function evaluate(headers: Conditions, current: Validators | null, safe: boolean): Outcome {
  if (headers.ifMatch !== undefined) {
    // §13.1.1: strong comparison; `*` needs a current representation.
    const { any, tags } = headers.ifMatch;
    const ok = current !== null && (any || tags.some((t) => !t.weak && t.tag === current.etag));
    if (!ok) return 'precondition-failed';
  } else if (headers.ifUnmodifiedSince !== undefined && current !== null) {
    // §13.1.4 (an invalid date was dropped when the header was read).
    if (seconds(current.lastModified) > headers.ifUnmodifiedSince) return 'precondition-failed';
  }
  if (headers.ifNoneMatch !== undefined) {
    // §13.1.2: weak comparison.
    const { any, tags } = headers.ifNoneMatch;
    const matched = current !== null && (any || tags.some((t) => t.tag === current.etag));
    if (matched) return safe ? 'not-modified' : 'precondition-failed';
  } else if (safe && headers.ifModifiedSince !== undefined && current !== null) {
    // §13.1.3: only for GET and HEAD.
    if (seconds(current.lastModified) <= headers.ifModifiedSince) return 'not-modified';
  }
  return 'pass';
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
