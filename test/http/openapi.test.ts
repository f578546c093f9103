/**
 * The OpenAPI document against the running service: it is served and structurally valid, and
 * a scenario of real requests shows that every (method, path template, status) it declares is
 * answered and every answer provoked is declared, with the declared problem codes and headers.
 */
import { readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { createApp, createServer } from '../../src/app.js';
import type { KluisRecords } from '../../src/domain/types.js';
import { PROBLEMS } from '../../src/errors.js';
import { Drain } from '../../src/http/drain.js';
import { StorageUnavailable, type Storage } from '../../src/storage/contracts.js';
import { openFsStorage } from '../../src/storage/fs/index.js';
import { request, type Answer } from '../helpers/http.js';
import { ROOT, startServer, tempDir } from '../helpers/server.js';
import { ensureUi } from '../helpers/ui.js';
import { exerciseSession } from './openapi-session.js';
import { exerciseFolders } from './openapi-folders.js';
import { exerciseUploads, exerciseUploadsDown } from './openapi-uploads.js';
import { AS, makeUsers, multipart, raw, rawSocket, type Part } from './rest/_support.js';

type Json = any; // the document as fetched: walked generically

const OPERATION_KEYS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PATH_ITEM_KEYS = new Set(['$ref', 'summary', 'description', 'servers', 'parameters', ...OPERATION_KEYS]);

/** Resolve a local JSON pointer (`#/components/...`); undefined when it names nothing. */
function resolve(doc: Json, pointer: string): Json {
  if (!pointer.startsWith('#/')) return undefined;
  let node = doc;
  for (const token of pointer.slice(2).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}
const deref = (doc: Json, node: Json): Json => (node && typeof node.$ref === 'string' ? resolve(doc, node.$ref) : node);

/** Every operation: standard keys, and WebDAV methods under `x-kluis-methods`. */
function operations(doc: Json): { method: string; template: string; item: Json; op: Json }[] {
  const out = [];
  for (const [template, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const key of OPERATION_KEYS) if (item[key]) out.push({ method: key.toUpperCase(), template, item, op: item[key] });
    for (const [method, op] of Object.entries(item['x-kluis-methods'] ?? {})) out.push({ method, template, item, op });
  }
  return out;
}

/** What makes the document invalid OpenAPI 3.1 (the parts this project uses); empty when none. */
function structuralFaults(doc: Json): string[] {
  const faults: string[] = [];
  if (!/^3\.1\.\d+$/.test(doc.openapi)) faults.push(`openapi is ${doc.openapi}, not 3.1.x`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') faults.push('info needs title and version');
  const walk = (node: Json, where: string): void => {
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string' && resolve(doc, node.$ref) === undefined) faults.push(`${where}: $ref ${node.$ref} does not resolve`);
    for (const [key, value] of Object.entries(node)) walk(value, `${where}/${key}`);
  };
  walk(doc, '#');
  const ids = new Set<string>();
  for (const [template, item] of Object.entries<Json>(doc.paths ?? {})) {
    if (!template.startsWith('/')) faults.push(`path ${template} does not start with /`);
    for (const key of Object.keys(item)) if (!PATH_ITEM_KEYS.has(key) && !key.startsWith('x-')) faults.push(`${template}: unknown field ${key}`);
    for (const method of Object.keys(item['x-kluis-methods'] ?? {})) {
      if (!/^[A-Z][A-Z-]*$/.test(method) || OPERATION_KEYS.includes(method.toLowerCase())) faults.push(`${template}: x-kluis-methods ${method} is not a WebDAV method name`);
    }
  }
  for (const { method, template, item, op } of operations(doc)) {
    const where = `${method} ${template}`;
    if (typeof op.operationId !== 'string' || ids.has(op.operationId)) faults.push(`${where}: missing or duplicate operationId`);
    ids.add(op.operationId);
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => deref(doc, p));
    for (const p of params) if (!p?.name || !['path', 'query', 'header', 'cookie'].includes(p.in) || !(p.schema || p.content)) faults.push(`${where}: malformed parameter ${p?.name}`);
    const inPath = params.filter((p: Json) => p.in === 'path');
    const named = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const name of named) if (!inPath.some((p: Json) => p.name === name && p.required === true)) faults.push(`${where}: no required path parameter ${name}`);
    for (const p of inPath) if (!named.includes(p.name)) faults.push(`${where}: path parameter ${p.name} is not in the template`);
    const responses = Object.entries<Json>(op.responses ?? {});
    if (responses.length === 0) faults.push(`${where}: no responses`);
    for (const [status, response] of responses) {
      if (!/^(default|[1-5](\d\d|XX))$/.test(status)) faults.push(`${where}: response key ${status}`);
      if (typeof deref(doc, response)?.description !== 'string') faults.push(`${where} ${status}: no description`);
    }
    for (const requirement of op.security ?? doc.security ?? []) {
      for (const scheme of Object.keys(requirement)) if (!doc.components?.securitySchemes?.[scheme]) faults.push(`${where}: unknown security scheme ${scheme}`);
    }
  }
  return faults;
}

/** Every (method, template, status) the document declares. */
function declaredPairs(doc: Json): Set<string> {
  const pairs = new Set<string>();
  for (const { method, template, op } of operations(doc)) for (const status of Object.keys(op.responses)) if (/^\d{3}$/.test(status)) pairs.add(`${method} ${template} ${status}`);
  return pairs;
}

/** The template a concrete URL answers under (the query selects nothing: operations are keyed by path and method). */
function templateOf(url: string): string {
  const p = url.split('?')[0] as string;
  if (p.startsWith('/uploads/') && p !== '/uploads/') return '/uploads/{id}';
  if (p.startsWith('/ui/')) return '/ui/{asset}';
  if (p === '/files' || p === '/files/') return '/files/';
  if (p.startsWith('/files/')) return p.endsWith('/') ? '/files/{dir}/' : '/files/{path}';
  return p;
}

/** Sends requests and records what they answered, and where an answer differs from its declared response. */
class Recorder {
  readonly observed = new Map<string, string>();
  readonly faults: string[] = [];
  constructor(private readonly doc: Json) {}

  async send(base: string, method: string, url: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
    const answer = await raw(base, method, url, headers, body);
    const template = templateOf(url);
    const pair = `${method} ${template} ${answer.status}`;
    if (!this.observed.has(pair)) this.observed.set(pair, `${method} ${url}`);
    const op = operations(this.doc).find((o) => o.method === method && o.template === template)?.op;
    const declared = deref(this.doc, op?.responses?.[String(answer.status)]);
    if (declared) this.compare(`${method} ${url} ${answer.status}`, declared, answer);
    return answer;
  }

  async form(base: string, url: string, parts: Part[], headers: Record<string, string> = {}): Promise<Answer> {
    const { body, contentType } = multipart(parts);
    return this.send(base, 'POST', url, { ...headers, 'Content-Type': contentType }, body);
  }

  private compare(where: string, declared: Json, answer: Answer): void {
    for (const [name, h] of Object.entries<Json>(declared.headers ?? {})) {
      if (deref(this.doc, h)?.required && !answer.headers.has(name)) this.faults.push(`${where}: no ${name} header`);
    }
    const type = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const types = Object.keys(declared.content ?? {});
    if (type !== '' && (answer.text !== '' || types.length > 0) && !types.some((t) => t === type || t === '*/*' || (t.endsWith('/*') && type.startsWith(t.slice(0, -1))))) {
      this.faults.push(`${where}: Content-Type ${type} is not one of ${types.join(', ') || 'none'}`);
    }
    const code = answer.json?.code;
    if (typeof code === 'string' && type === 'application/problem+json') {
      if (!(declared['x-kluis-codes'] ?? []).includes(code)) this.faults.push(`${where}: problem code ${code} is not declared`);
      if (PROBLEMS[code as keyof typeof PROBLEMS]?.status !== answer.status) this.faults.push(`${where}: ${code} is not a ${answer.status} code`);
    }
  }
}

/** The real app on a real socket over a store that is down, and a drain to start. */
async function startBroken(): Promise<{ url: string; drain: Drain; close: () => Promise<void> }> {
  const outage = () => Promise.reject(new StorageUnavailable('the test store is down'));
  const part = new Proxy({}, { get: (_target, key) => (key === 'then' ? undefined : outage) });
  const storage = { blobs: part, records: part, history: part, collections: part, uploads: { states: part, bytes: part }, check: outage, close: async () => {} } as unknown as Storage<KluisRecords>;
  const drain = new Drain();
  const app = createApp({ config: { maxUploadBytes: 1024, lockDefaultSeconds: 60, lockMaxSeconds: 600 }, storage, logger: pino({ level: 'silent' }), drain });
  const server = createServer(app, 60);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, drain, close };
}

/** The real app over a real disk store whose blob staging fails as a full disk does (ENOSPC). */
async function startFull(): Promise<{ url: string; close: () => Promise<void> }> {
  const dir = await tempDir('kluis-openapi-full-');
  const real = await openFsStorage<KluisRecords>(dir);
  const stage = async (source: Readable) => {
    source.resume();
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  const storage = { ...real, blobs: Object.assign(Object.create(real.blobs) as typeof real.blobs, { stage }) };
  const app = createApp({ config: { maxUploadBytes: 1024, lockDefaultSeconds: 60, lockMaxSeconds: 600 }, storage, logger: pino({ level: 'silent' }) });
  const server = createServer(app, 60);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const close = async () => {
    await new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
    await real.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'CHECKOUT', 'UNLOCK', 'LOCK'];
const WRITES = METHODS.filter((m) => !['GET', 'HEAD', 'OPTIONS'].includes(m));
const URLS = ['/files/doc.txt', '/files/d/', '/files/'];
const BIG = Buffer.alloc(2000, 'x');
const tok = (token: string) => ({ 'Lock-Token': `<${token}>` });
const tokenOf = (answer: Answer) => (answer.headers.get('lock-token') ?? '').replace(/^<|>$/g, '');
const file = (name: string, data: string | Buffer): Part[] => [{ name: 'file', filename: name, data }];

async function fetchDocument(t: ExecutionContext): Promise<Json> {
  const s = await startServer();
  t.teardown(() => s.close());
  const answer = await request(`${s.url}/openapi.json`);
  t.is(answer.status, 200);
  t.regex(answer.headers.get('content-type') ?? '', /^application\/json/);
  return answer.json;
}

test('GET /openapi.json answers a structurally valid OpenAPI 3.1 document', async (t) => {
  const doc = await fetchDocument(t);
  t.deepEqual(structuralFaults(doc), []);
  t.is(doc.info.version, JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version);
  t.true(Object.keys(doc.components.securitySchemes).length >= 2);
});

test('the problem code enum holds every code of the PROBLEMS catalogue', async (t) => {
  const doc = await fetchDocument(t);
  t.deepEqual([...doc.components.schemas.Problem.properties.code.enum].sort(), Object.keys(PROBLEMS).sort());
});

test('the method names the parser refuses answer 501 as info.description says', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const doc = (await request(`${s.url}/openapi.json`)).json;
  for (const method of ['CHECKIN', 'UNCHECKOUT', 'VERSION-CONTROL']) {
    t.true(doc.info.description.includes(method), method);
    t.regex(await rawSocket(s.url, `${method} /files/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`), /^HTTP\/1\.1 501 [\s\S]*"method-not-supported"/);
  }
  t.true(doc.info.description.includes('501'));
});

test('every declared (method, path, status) is answered, and every answer is declared', async (t) => {
  const s = await startServer({ users: await makeUsers(), maxUploadBytes: 1024, retention: [{ prefix: 'ret/', keepLast: 1 }] });
  const broken = await startBroken();
  const full = await startFull();
  t.teardown(async () => {
    await s.close();
    await broken.close();
    await full.close();
  });
  const doc = (await request(`${s.url}/openapi.json`)).json;
  const r = new Recorder(doc);
  const { alice, bob, reader, root } = AS;
  const go = (method: string, url: string, headers: Record<string, string> = alice, body?: string | Buffer) => r.send(s.url, method, url, headers, body);
  const form = (url: string, parts: Part[], headers: Record<string, string> = alice) => r.form(s.url, url, parts, headers);

  // Files: uploads and their refusals.
  await go('PUT', '/files/doc.txt', alice, 'v1');
  const v2 = await go('PUT', '/files/doc.txt', alice, 'v2');
  await go('PUT', '/files/doc.txt?base=x', alice, 'v3');
  await go('PUT', '/files/doc.txt', { ...alice, 'Content-MD5': 'AAAAAAAAAAAAAAAAAAAAAA==' }, 'v3');
  await go('PUT', '/files/doc.txt', { ...alice, 'If-Match': '"0"' }, 'v3');
  await go('PUT', '/files/doc.txt', alice, BIG);
  await go('PUT', '/files/.DS_Store', alice, 'a desktop file');
  await go('GET', '/files/.DS_Store');
  await go('DELETE', '/files/Thumbs.db');
  await go('CHECKOUT', '/files/desktop.ini');
  await go('UNLOCK', '/files/desktop.ini');
  await go('POST', `/files/doc.txt?move-to=${encodeURIComponent('~$doc.txt')}`);
  await form('/files/doc.txt', file('x', 'v3'));
  await form('/files/new.txt', file('x', 'n1'));
  await form('/files/doc.txt', file('x', BIG));
  await go('POST', '/files/doc.txt?restore=x');
  await go('POST', '/files/doc.txt?restore=99');
  await go('POST', '/files/doc.txt?restore=1', { ...alice, 'If-Match': '"0"' });
  await go('POST', '/files/doc.txt?restore=1');

  // Reads, the same for GET and HEAD.
  for (const method of ['GET', 'HEAD']) {
    await go(method, '/files/doc.txt');
    await go(method, '/files/doc.txt?versions');
    await go(method, '/files/doc.txt?version=1');
    await go(method, '/files/doc.txt', { ...alice, Range: 'bytes=0-0' });
    await go(method, '/files/doc.txt', { ...alice, 'If-None-Match': v2.headers.get('etag') ?? '' });
    await go(method, '/files/doc.txt?version=2', { ...alice, 'If-None-Match': v2.headers.get('etag') ?? '' });
    await go(method, '/files/doc.txt', { ...alice, 'If-Match': '"0"' });
    await go(method, '/files/doc.txt', { ...alice, Range: 'bytes=99-' });
    await go(method, '/files/doc.txt?version=x');
    await go(method, '/files/none.txt');
    await go(method, '/files/doc.txt?lock');
  }

  // Locks: CHECKOUT, UNLOCK and their POST and PUT forms.
  await go('POST', '/files/doc.txt?uncheckout');
  const mine = tokenOf(await go('POST', '/files/doc.txt?checkout'));
  await go('GET', '/files/doc.txt?lock');
  await go('POST', '/files/doc.txt?checkin', { ...alice, ...tok(mine) });
  const again = tokenOf(await go('POST', '/files/doc.txt?checkout'));
  await go('POST', '/files/doc.txt?uncheckout', { ...alice, ...tok(again) });
  const bobs = tokenOf(await go('CHECKOUT', '/files/doc.txt', bob));
  await go('PUT', '/files/doc.txt', alice, 'v4');
  await go('DELETE', '/files/doc.txt');
  await go('CHECKOUT', '/files/doc.txt');
  await go('CHECKOUT', '/files/doc.txt', { ...alice, ...tok(bobs) });
  await go('UNLOCK', '/files/doc.txt', { ...alice, ...tok(bobs) });
  await go('UNLOCK', '/files/doc.txt');
  await go('POST', '/files/doc.txt?uncheckout&force', alice);
  await go('UNLOCK', '/files/doc.txt?force', root);
  await go('UNLOCK', '/files/doc.txt', { ...bob, ...tok(bobs) });
  await go('CHECKOUT', '/files/doc.txt', { ...alice, 'If-Match': '"0"' });
  const fresh = tokenOf(await go('CHECKOUT', '/files/fresh.txt'));
  await go('PUT', '/files/fresh.txt?checkin', { ...alice, ...tok(fresh) }, 'f1');

  // Retention, pinning and the admin API.
  await go('PUT', '/files/ret/a.txt', alice, 'r1');
  await go('PUT', '/files/ret/a.txt', alice, 'r2');
  for (const who of [root, alice, {}]) await go('POST', '/admin/retention', who);
  for (const method of ['GET', 'HEAD']) await go(method, '/files/ret/a.txt?version=1');
  await go('POST', '/files/ret/a.txt?restore=1');
  await go('POST', '/files/ret/a.txt?pin=1');
  await go('POST', '/files/ret/a.txt?pin=2');
  await go('POST', '/files/ret/a.txt?unpin=2');
  await go('POST', '/files/ret/a.txt?pin=9');
  for (const who of [root, alice, {}]) await go('GET', '/admin/stats', who);
  for (const who of [root, alice, {}]) await go('POST', '/admin/gc?dry-run', who);
  await go('POST', '/admin/gc?grace=5', root);

  // Resumable uploads (test/http/openapi-uploads.ts).
  await exerciseUploads(go);
  // The web UI and its sessions (test/http/openapi-session.ts).
  await ensureUi();
  await exerciseSession(go, (method, url, headers = {}, body) => r.send(broken.url, method, url, headers, body));

  // Deletes.
  await go('DELETE', '/files/none.txt');
  await go('DELETE', '/files/new.txt', { ...alice, 'If-Match': '"0"' });
  await go('DELETE', '/files/new.txt');

  // Directories and the root: listings and multipart uploads of several files.
  for (const dir of ['/files/d/', '/files/']) {
    await form(dir, [...file('a.txt', 'a'), ...file('sub/b.txt', 'b')]);
    await form(dir, [...file('a.txt', 'a'), ...file('sub/b.txt', 'b')]);
    await form(dir, file('c.txt', 'c'), { ...alice, 'If-Match': '"0"' });
    await form(dir, file('c.txt', BIG));
    const held = tokenOf(await go('CHECKOUT', `${dir}a.txt`, bob));
    await form(dir, file('a.txt', 'a2'));
    await go('UNLOCK', `${dir}a.txt`, { ...bob, ...tok(held) });
  }
  await go('GET', '/files/d');
  await go('HEAD', '/files/d');
  await go('GET', '/files/nodir/');
  await go('HEAD', '/files/nodir/');
  // Folders, moves and undelete (test/http/openapi-folders.ts).
  await exerciseFolders(go);

  // Every method on each kind of URL: as a writer, without credentials, as a read-only user,
  // and with an invalid path.
  for (const url of URLS) {
    for (const method of url === '/files/doc.txt' ? ['OPTIONS', 'LOCK'] : METHODS) await go(method, url);
    for (const method of METHODS) await go(method, url, {});
    for (const method of WRITES) await go(method, url, reader);
  }
  for (const url of ['/files/%2e%2e/x.txt', '/files/%2e%2e/']) for (const method of METHODS) await go(method, url);
  for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) await go('GET', url, {});

  // A store that is down, then a server that drains for shutdown.
  for (const phase of ['down', 'draining']) {
    if (phase === 'draining') broken.drain.start();
    for (const url of URLS) {
      for (const method of METHODS) {
        if (method === 'POST') await r.form(broken.url, url, file('x.txt', 'x'));
        else await r.send(broken.url, method, url, {}, method === 'PUT' ? 'x' : undefined);
      }
    }
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) await r.send(broken.url, 'GET', url);
    await exerciseUploadsDown((method, url, headers = {}, body) => r.send(broken.url, method, url, headers, body));
  }
  // A full disk: uploads are 507, nothing stored.
  await r.send(full.url, 'PUT', '/files/doc.txt', {}, 'x');
  for (const url of URLS) await r.form(full.url, url, file('x.txt', 'x'));

  // Still draining: the admin API is refused too.
  await r.send(broken.url, 'GET', '/admin/stats');
  await r.send(broken.url, 'POST', '/admin/gc');
  await r.send(broken.url, 'POST', '/admin/retention');

  const declared = declaredPairs(doc);
  const undeclared = [...r.observed].filter(([pair]) => !declared.has(pair)).map(([pair, example]) => `${pair} (${example})`);
  const unobserved = [...declared].filter((pair) => !r.observed.has(pair));
  t.deepEqual(undeclared, [], 'answers the document does not declare');
  t.deepEqual(unobserved, [], 'declared answers no request produced');
  t.deepEqual(r.faults, [], 'answers that differ from their declared response');
});
