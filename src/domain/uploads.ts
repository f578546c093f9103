import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import { Problem } from '../errors.js';
import type { UploadStore } from '../storage/contracts.js';
import type { FileService, WriteResult } from './files.js';
import { liveLock } from './locks.js';
import type { Namespace } from './namespace.js';
import type { Caller, Clock, FileRecord } from './types.js';
import { UploadClaim } from './upload-claim.js';
import { doneKey, retire, type SweepReport, sweepUploads } from './upload-sweep.js';
import { type ChecksumAlgorithm, UploadMeter } from './upload-meter.js';
import { expired, intentOf, newUploadId, noUpload, ownerPrefix, phaseOf, storageKey, type UploadIntent, type UploadState, uploadTag } from './upload-state.js';

export interface UploadsOptions {
  store: UploadStore<UploadState>;
  files: FileService;
  dav: Namespace;
  clock: Clock;
  /** An upload untouched this long is reclaimed; a committed one is remembered this long. */
  expirySeconds: number;
  /** Uploads one user may have open at once (in open mode, everyone is one user). */
  maxOpenPerUser: number;
  /** `KLUIS_MAX_UPLOAD_BYTES`. */
  maxBytes: number;
  /** Told of each upload that ends: committed, terminated, expired (metrics). */
  events?: (event: UploadEvent) => void;
}

/** What happened to an upload, for metrics. */
export type UploadEvent = 'created' | 'committed' | 'refused' | 'terminated' | 'expired';

/** What a new upload asks for. */
export interface NewUpload {
  path: string;
  length: number | null;
  metadata: Record<string, string>;
  contentType: string | null;
  comment?: string | undefined;
  intent: UploadIntent;
}

/** One append: the offset the client believes in, and what it announced about the bytes. */
export interface Append {
  offset: number;
  /** Upload-Length sent with the append, for an upload created with its length deferred. */
  length?: number | undefined;
  checksum?: { algorithm: ChecksumAlgorithm; base64: string } | undefined;
  /** The client says these are the last bytes (the IETF draft's `Upload-Complete: ?1`): the length, if deferred, is where they end. */
  last?: boolean | undefined;
}

/**
 * Resumable uploads: bytes that arrive in any number of appends, across dropped connections,
 * restarts and instances, and end as one version under the same rules as a PUT. The rules are
 * checked at creation (an early refusal) and by the commit's compare-and-set; a refused commit
 * keeps the bytes, and {@link commit} retries it with new preconditions.
 */
export class Uploads {
  /** Running SHA-256s of the uploads this process appended to last, by id: a miss hashes the stored bytes again at completion. */
  private readonly hashers = new LRUCache<string, { length: number; hash: Hash }>({ max: 1000 });

  constructor(private readonly opts: UploadsOptions) {}

  async create(caller: Caller, request: NewUpload): Promise<{ id: string; state: UploadState; committed?: WriteResult }> {
    const { path } = request;
    if (request.length !== null && request.length > this.opts.maxBytes) {
      throw new Problem('too-large', `Upload-Length ${request.length} is over the limit of ${this.opts.maxBytes} bytes`);
    }
    const intent = await this.opts.dav.beforeFilesWrite(path, caller, intentOf(request.intent));
    await this.opts.files.precheck(caller, path, intent, request.intent.checkin);
    const open = await this.openCount(caller.name);
    if (open >= this.opts.maxOpenPerUser) {
      throw new Problem('upload-quota', `${caller.name} has ${open} uploads open, the most allowed; finish or terminate one first`);
    }
    const id = newUploadId(caller.name);
    const key = storageKey(id);
    const position = await this.opts.store.bytes.create(key);
    const now = this.opts.clock();
    const state: UploadState = {
      id: key,
      owner: caller.name,
      path,
      length: request.length,
      position,
      metadata: request.metadata,
      contentType: request.contentType,
      ...(request.comment !== undefined ? { comment: request.comment } : {}),
      intent: request.intent,
      createdAt: new Date(now).toISOString(),
      expiresAt: this.expiry(now),
    };
    await this.opts.store.states.put(key, state, null);
    this.opts.events?.('created');
    if (state.length !== 0) return { id, state };
    // An empty upload is complete as it is made (tus-js-client sends nothing after creating it);
    // refused, it is not left open: the creation itself answers the refusal.
    try {
      return { id, ...(await this.commit(caller, id)) };
    } catch (err) {
      if (err instanceof Problem && err.status < 500) await this.terminate(caller, id).catch(() => {});
      throw err;
    }
  }

  /**
   * The state of upload `id`; 404 when there is none for this caller. An upload whose every byte
   * was acknowledged but whose commit was cut short (a crash, the store away) is committed first:
   * the client that comes back to ask sees the upload done, or refused.
   */
  async status(caller: Caller, id: string): Promise<UploadState> {
    const key = storageKey(id);
    const stored = (await this.opts.store.states.get(key)) ?? (await this.opts.store.states.get(doneKey(key)));
    const now = this.opts.clock();
    if (!stored || expired(stored.value, now) || !mayUse(caller, stored.value)) throw noUpload();
    const state = stored.value;
    const held = state.claim && Date.parse(state.claim.until) > now;
    if (phaseOf(state) !== 'complete' || state.refused || held) return state;
    return this.commit(caller, id).then(
      (out) => out.state,
      async (err: unknown) => {
        if (!(err instanceof Problem) || err.status >= 500 || err.code === 'not-found') throw err;
        return (await this.opts.store.states.get(key))?.value ?? state;
      },
    );
  }

  /**
   * Append `source` at `append.offset` (409 `upload-offset` unless it is where the bytes end).
   * Whatever arrived is kept and acknowledged, also when the client goes away midway, unless
   * the request announced a checksum (then only bytes that match it, all of them). The append
   * that completes the upload acknowledges its last bytes and commits it: its answer is the
   * commit's; a crash in between is finished by the next request that reads the upload.
   */
  async append(caller: Caller, id: string, append: Append, source: Readable): Promise<{ state: UploadState; committed?: WriteResult }> {
    const key = storageKey(id);
    const claim = await UploadClaim.take(this.opts.store.states, this.opts.clock, key, (state) => {
      if (!mayUse(caller, state)) throw noUpload();
      if (phaseOf(state) !== 'receiving') throw new Problem('upload-offset', 'every byte of this upload has arrived; nothing more can be appended', { offset: state.position.length });
      if (append.offset !== state.position.length) {
        throw new Problem('upload-offset', `Upload-Offset ${append.offset} is not where the upload ends (${state.position.length})`, { offset: state.position.length });
      }
    });
    try {
      let state = withLength(claim.state, append.length, this.opts.maxBytes);
      await this.refreshLock(caller, state);
      const { length } = state;
      const cached = this.hashers.get(key);
      const running = cached?.length === append.offset ? cached.hash.copy() : append.offset === 0 ? createHash('sha256') : undefined;
      const meter = new UploadMeter((length ?? this.opts.maxBytes) - append.offset, running, append.checksum?.algorithm);
      // A request that lost its claim (it stalled past the lease) stops writing as soon as it learns.
      const lost = new AbortController();
      claim.onLost = () => {
        lost.abort();
        meter.destroy(new Problem('upload-busy', 'this request lost its claim on the upload; resume from the offset HEAD reports'));
      };
      const piped = pipeline(source, meter).catch(() => {}); // an error reaches the append through the meter
      const out = await this.opts.store.bytes.append(key, state.position, meter, lost.signal).catch((err: unknown) => {
        meter.destroy(); // the store failed: the body stops flowing into a meter nobody reads
        throw err;
      });
      await piped;
      const { error, ...position } = out;
      if (append.checksum && (error !== undefined || meter.checksumBase64() !== append.checksum.base64)) {
        await claim.release(state);
        if (error !== undefined) throw error; // a checksum covers the whole body: a part of it is not kept
        throw new Problem('upload-checksum', `the bytes do not match Upload-Checksum (${append.checksum.algorithm}); they were not kept`, { offset: state.position.length });
      }
      state = { ...state, position, expiresAt: this.expiry(this.opts.clock()) };
      if (append.last && error === undefined) state = await endsHere(claim, state);
      const whole = running !== undefined && position.length === append.offset + meter.bytes;
      if (error !== undefined || phaseOf(state) !== 'complete') {
        await claim.release(state);
        if (whole) this.hashers.set(key, { length: position.length, hash: running });
        else this.hashers.delete(key);
        if (error !== undefined) throw error;
        return { state };
      }
      // Every byte is here: acknowledged before the commit (and before anything reads them back
      // to hash them), which may then fail (the store away, a crash) and be finished later
      // without the client sending a byte again.
      if (whole) state = { ...state, sha256: running.digest('hex') };
      await claim.keep(state);
      return await this.commitClaimed(caller, claim, state);
    } finally {
      await claim.release().catch(() => {});
    }
  }

  /**
   * Commit a complete upload: one whose commit was refused, with new preconditions when given
   * (kluis's extension: `POST` to the upload URL), or was cut short. A committed one answers its
   * state again, never a second version.
   */
  async commit(caller: Caller, id: string, retry?: Partial<UploadIntent>): Promise<{ state: UploadState; committed?: WriteResult }> {
    const key = storageKey(id);
    const done = await this.opts.store.states.get(doneKey(key));
    if (done && mayUse(caller, done.value) && !expired(done.value, this.opts.clock())) return { state: done.value };
    const claim = await UploadClaim.take(this.opts.store.states, this.opts.clock, key, (state) => {
      if (!mayUse(caller, state)) throw noUpload();
      if (phaseOf(state) === 'receiving') throw new Problem('upload-offset', 'the upload is not complete yet; send its remaining bytes first', { offset: state.position.length });
    });
    try {
      if (phaseOf(claim.state) === 'committed') return { state: claim.state };
      // A refused retry with new preconditions changes nothing: they apply to this attempt only.
      const renewed = retry && Object.keys(retry).length > 0 ? { ...claim.state.intent, ...retry } : undefined;
      return await this.commitClaimed(caller, claim, claim.state, renewed);
    } finally {
      await claim.release().catch(() => {});
    }
  }

  /** tus termination: the bytes go, the state goes; a committed upload's version stays. */
  async terminate(caller: Caller, id: string): Promise<void> {
    const key = storageKey(id);
    const claim = await UploadClaim.take(this.opts.store.states, this.opts.clock, key, (state) => {
      if (!mayUse(caller, state)) throw noUpload();
    });
    claim.end();
    await this.opts.store.bytes.remove(key);
    await this.opts.store.states.remove(key);
    this.hashers.delete(key);
    this.opts.events?.('terminated');
  }

  /** Reclaim expired uploads, and bytes whose state is gone (src/domain/upload-sweep.ts). */
  async sweep(): Promise<SweepReport> {
    return sweepUploads(this.opts.store, this.opts.clock(), () => this.opts.events?.('expired'));
  }

  /** Open (not yet committed) uploads of `owner`, counted from the ids alone. */
  async openCount(owner: string): Promise<number> {
    const prefix = ownerPrefix(owner);
    return ((await this.opts.store.states.list(''))?.files ?? []).filter((id) => id.startsWith(prefix)).length;
  }

  /**
   * Commit `complete` (the claimed upload with every byte stored) under its recorded
   * preconditions, or under `renewed` ones (a retry's): the state is written with the outcome,
   * a version or, for the recorded preconditions only, a refusal. Any other failure leaves the
   * state as it was claimed.
   */
  private async commitClaimed(caller: Caller, claim: UploadClaim, complete: UploadState, renewed?: UploadIntent): Promise<{ state: UploadState; committed?: WriteResult }> {
    const asked = renewed ?? complete.intent;
    let state = complete;
    const sha256 = state.sha256 ?? (await this.hashOf(state));
    state = { ...state, sha256 };
    this.hashers.delete(state.id);
    const staged = await this.opts.store.bytes.stage(state.id, state.position);
    const content = { staged, sha256, size: state.position.length, contentType: state.contentType, comment: state.comment, upload: uploadTag(state.id) };
    let committed: WriteResult;
    try {
      const intent = await this.opts.dav.beforeFilesWrite(state.path, caller, intentOf(asked));
      committed = await this.opts.files.upload(caller, state.path, intent, content, asked.checkin);
    } catch (err) {
      if (err instanceof Problem) {
        // A refusal under the recorded preconditions is kept for whoever comes back; a retry's changes nothing.
        if (!renewed) await claim.release({ ...state, refused: err.toJSON() });
        this.opts.events?.('refused');
      }
      throw err;
    }
    const { refused: _refused, ...rest } = state;
    await claim.release({ ...rest, intent: asked, version: committed.version.version, expiresAt: this.expiry(this.opts.clock()) });
    this.opts.events?.('committed');
    await retire(this.opts.store, claim.state);
    return { state: claim.state, committed };
  }

  /** The SHA-256 of the stored bytes, read back (this process did not see them all arrive). */
  private async hashOf(state: UploadState): Promise<string> {
    const cached = this.hashers.get(state.id);
    if (cached?.length === state.position.length) return cached.hash.copy().digest('hex');
    const hash = createHash('sha256');
    await pipeline(await this.opts.store.bytes.read(state.id, state.position), hash);
    return hash.digest('hex');
  }

  /** A check-out the uploader holds (its token recorded) is kept alive while the upload is: each append extends it to the default timeout. */
  private async refreshLock(caller: Caller, state: UploadState): Promise<void> {
    const token = state.intent.token;
    if (!token) return;
    const seconds = this.opts.files.lockTimeouts.defaultSeconds;
    await this.opts.files.update(state.path, (record: FileRecord | undefined, now) => {
      const lock = liveLock(record, now);
      const until = now + seconds * 1000;
      if (!record || lock?.token !== token || lock.owner !== caller.name || Date.parse(lock.expiresAt) >= until - 60_000) return { result: undefined };
      return { next: { ...record, lock: { ...lock, expiresAt: new Date(until).toISOString() } }, result: undefined };
    });
  }

  private expiry(now: number): string {
    return new Date(now + this.opts.expirySeconds * 1000).toISOString();
  }
}

/** With users configured, an upload is its creator's alone (open mode: everyone is `anonymous`). */
function mayUse(caller: Caller, state: UploadState): boolean {
  return state.owner === caller.name;
}

/** The state ending at its position (the client's last bytes); 400 when a length given before says bytes are missing. */
async function endsHere(claim: UploadClaim, state: UploadState): Promise<UploadState> {
  if (state.length === null) return { ...state, length: state.position.length };
  if (state.length === state.position.length) return state;
  await claim.release(state);
  throw new Problem('bad-request', `these were said to be the last bytes, but ${state.length - state.position.length} of Upload-Length ${state.length} are missing`, { offset: state.position.length });
}

/** The state with a deferred length now given (once; never below what arrived, never over the limit). */
function withLength(state: UploadState, length: number | undefined, max: number): UploadState {
  if (length === undefined) return state;
  if (state.length !== null && state.length !== length) throw new Problem('bad-request', `Upload-Length was ${state.length}; it cannot change`);
  if (length < state.position.length) throw new Problem('bad-request', `Upload-Length ${length} is below the ${state.position.length} bytes already received`);
  if (length > max) throw new Problem('too-large', `Upload-Length ${length} is over the limit of ${max} bytes`);
  return { ...state, length };
}
