/**
 * Jepsen-style history of the concurrency suite (not a test file): clients that record what
 * the servers acknowledged, and pure checkers that compare that record with the stored history.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Answer } from '../helpers/http.js';

export const sha = (data: string): string => createHash('sha256').update(data).digest('hex');

/** A write answered 2xx: the line it appended, the version it read, the version it was given. */
export interface Ack {
  file: string;
  kind: 'if-match' | 'checkin';
  token: string;
  based: number;
  version: number;
  sha256: string;
}

/** A check-out → check-in that succeeded. Client times are performance.now() (one monotonic clock). */
export interface Hold {
  file: string;
  token: string;
  /** [CHECKOUT answered, check-in sent]: inside the real hold, so two that overlap prove a double hold. */
  inner: [number, number];
  /** [CHECKOUT sent, check-in answered]: contains the real hold; overlaps are legitimate, only counted. */
  outer: [number, number];
  /** Server clock (both processes share the host's): the lock's createdAt, the checked-in version's createdAt. */
  server: [number, number];
  baseVersion: number;
  readVersion: number;
  version: number;
}

const counters = { ops: 0, ifMatchOps: 0, checkoutOps: 0, precondition412: 0, locked409: 0, retries: 0, gaveUp: 0, serverErrors: 0, networkErrors: 0 };

export class History {
  acks: Ack[] = [];
  holds: Hold[] = [];
  /** Writes whose answer never arrived: they may or may not be stored. */
  ambiguous: Array<{ file: string; token: string }> = [];
  stats = { ...counters };
  unexpected: string[] = [];
}

/** Seeded PRNG (mulberry32), so a run's choices can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface Workload {
  servers: string[];
  files: string[];
  clients: number;
  opsPerClient: number;
  seed: number;
}

/** Attempts of one operation before the client gives up on it (counted, not an error). */
const MAX_TRIES = 300;
const LOCK_SECONDS = 3600;

/** Run every client at once; each operation picks a file, a kind and, per request, a server. */
export async function runClients(w: Workload, h: History): Promise<void> {
  await Promise.all(
    Array.from({ length: w.clients }, async (_, i) => {
      const random = prng(w.seed + i);
      const c = new Client(i, w, h, random);
      for (let j = 0; j < w.opsPerClient; j++) {
        const file = w.files[Math.floor(random() * w.files.length)] as string;
        h.stats.ops++;
        if (random() < 0.5) await c.ifMatch(j, file);
        else await c.checkout(j, file);
      }
    }),
  );
}

class Client {
  constructor(
    private readonly i: number,
    private readonly w: Workload,
    private readonly h: History,
    private readonly random: () => number,
  ) {}

  private url(file: string, query = ''): string {
    return `${this.w.servers[Math.floor(this.random() * this.w.servers.length)]}/files/${file}${query}`;
  }

  private backoff(): Promise<void> {
    return sleep(2 + this.random() * 18);
  }

  /** One request; 5xx and network errors are counted; a lost answer makes the write ambiguous. */
  private async send(url: string, init: RequestInit = {}, write?: { file: string; token: string }): Promise<Answer | undefined> {
    try {
      const answer = await request(url, init);
      if (answer.status >= 500) this.h.stats.serverErrors++;
      return answer;
    } catch (err) {
      this.h.stats.networkErrors++;
      if (write) this.h.ambiguous.push(write);
      this.h.unexpected.push(`${init.method ?? 'GET'} ${url}: ${(err as Error).message}`);
      return undefined;
    }
  }

  private odd(what: string, answer: Answer | undefined): void {
    if (answer) this.h.unexpected.push(`${what}: ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  /** GET, append one line, PUT with If-Match; 412 re-reads, 409 locked backs off. */
  async ifMatch(j: number, file: string): Promise<void> {
    this.h.stats.ifMatchOps++;
    for (let k = 0; k < MAX_TRIES; k++) {
      if (k > 0) this.h.stats.retries++;
      const read = await this.send(this.url(file));
      if (read?.status !== 200) {
        this.odd(`GET ${file}`, read);
        await this.backoff();
        continue;
      }
      const token = `client-${this.i}-op-${j}-try-${k}`;
      const body = `${read.text}${token}\n`;
      const headers = { 'If-Match': read.headers.get('etag') ?? '', 'Content-Type': 'text/plain' };
      const wrote = await this.send(this.url(file), { method: 'PUT', body, headers }, { file, token });
      if (wrote && (wrote.status === 200 || wrote.status === 201)) {
        const based = Number(read.headers.get('file-version'));
        this.h.acks.push({ file, kind: 'if-match', token, based, version: wrote.json.version, sha256: wrote.json.sha256 });
        if (wrote.json.sha256 !== sha(body)) this.h.unexpected.push(`PUT ${file} answered sha256 ${wrote.json.sha256} for other bytes`);
        return;
      }
      if (wrote?.status === 412) this.h.stats.precondition412++;
      else if (wrote?.status === 409 && wrote.json?.code === 'locked') this.h.stats.locked409++;
      else this.odd(`PUT ${file} If-Match`, wrote);
      if (wrote?.status !== 412) await this.backoff();
    }
    this.h.stats.gaveUp++;
  }

  /** CHECKOUT (method or POST form), GET, append one line, check in (PUT or POST form). */
  async checkout(j: number, file: string): Promise<void> {
    this.h.stats.checkoutOps++;
    for (let k = 0; k < MAX_TRIES; k++) {
      if (k > 0) this.h.stats.retries++;
      const viaMethod = this.random() < 0.5;
      const t0 = performance.now();
      const taken = await this.send(this.url(file, viaMethod ? '' : '?checkout'), { method: viaMethod ? 'CHECKOUT' : 'POST', headers: { Timeout: `Second-${LOCK_SECONDS}` } });
      const t1 = performance.now();
      if (taken?.status === 409 && taken.json?.code === 'locked') {
        this.h.stats.locked409++;
        await this.backoff();
        continue;
      }
      if (taken?.status !== 200) throw new Error(`CHECKOUT ${file} answered ${taken?.status ?? 'nothing'}: ${taken?.text ?? ''} (a lock may be left held)`);
      const lockToken = taken.headers.get('lock-token') ?? '';
      const read = await this.send(this.url(file));
      const token = `client-${this.i}-op-${j}-try-${k}`;
      const headers = { 'Lock-Token': lockToken, 'Content-Type': 'text/plain' };
      const init = { method: this.random() < 0.5 ? 'PUT' : 'POST', body: `${read?.text}${token}\n`, headers };
      const t2 = performance.now();
      const wrote = read?.status === 200 ? await this.send(this.url(file, '?checkin'), init, { file, token }) : undefined;
      const t3 = performance.now();
      if (read && wrote?.status === 200 && wrote.json?.released === true) {
        const { version, sha256, createdAt } = wrote.json.version;
        const based = Number(read.headers.get('file-version'));
        this.h.acks.push({ file, kind: 'checkin', token, based, version, sha256 });
        const server: [number, number] = [Date.parse(taken.json.createdAt), Date.parse(createdAt)];
        this.h.holds.push({ file, token, inner: [t1, t2], outer: [t0, t3], server, baseVersion: taken.json.baseVersion, readVersion: based, version });
        return;
      }
      this.odd(`GET under lock or check-in of ${file}`, wrote ?? read);
      await this.send(this.url(file), { method: 'UNLOCK', headers: { 'Lock-Token': lockToken } });
      await this.backoff();
    }
    this.h.stats.gaveUp++;
  }
}

/** A version as `?versions` lists it. */
export interface Listed {
  version: number;
  sha256: string | null;
  size: number;
  deleted?: boolean;
}

export type FileReport = Record<'versions' | 'gaps' | 'lost' | 'duplicated' | 'corrupted' | 'phantom' | 'stale', number> & { problems: string[] };

function note<K extends string>(r: Record<K, number> & { problems: string[] }, key: K, problem: string): void {
  r[key]++;
  r.problems.push(problem);
}

/**
 * One file's stored history against the acknowledged writes: numbers 1..head, each version's
 * bytes hash to its sha256, version 1 is the seed and every later one is its predecessor plus
 * exactly one line, each acknowledged line is stored exactly once at its answered version and is
 * still in the head (not overwritten), and no stored line lacks an acknowledgement (unless its
 * answer was lost on the wire).
 */
export function checkFile(seed: string, listed: Listed[], bytes: Map<number, string>, acks: Ack[], ambiguous: Set<string>): FileReport {
  const r: FileReport = { versions: listed.length, gaps: 0, lost: 0, duplicated: 0, corrupted: 0, phantom: 0, stale: 0, problems: [] };
  const ascending = [...listed].sort((a, b) => a.version - b.version);
  const numbers = ascending.map((v) => v.version);
  if (numbers.some((n, i) => n !== i + 1)) {
    note(r, 'gaps', `version numbers are not 1..${numbers.length}: ${numbers.join(',')}`);
  }
  const lineAt = new Map<string, number[]>();
  const shaAt = new Map<number, string | null>();
  for (const v of ascending) {
    shaAt.set(v.version, v.sha256);
    const body = bytes.get(v.version);
    if (v.deleted || body === undefined || v.sha256 === null) {
      note(r, 'corrupted', `version ${v.version} is deleted or unreadable`);
      continue;
    }
    if (sha(body) !== v.sha256 || Buffer.byteLength(body) !== v.size) {
      note(r, 'corrupted', `version ${v.version}: bytes hash to ${sha(body)} (${Buffer.byteLength(body)} B), listed ${v.sha256} (${v.size} B)`);
    }
    if (v.version === 1) {
      if (body !== seed) note(r, 'stale', 'version 1 is not the seed');
      continue;
    }
    const line = /([^\n]*)\n$/.exec(body)?.[1] ?? '';
    lineAt.set(line, [...(lineAt.get(line) ?? []), v.version]);
    const before = bytes.get(v.version - 1);
    if (before === undefined || body !== `${before}${line}\n` || line === '') {
      note(r, 'stale', `version ${v.version} (${line}) is not version ${v.version - 1} plus one line: written on a stale read`);
    }
  }
  const tokens = new Set(acks.map((a) => a.token));
  const head = bytes.get(ascending.at(-1)?.version ?? 0) ?? '';
  const kept = new Set(head.split('\n'));
  for (const a of acks) {
    const at = lineAt.get(a.token) ?? [];
    if (at.length === 0) note(r, 'lost', `acknowledged ${a.kind} ${a.token} (version ${a.version}) is in no version: lost update`);
    if (at.length > 0 && !kept.has(a.token)) note(r, 'lost', `acknowledged ${a.kind} ${a.token} (version ${a.version}) is missing from the head: overwritten`);
    if (at.length > 1) note(r, 'duplicated', `${a.token} is stored ${at.length} times: versions ${at.join(',')}`);
    if (at.length > 0 && (at[0] !== a.version || shaAt.get(a.version) !== a.sha256)) {
      note(r, 'lost', `${a.token} was answered as version ${a.version} (${a.sha256.slice(0, 12)}) but is stored at ${at.join(',')}`);
    }
    if (a.based !== a.version - 1) note(r, 'stale', `${a.kind} ${a.token} read version ${a.based} and became version ${a.version}`);
  }
  for (const [line, at] of lineAt) {
    if (!tokens.has(line) && !ambiguous.has(line)) note(r, 'phantom', `version ${at.join(',')} (${line}) was never acknowledged: a refused write was stored`);
  }
  return r;
}

/** `intruded`: holds whose lock base, read or checked-in version show another write inside the hold. */
export type HoldReport = Record<'holds' | 'overlaps' | 'serverOverlaps' | 'outerOverlaps' | 'intruded', number> & { problems: string[] };

/** Pairs of intervals (sorted by start) where one starts before an earlier one ends. */
function overlapping(holds: Hold[], key: 'inner' | 'outer' | 'server'): Array<[Hold, Hold]> {
  const found: Array<[Hold, Hold]> = [];
  let last: Hold | undefined;
  for (const h of [...holds].sort((a, b) => a[key][0] - b[key][0] || a[key][1] - b[key][1])) {
    if (last && h[key][0] < last[key][1]) found.push([last, h]);
    if (!last || h[key][1] > last[key][1]) last = h;
  }
  return found;
}

/**
 * Lock exclusion per file. Inner intervals lie inside the real holds, so any overlap (no
 * tolerance needed: one monotonic clock) is a double hold. Server times are whole ms from one
 * host clock: a lock is taken after the previous check-in was stored, so ties are allowed but
 * never a lock created before the previous holder's check-in. Outer intervals legitimately
 * overlap by up to a round trip and are only counted.
 */
export function checkHolds(holds: Hold[]): HoldReport {
  const r: HoldReport = { holds: holds.length, overlaps: 0, serverOverlaps: 0, outerOverlaps: 0, intruded: 0, problems: [] };
  for (const file of new Set(holds.map((h) => h.file))) {
    const mine = holds.filter((h) => h.file === file);
    const inner = overlapping(mine, 'inner');
    const server = overlapping(mine, 'server');
    r.overlaps += inner.length;
    r.serverOverlaps += server.length;
    r.outerOverlaps += overlapping(mine, 'outer').length;
    for (const [a, b] of inner) r.problems.push(`${file}: ${a.token} and ${b.token} held the lock at once (client clock)`);
    for (const [a, b] of server) r.problems.push(`${file}: ${b.token} took the lock at ${b.server[0]} before ${a.token} checked in at ${a.server[1]} (server clock)`);
    for (const h of mine) {
      if (h.readVersion !== h.baseVersion || h.version !== h.baseVersion + 1) {
        note(r, 'intruded', `${file}: ${h.token} locked at version ${h.baseVersion}, read ${h.readVersion}, checked in as ${h.version}`);
      }
    }
  }
  return r;
}
