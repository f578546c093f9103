/**
 * Shared helpers of the REST tests (not a test file: ava only runs `*.test.ts`).
 * Everything goes over real sockets; nothing here mocks the app.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { ExecutionContext } from 'ava';
import { hashSecret } from '../../../src/auth/secrets.js';
import { UserDirectory } from '../../../src/auth/users.js';
import { request, type Answer } from '../../helpers/http.js';
import type { TestServer } from '../../helpers/server.js';

export const sha256hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
export const sha256b64 = (data: string | Buffer): string => createHash('sha256').update(data).digest('base64');
export const md5b64 = (data: string | Buffer): string => createHash('md5').update(data).digest('base64');

/** A request sent exactly as given (no URL normalisation) with node:http. */
export function raw(base: string, method: string, rawPath: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes written on a fresh TCP connection; resolves with everything the server sent before closing. */
export function rawSocket(base: string, bytes: string): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export interface Part {
  name: string;
  /** Absent: a plain form field. */
  filename?: string;
  contentType?: string;
  data: string | Buffer;
}

/** A multipart/form-data body built byte by byte (so file names go out exactly as given). */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----kluis-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.filename !== undefined) head += `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST a multipart body to /files/<path>. */
export function postForm(base: string, target: string, parts: Part[], headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  const { body, contentType } = multipart(parts);
  return request(`${base}/files/${target}${query}`, { method: 'POST', body, headers: { 'Content-Type': contentType, ...headers } });
}

/** Asserts a problem+json answer with the given status and code. */
export function assertProblem(t: ExecutionContext, answer: Answer, status: number, code: string): void {
  t.is(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  t.regex(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
  t.is(answer.json?.status, status);
  t.is(answer.json?.code, code);
  t.is(typeof answer.json?.title, 'string');
  t.true((answer.json?.title ?? '').length > 0);
  t.is(typeof answer.json?.detail, 'string');
  t.true((answer.json?.detail ?? '').length > 0);
}

/** GET ?versions (the whole answer). */
export function history(s: TestServer, file: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(`${s.url}/files/${file}?versions`, { headers });
}

/**
 * Asserts that a refused request changed nothing: the history answer is the same as before
 * (or still 404), no staged file is left and the set of blobs is the one given.
 */
export async function assertUnchanged(t: ExecutionContext, s: TestServer, file: string, before: Answer, blobsBefore: string[], headers: Record<string, string> = {}): Promise<void> {
  const after = await history(s, file, headers);
  t.is(after.status, before.status, 'history status changed');
  t.deepEqual(after.json?.versions, before.json?.versions, 'history changed');
  t.deepEqual(await s.store.staged(), [], 'a staged file was left behind');
  t.deepEqual(await s.store.blobs(), blobsBefore, 'the set of blobs changed');
}

export function basic(name: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` };
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

export const PASSWORDS = { root: 'root-secret-1', alice: 'alice-secret-2', bob: 'bob-secret-3', reader: 'reader-secret-4' } as const;
export const ALICE_TOKEN = 'alice-bearer-token-5f0c';

/** Admin `root`, users `alice` (password and bearer token) and `bob`, read-only `reader`. */
export async function makeUsers(): Promise<UserDirectory> {
  return new UserDirectory([
    { name: 'root', role: 'admin', password: await hashSecret(PASSWORDS.root) },
    { name: 'alice', role: 'user', password: await hashSecret(PASSWORDS.alice), tokens: [await hashSecret(ALICE_TOKEN)] },
    { name: 'bob', role: 'user', password: await hashSecret(PASSWORDS.bob) },
    { name: 'reader', role: 'read-only', password: await hashSecret(PASSWORDS.reader) },
  ]);
}

export const AS = {
  root: basic('root', PASSWORDS.root),
  alice: basic('alice', PASSWORDS.alice),
  bob: basic('bob', PASSWORDS.bob),
  reader: basic('reader', PASSWORDS.reader),
};
