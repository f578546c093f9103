import { createHash, randomBytes } from 'node:crypto';
import { Problem } from '../errors.js';
import type { UploadPosition } from '../storage/contracts.js';
import type { Conditions } from './preconditions.js';
import type { WriteIntent } from './rules.js';

/** The preconditions of a resumable upload, checked at its creation and again at its commit. */
export interface UploadIntent {
  token?: string | undefined;
  base?: number | undefined;
  conditions: Conditions;
  checkin: boolean;
}

/** One resumable upload, as its state record keeps it (keyed by its id). */
export interface UploadState {
  /** Its storage key ({@link storageKey}), never the id its URL holds. */
  id: string;
  /** The caller who created it: with users configured, only they may continue it. */
  owner: string;
  /** The file it becomes. */
  path: string;
  /** Total bytes, or null while the client defers it (tus `Upload-Defer-Length`). */
  length: number | null;
  /** How far the acknowledged bytes reach. */
  position: UploadPosition;
  /** The client's metadata (tus `Upload-Metadata`), decoded. */
  metadata: Record<string, string>;
  contentType: string | null;
  comment?: string | undefined;
  intent: UploadIntent;
  createdAt: string;
  /** Reclaimed after this (ISO 8601); each append moves it on. */
  expiresAt: string;
  /** A request appending or committing holds it until `until`, renewed while it runs. */
  claim?: { id: string; until: string } | undefined;
  /** The hex SHA-256 of the bytes, once every byte arrived. */
  sha256?: string | undefined;
  /** The last refusal of its commit (409 / 412), for the client that comes back. */
  refused?: Record<string, unknown> | undefined;
  /** The version it made, once committed. */
  version?: number | undefined;
}

/** Where an upload is in its life, as HEAD and GET of its URL report it. */
export type UploadPhase = 'receiving' | 'complete' | 'committed';

export function phaseOf(state: UploadState): UploadPhase {
  if (state.version !== undefined) return 'committed';
  return state.length !== null && state.position.length === state.length ? 'complete' : 'receiving';
}

/** The version's tag of an upload: derived from the id, so a history never shows the capability. */
export function uploadTag(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

/**
 * A new upload id: 8 characters naming its owner (so their open uploads are counted from a
 * listing of ids alone), then 192 random bits. The URL holding it is the upload's capability.
 */
export function newUploadId(owner: string): string {
  return ownerPrefix(owner) + randomBytes(24).toString('base64url');
}

/**
 * Where the upload `id` is stored: its owner tag, then a digest of the whole id. The id (the
 * capability) is never a storage key, so no listing, storage error or log line holds it.
 */
export function storageKey(id: string): string {
  return id.slice(0, 8) + createHash('sha256').update(id).digest('base64url').slice(0, 32);
}

export function ownerPrefix(owner: string): string {
  return createHash('sha256').update(owner).digest('base64url').slice(0, 8);
}

export const UPLOAD_ID = /^[A-Za-z0-9_-]{40}$/;

/** The write intent of the commit: the recorded preconditions, or those of a retry. */
export function intentOf(recorded: UploadIntent): WriteIntent {
  return { token: recorded.token, base: recorded.base, conditions: recorded.conditions };
}

/** 404 for an id that names no upload, also when it names another user's (its existence is not revealed). */
export function noUpload(): Problem {
  return new Problem('not-found', 'no such upload: it was never made, was terminated, or expired');
}

/** Whether `state` is past its expiry at `now` and held by no live claim. */
export function expired(state: UploadState, now: number): boolean {
  return Date.parse(state.expiresAt) <= now && !(state.claim && Date.parse(state.claim.until) > now);
}
