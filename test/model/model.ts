/**
 * An in-memory reference model of the /files rules (docs/api.md, docs/storage-design.md "Choices where the contract
 * is silent"): versions, delete markers, restore, idempotent same-bytes uploads, If-Match /
 * If-None-Match: * / ?base=N, check-out locks (owner, token, expiry by a fake clock), check-in,
 * uncheck-out and an admin's force. Operations are plain data naming their targets symbolically
 * ("the held token", "a stale ETag"), resolved against the model's state when they run, so a
 * counterexample can be stored and replayed as it is.
 */
import { createHash } from 'node:crypto';
import { type Actor, type Cond, type Expect, LOCK_SECONDS, type LockView, type Op, PATHS, type Pick, type Req, type TokenRef, type User, type VersionView } from './_ops.js';

interface MVersion extends VersionView {
  content: string | null;
}

interface MLock extends LockView {
  token: string;
  expiresAt: number;
}

interface MFile {
  /** A record exists (any version, or a check-out that reserved the path). */
  exists: boolean;
  versions: MVersion[];
  /** The record's lock, live or expired (an expired lock is no lock). */
  lock: MLock | null;
}

interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  base?: number;
}

export const sha256hex = (s: string): string => createHash('sha256').update(s).digest('hex');

class Refused extends Error {
  constructor(readonly expect: Expect) {
    super(expect.code);
  }
}

export class Model {
  /** Milliseconds since the run started (the server's clock moves by the same amounts). */
  now = 0;
  readonly files: MFile[] = PATHS.map(() => ({ exists: false, versions: [], lock: null }));
  private readonly issued: { sym: string; path: number; owner: User }[] = [];

  /**
   * False for an operation naming the held token of a path that never had a lock: it would be
   * the same request as with no token (fast-check then skips it, and does not print it).
   */
  applicable(op: Op): boolean {
    if (!('token' in op) || op.token !== 'held') return true;
    return this.files[op.path]?.lock != null || this.issued.some((t) => t.path === op.path);
  }

  /** Resolves `op` into a request, decides the answer and applies the change; null for clock moves. */
  step(op: Op): { req: Req; expect: Expect } | null {
    if (op.op === 'advance') {
      this.now += op.seconds * 1000;
      return null;
    }
    const f = this.files[op.path] as MFile;
    const base: Omit<Req, 'method'> = { kind: op.op, path: op.path, query: '', user: 'alice', headers: {} };
    const user = 'user' in op ? this.actor(op.path, op.user) : 'alice';
    switch (op.op) {
      case 'read':
        return { req: { ...base, method: 'GET', query: op.what === 'history' ? '?versions' : '' }, expect: op.what === 'history' ? this.history(op.path) : this.bytes(current(f)) };
      case 'readVersion': {
        const n = this.pick(f, op.pick, op.i);
        const v = f.versions.find((x) => x.version === n);
        return { req: { ...base, method: 'GET', query: `?version=${n}` }, expect: this.bytes(v && !v.deleted ? v : null) };
      }
      case 'force':
        return { req: { ...base, user, method: 'POST', query: '?uncheckout&force' }, expect: this.decide(f, () => this.force(f, user), user) };
    }
    const req: Req = { ...base, user, method: 'POST', token: this.tokenOf(op.path, op.token) };
    if (req.token === undefined) delete req.token;
    const t = req.token;
    if (op.op === 'uncheckout') return { req: { ...req, query: '?uncheckout' }, expect: this.decide(f, () => this.uncheckout(f, user, t), user) };
    const n = op.op === 'restore' ? this.pick(f, op.pick, op.i) : 0;
    req.query = op.op === 'restore' ? `?restore=${n}` : op.op === 'checkin' ? '?checkin' : '';
    const c = this.conditions(f, op.cond, req);
    switch (op.op) {
      case 'put':
        // PUT with a raw body, or POST multipart/form-data with one file part: the same upload.
        Object.assign(req, op.form ? { method: 'POST', body: op.content, form: op.type } : { method: 'PUT', body: op.content, headers: { ...req.headers, 'Content-Type': op.type } });
        return { req, expect: this.decide(f, () => this.upload(f, user, t, c, op.content, op.type, false), user) };
      case 'delete':
        return { req: { ...req, method: 'DELETE' }, expect: this.decide(f, () => this.remove(f, user, t, c), user) };
      case 'checkin': {
        // POST ?checkin with an empty raw body only releases; PUT, or a file part, stores even empty bytes.
        const put = op.method !== 'POST' || op.content !== '';
        const form = op.method === 'FORM' ? { form: 'text/plain' } : { headers: { ...req.headers, 'Content-Type': 'text/plain' } };
        Object.assign(req, { method: op.method === 'PUT' ? 'PUT' : 'POST', body: op.content, ...form });
        return { req, expect: this.decide(f, () => (put ? this.upload(f, user, t, c, op.content, 'text/plain', true) : this.release(f, user, t, c)), user) };
      }
      case 'checkout':
        return { req: { ...req, method: 'CHECKOUT' }, expect: this.decide(f, () => this.checkout(f, op.path, user, t, c), user) };
      case 'restore':
        return { req, expect: this.decide(f, () => this.restore(f, user, t, n, c), user) };
    }
  }

  /** `GET ?versions` as the model has it. */
  history(path: number): Expect {
    const f = this.files[path] as MFile;
    if (!f.exists) return { status: 404, code: 'not-found' };
    const live = this.live(f);
    const versions = [...f.versions].reverse().map(({ content: _c, ...v }) => v);
    return { status: 200, history: { versions, lock: live && { owner: live.owner, baseVersion: live.baseVersion } } };
  }

  /** Every sha256 the run's versions reference. */
  shas(): Set<string> {
    return new Set(this.files.flatMap((f) => f.versions.flatMap((v) => (v.sha256 ? [v.sha256] : []))));
  }

  private bytes(v: MVersion | null): Expect {
    return v ? { status: 200, version: v.version, bytes: v.content ?? '' } : { status: 404, code: 'not-found' };
  }

  private decide(_f: MFile, action: () => Expect, user: User): Expect {
    if (user === 'reader') return { status: 403, code: 'forbidden' };
    try {
      return action();
    } catch (err) {
      if (err instanceof Refused) return err.expect;
      throw err;
    }
  }

  private live(f: MFile): MLock | null {
    return f.lock && f.lock.expiresAt > this.now ? f.lock : null;
  }

  private refuse(f: MFile, status: number, code: string): never {
    if (status !== 409 && status !== 412) throw new Refused({ status, code });
    const live = this.live(f);
    const conflict = { currentVersion: head(f), currentSha256: current(f)?.sha256 ?? null, lockOwner: live?.owner ?? null };
    throw new Refused({ status, code, conflict });
  }

  private actor(path: number, actor: Actor): User {
    if (actor !== 'holder') return actor;
    const sym = this.files[path]?.lock?.token ?? this.issued.filter((t) => t.path === path).at(-1)?.sym;
    return this.issued.find((t) => t.sym === sym)?.owner ?? 'alice';
  }

  private tokenOf(path: number, ref: TokenRef): string | undefined {
    if (ref === 'none') return undefined;
    if (ref === 'bogus') return 'bogus';
    const lock = this.files[path]?.lock;
    if (ref === 'held') return lock?.token ?? this.issued.filter((t) => t.path === path).at(-1)?.sym;
    return [...this.issued].reverse().find((t) => t.sym !== lock?.token)?.sym ?? 'bogus';
  }

  private conditions(f: MFile, cond: Cond, req: Req): Conditions {
    const cur = current(f);
    const stale = [...f.versions].reverse().find((v) => v.sha256 && v.sha256 !== cur?.sha256)?.sha256 ?? sha256hex('stale');
    const n = head(f);
    const out: Conditions =
      cond === 'if-match'
        ? { ifMatch: cur?.sha256 ?? '*' }
        : cond === 'if-match-stale'
          ? { ifMatch: stale }
          : cond === 'if-none-match'
            ? { ifNoneMatch: '*' }
            : cond === 'base'
              ? { base: n }
              : cond === 'base-stale'
                ? { base: n > 0 ? n - 1 : 1 }
                : {};
    if (out.ifMatch !== undefined) req.headers['If-Match'] = out.ifMatch === '*' ? '*' : `"${out.ifMatch}"`;
    if (out.ifNoneMatch !== undefined) req.headers['If-None-Match'] = out.ifNoneMatch;
    if (out.base !== undefined) req.query += `${req.query ? '&' : '?'}base=${out.base}`;
    return out;
  }

  private pick(f: MFile, pick: Pick, i: number): number {
    const pool = f.versions.filter((v) => (pick === 'marker' ? v.deleted : !v.deleted));
    return pick !== 'missing' && pool.length > 0 ? (pool[i % pool.length] as MVersion).version : head(f) + 1 + (i % 3);
  }

  /** Lock check of every write: someone else's live lock 409, another user's token 403, a dead token 409. */
  private gate(f: MFile, user: User, token: string | undefined, lockRequired: boolean): MLock | null {
    const live = this.live(f);
    if (live && token !== live.token) this.refuse(f, 409, 'locked');
    if (live && live.owner !== user) this.refuse(f, 403, 'forbidden');
    if (!live && (lockRequired || token !== undefined)) this.refuse(f, 409, 'not-checked-out');
    return live;
  }

  /** Conditional headers (412), then the request's and the lock's base version (409 modified). */
  private state(f: MFile, c: Conditions, lock: MLock | null): void {
    const cur = current(f);
    if (c.ifMatch !== undefined && !(cur && (c.ifMatch === '*' || c.ifMatch === cur.sha256))) this.refuse(f, 412, 'precondition-failed');
    if (c.ifNoneMatch !== undefined && cur) this.refuse(f, 412, 'precondition-failed');
    if (c.base !== undefined && c.base !== head(f)) this.refuse(f, 409, 'modified');
    if (lock && lock.baseVersion !== head(f)) this.refuse(f, 409, 'modified');
  }

  private upload(f: MFile, user: User, token: string | undefined, c: Conditions, content: string, type: string, checkin: boolean): Expect {
    const lock = this.gate(f, user, token, checkin);
    this.state(f, c, lock);
    return this.add(f, user, lock, { content, contentType: type, comment: null }, checkin);
  }

  /** A new version, unless the bytes equal the current version's (then 200, nothing new). */
  private add(f: MFile, user: User, lock: MLock | null, v: { content: string; contentType: string | null; comment: string | null }, checkin: boolean): Expect {
    const cur = current(f);
    const sha = sha256hex(v.content);
    if (cur && cur.sha256 === sha) {
      if (checkin) f.lock = null;
      return { status: 200, version: cur.version, ...(checkin ? { released: true } : {}) };
    }
    const version: MVersion = { version: head(f) + 1, sha256: sha, size: Buffer.byteLength(v.content), author: user, deleted: false, ...v };
    f.versions.push(version);
    f.exists = true;
    // The holder's lock follows the file to its new head; any other (expired) lock is dropped.
    f.lock = lock && !checkin ? { ...lock, baseVersion: version.version } : null;
    return { status: cur === null && !checkin ? 201 : 200, version: version.version, ...(checkin ? { released: true } : {}) };
  }

  private release(f: MFile, user: User, token: string | undefined, c: Conditions): Expect {
    const lock = this.gate(f, user, token, true);
    this.state(f, c, lock);
    f.lock = null;
    return { status: 200, version: current(f)?.version ?? null, released: true };
  }

  private remove(f: MFile, user: User, token: string | undefined, c: Conditions): Expect {
    const lock = this.gate(f, user, token, false);
    this.state(f, c, lock);
    if (!current(f)) this.refuse(f, 404, 'not-found');
    const marker: MVersion = { version: head(f) + 1, sha256: null, size: 0, contentType: null, author: user, comment: null, deleted: true, content: null };
    f.versions.push(marker);
    f.lock = lock && { ...lock, baseVersion: marker.version };
    return { status: 204, version: marker.version };
  }

  private restore(f: MFile, user: User, token: string | undefined, n: number, c: Conditions): Expect {
    const lock = this.gate(f, user, token, false);
    this.state(f, c, lock);
    const source = f.versions.find((v) => v.version === n);
    if (!source) this.refuse(f, 404, 'not-found');
    if (source.deleted) this.refuse(f, 400, 'bad-request');
    return this.add(f, user, lock, { content: source.content ?? '', contentType: source.contentType, comment: `restored from version ${n}` }, false);
  }

  private checkout(f: MFile, path: number, user: User, token: string | undefined, c: Conditions): Expect {
    const held = this.gate(f, user, token, false);
    this.state(f, c, held);
    const expiresAt = this.now + LOCK_SECONDS * 1000;
    let lock: MLock;
    if (held) {
      lock = { ...held, expiresAt };
    } else {
      lock = { token: `t${this.issued.length + 1}`, owner: user, expiresAt, baseVersion: head(f) };
      this.issued.push({ sym: lock.token, path, owner: user });
    }
    f.lock = lock;
    f.exists = true;
    return { status: 200, lock: { owner: lock.owner, baseVersion: lock.baseVersion }, lockToken: lock.token };
  }

  private uncheckout(f: MFile, user: User, token: string | undefined): Expect {
    this.gate(f, user, token, true);
    f.lock = null;
    return { status: 204 };
  }

  private force(f: MFile, user: User): Expect {
    if (user !== 'root') this.refuse(f, 403, 'forbidden');
    if (!this.live(f)) this.refuse(f, 409, 'not-checked-out');
    f.lock = null;
    return { status: 204 };
  }
}

/** Newest version number, delete markers included; 0 for none. */
function head(f: MFile): number {
  return f.versions.at(-1)?.version ?? 0;
}

/** The newest version unless it is a delete marker. */
function current(f: MFile): MVersion | null {
  const v = f.versions.at(-1);
  return v && !v.deleted ? v : null;
}
