/**
 * The real side of the model-based test: sends a model step to the service over HTTP, reduces
 * the answer to the model's `Expect` shape and compares the two. Not a test file.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request, type Answer } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';
import { AS, multipart } from '../http/rest/_support.js';
import { type Expect, type HistoryView, type Op, PATHS, type Req, type VersionView } from './_ops.js';
import type { Model } from './model.js';

/** What a suite ran, for its figures line. */
export interface Stats {
  runs: number;
  commands: number;
  requests: number;
  versionsChecked: number;
  server5xx: number;
  /** Answers by status and problem code, e.g. `409 locked`. */
  answers: Record<string, number>;
}

export const newStats = (): Stats => ({ runs: 0, commands: 0, requests: 0, versionsChecked: 0, server5xx: 0, answers: {} });

export function summary(name: string, s: Stats): string {
  const answers = Object.entries(s.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `${name}: ${s.runs} runs, ${s.commands} commands, ${s.requests} requests, ${s.versionsChecked} versions checked, ${s.server5xx} 5xx; answers { ${answers} }`;
}

/** One run: its own paths under a fresh prefix of a server, and the real tokens behind the model's symbols. */
export interface Real {
  s: TestServer;
  prefix: string;
  tokens: Map<string, string>;
  blobsBefore: Set<string>;
  /** Requests sent in this run (picks the form of the next one). */
  sent: number;
  stats: Stats;
}

let runs = 0;

export async function openRun(s: TestServer, stats: Stats): Promise<Real> {
  stats.runs++;
  return { s, prefix: `run${++runs}`, tokens: new Map(), blobsBefore: new Set(await s.store.blobs()), sent: 0, stats };
}

/** One operation on both sides; throws on the first difference. */
export async function runOp(model: Model, real: Real, op: Op): Promise<void> {
  real.stats.commands++;
  if (op.op === 'advance') real.s.advance(op.seconds * 1000);
  const step = model.step(op);
  if (!step) return;
  const answer = await send(real, step.req);
  const seen = observe(real, step.req, answer, step.expect);
  same(seen, step.expect, `${JSON.stringify(op)} → ${answer.sent} → ${answer.status} ${answer.text.slice(0, 300)}`);
}

/** After a run: the whole history of every path, and the blobs: nothing stored beyond what the versions reference. */
export async function finalCheck(model: Model, real: Real): Promise<void> {
  for (let path = 0; path < PATHS.length; path++) {
    const req: Req = { kind: 'read', method: 'GET', path, query: '?versions', user: 'root', headers: {} };
    const answer = await send(real, req);
    same(observe(real, req, answer, {} as Expect), model.history(path), `final history of ${PATHS[path]}`);
  }
  const blobs = new Set(await real.s.store.blobs());
  const wanted = model.shas();
  const fresh = [...blobs].filter((b) => !real.blobsBefore.has(b) && !wanted.has(b));
  same({ unreferenced: fresh, missing: [...wanted].filter((b) => !blobs.has(b)), staged: await real.s.store.staged() }, { unreferenced: [], missing: [], staged: [] }, 'blobs after the run');
}

/**
 * The equivalent forms of one request, taken in turn (so a replay sends the same): CHECKOUT or
 * POST ?checkout, POST ?uncheckout or UNLOCK, and the token as `Lock-Token: <t>`, bare, or `If: (<t>)`.
 */
function variant(req: Req, n: number): { method: string; query: string; token: (t: string) => Record<string, string> } {
  const token = [(t: string) => ({ 'Lock-Token': `<${t}>` }), (t: string) => ({ 'Lock-Token': t }), (t: string) => ({ If: `(<${t}>)` })][n % 3] as (t: string) => Record<string, string>;
  const rest = (q: string) => q.replace(/^\?/, '&');
  if (n % 2 === 1 && req.method === 'CHECKOUT') return { method: 'POST', query: `?checkout${rest(req.query)}`, token };
  if (n % 2 === 1 && req.query.startsWith('?uncheckout')) return { method: 'UNLOCK', query: req.query.replace('?uncheckout&force', '?force').replace('?uncheckout', ''), token };
  return { method: req.method, query: req.query, token };
}

async function send(real: Real, req: Req): Promise<Answer & { sent: string }> {
  const form = variant(req, real.sent++);
  const headers: Record<string, string> = { ...AS[req.user], ...req.headers };
  if (req.token !== undefined) {
    const token = req.token === 'bogus' ? `urn:uuid:${randomUUID()}` : real.tokens.get(req.token);
    if (token === undefined) throw new Error(`no real token for ${req.token}`);
    Object.assign(headers, form.token(token));
  }
  const url = `${real.s.url}/files/${real.prefix}/${PATHS[req.path]}${form.query}`;
  let body: Buffer | undefined = req.body === undefined ? undefined : Buffer.from(req.body);
  if (req.form !== undefined && body !== undefined) {
    const encoded = multipart([{ name: 'file', filename: 'upload.txt', contentType: req.form, data: body }]);
    body = encoded.body;
    headers['Content-Type'] = encoded.contentType;
  }
  const answer = await request(url, { method: form.method, headers, ...(body !== undefined ? { body } : {}) });
  real.stats.requests++;
  if (answer.status >= 500) real.stats.server5xx++;
  const key = `${answer.status}${answer.json?.code ? ` ${answer.json.code}` : ''}`;
  real.stats.answers[key] = (real.stats.answers[key] ?? 0) + 1;
  return { ...answer, sent: `${form.method} ${PATHS[req.path]}${form.query} as ${req.user}` };
}

/** The answer in the model's shape: what is compared depends on the request and the status. */
function observe(real: Real, req: Req, a: Answer, expect: Expect): Expect {
  if (a.status >= 400) {
    const out: Expect = { status: a.status, code: a.json?.code };
    if (a.status === 409 || a.status === 412) {
      out.conflict = { currentVersion: a.json?.currentVersion, currentSha256: a.json?.currentSha256, lockOwner: a.json?.lock?.owner ?? null };
    }
    return out;
  }
  const fileVersion = () => Number(a.headers.get('file-version'));
  switch (req.kind) {
    case 'read':
    case 'readVersion':
      if (req.query === '?versions') return { status: a.status, history: historyOf(real, a.json) };
      return { status: a.status, version: fileVersion(), bytes: a.text };
    case 'put':
    case 'restore':
      return { status: a.status, version: a.json?.version };
    case 'checkin':
      return { status: a.status, version: a.json?.version?.version ?? null, released: a.json?.released };
    case 'delete':
      return { status: a.status, version: fileVersion() };
    case 'checkout': {
      const token = (a.headers.get('lock-token') ?? '').replace(/^<|>$/g, '');
      // A new lock: remember the real token behind the model's symbol.
      if (expect.lockToken !== undefined && !real.tokens.has(expect.lockToken)) real.tokens.set(expect.lockToken, token);
      const symbol = [...real.tokens].find(([, t]) => t === token)?.[0] ?? token;
      return { status: a.status, lock: { owner: a.json?.owner, baseVersion: a.json?.baseVersion }, lockToken: symbol };
    }
    default:
      return { status: a.status };
  }
}

function historyOf(real: Real, json: { versions?: Record<string, unknown>[]; lock?: { owner: string; baseVersion: number } | null } | undefined): HistoryView {
  const versions = (json?.versions ?? []).map(
    (v): VersionView => ({
      version: v.version as number,
      sha256: v.sha256 as string | null,
      size: v.size as number,
      contentType: v.contentType as string | null,
      author: v.author as string,
      comment: (v.comment as string | undefined) ?? null,
      deleted: v.deleted === true,
    }),
  );
  real.stats.versionsChecked += versions.length;
  return { versions, lock: json?.lock ? { owner: json.lock.owner, baseVersion: json.lock.baseVersion } : null };
}

/** Deep equality of the JSON forms (undefined fields dropped). */
function same(seen: unknown, expected: unknown, what: string): void {
  const norm = (x: unknown) => JSON.parse(JSON.stringify(x ?? null)) as unknown;
  deepStrictEqual(norm(seen), norm(expected), `service and model differ: ${what}`);
}
