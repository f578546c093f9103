/**
 * Helpers of the WebDAV client tests (not a test file): the real clients (litmus, cadaver,
 * rclone, GNOME's gio) found or installed, a fresh kluis process to point them at, a way to
 * run them, and a small reader for 207 Multi-Status bodies that knows nothing of the server's code.
 */
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import lockfile from 'proper-lockfile';
import { SaxesParser } from 'saxes';
import { startChild, tempDir } from '../helpers/server.js';
import { tracked } from '../helpers/children.js';

const exec = promisify(execFile);

const HOW = 'install the WebDAV test clients with `apt-get install litmus cadaver rclone gvfs-backends libglib2.0-bin dbus-daemon` (as root, on Debian or Ubuntu)';

/** The absolute path of `binary` on PATH (or in the usual bin directories), if any; an absolute `binary` is checked as it is. */
async function which(binary: string): Promise<string | undefined> {
  if (path.isAbsolute(binary))
    return (await access(binary, constants.X_OK).then(
      () => true,
      () => false,
    ))
      ? binary
      : undefined;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/bin', '/usr/bin', '/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, binary);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/**
 * The path of `binary`, installing `debianPackage` with apt-get when it is missing and this
 * process is root; otherwise an Error saying how to install it. Never a skip: a client test
 * that cannot run fails. Test files run in parallel processes, so installs are serialised by a
 * lock file and the binary is looked for again under it.
 */
export async function ensureTool(binary: string, debianPackage: string): Promise<string> {
  const found = await which(binary);
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error(`${binary} (Debian package ${debianPackage}) is not installed: ${HOW}`);
  const marker = path.join(os.tmpdir(), 'kluis-dav-tools-install');
  await writeFile(marker, '', { flag: 'a' });
  const release = await lockfile.lock(marker, { stale: 30_000, retries: { retries: 600, minTimeout: 1000, maxTimeout: 1000 } });
  try {
    const again = await which(binary);
    if (again) return again;
    const apt = (...args: string[]) => exec('apt-get', ['-o', 'DPkg::Lock::Timeout=300', '-qq', ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 2 ** 20 });
    try {
      await apt('install', '-y', debianPackage);
    } catch {
      // Most often a stale or empty package index (fresh containers have none).
      await apt('update').catch((err: unknown) => {
        throw new Error(
          `apt-get update failed (${String((err as { stderr?: string }).stderr ?? err)
            .trim()
            .slice(-500)}): ${HOW}`,
        );
      });
      await apt('install', '-y', debianPackage).catch((err: unknown) => {
        throw new Error(
          `apt-get install -y ${debianPackage} failed (${String((err as { stderr?: string }).stderr ?? err)
            .trim()
            .slice(-500)}): ${HOW}`,
        );
      });
    }
    const installed = await which(binary);
    if (!installed) throw new Error(`${binary} is still missing after apt-get install -y ${debianPackage}: ${HOW}`);
    return installed;
  } finally {
    await release();
  }
}

/** A fresh, empty directory removed when the test ends. */
export async function scratchDir(t: ExecutionContext, prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface DavServer {
  /** `http://127.0.0.1:<port>` (the `/files` API is under it). */
  url: string;
  /** `http://127.0.0.1:<port>/dav/` */
  dav: string;
  /** Everything the server logged so far. */
  output(): string;
}

/**
 * `src/main.ts` as its own process, as an operator runs it: one worker, local disk, open mode,
 * on a fresh data directory. Stopped and removed when the test ends.
 */
export async function startDavServer(t: ExecutionContext, env: Record<string, string> = {}): Promise<DavServer> {
  const dataDir = await tempDir('kluis-dav-');
  // Empty values read as unset: the developer's own KLUIS_* environment must not reach it.
  const child = await startChild(dataDir, { KLUIS_WORKERS: '1', KLUIS_STORAGE: 'fs', KLUIS_USERS_FILE: '', KLUIS_RETENTION: '', ...env });
  let stopping = false;
  // A server that dies under a client shows up there as "connection refused": say why here.
  child.child.once('exit', (code, signal) => {
    if (stopping) return;
    try {
      t.log(`kluis exited by itself (${signal ?? `code ${code}`}) during the test; its last log lines:\n${tail(child.output(), 30)}`);
    } catch {
      // the test has already ended
    }
  });
  t.teardown(async () => {
    stopping = true;
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { url: child.url, dav: `${child.url}/dav/`, output: child.output };
}

export interface Run {
  /** Exit code; null when killed (`timedOut` then says whether the timeout did it). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run a client to its end with `input` on stdin, killed after `timeoutMs`. Never rejects for a non-zero exit. */
export function runTool(file: string, args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = tracked(spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => {}); // a client that exits without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** The last `n` lines of a text. */
export function tail(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

/** One element of a parsed XML document, by namespace URI and local name. */
export interface XmlElement {
  ns: string;
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its children's), trimmed. */
  text: string;
}

/** Parse a whole XML document (namespaces resolved); throws on malformed XML. */
export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {};
    for (const [key, attr] of Object.entries(tag.attributes)) attributes[key] = attr.value;
    const el: XmlElement = { ns: tag.uri, name: tag.local, attributes, children: [], text: '' };
    stack.at(-1)?.children.push(el);
    root ??= el;
    stack.push(el);
  });
  const onText = (text: string) => {
    const el = stack.at(-1);
    if (el) el.text += text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const el = stack.pop();
    if (el) el.text = el.text.trim();
  });
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

/** The children of `el` named `name` in namespace `ns`. */
export function childrenOf(el: XmlElement | undefined, name: string, ns = 'DAV:'): XmlElement[] {
  return (el?.children ?? []).filter((c) => c.ns === ns && c.name === name);
}

/** The descendants of `el` (itself excluded) named `name` in namespace `ns`, in document order. */
export function descendantsOf(el: XmlElement | undefined, name: string, ns = 'DAV:'): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.ns === ns && c.name === name) found.push(c);
      visit(c);
    }
  };
  if (el) visit(el);
  return found;
}

/** One `D:response` of a 207 (RFC 4918 §14.24), with each property and the status of its propstat. */
export interface DavResponse {
  /** The href as sent, and its path decoded (`/dav/a b/`), for matching. */
  href: string;
  path: string;
  /** `D:status` of a response without propstats (e.g. a failed member of a DELETE). */
  status?: number;
  props: { status: number; el: XmlElement }[];
}

const statusCode = (line: string | undefined): number => Number(/^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line ?? '')?.[1] ?? 0);

/** The responses of a `D:multistatus` body; throws when the body is not one. */
export function readMultistatus(xml: string): DavResponse[] {
  const root = parseXml(xml);
  if (root.ns !== 'DAV:' || root.name !== 'multistatus') throw new Error(`expected a DAV:multistatus, got {${root.ns}}${root.name}`);
  return childrenOf(root, 'response').map((response) => {
    const href = childrenOf(response, 'href')[0]?.text ?? '';
    const props = childrenOf(response, 'propstat').flatMap((propstat) => {
      const status = statusCode(childrenOf(propstat, 'status')[0]?.text);
      return childrenOf(propstat, 'prop').flatMap((p) => p.children.map((el) => ({ status, el })));
    });
    const own = childrenOf(response, 'status')[0];
    return { href, path: decodeURIComponent(new URL(href, 'http://host/').pathname), props, ...(own ? { status: statusCode(own.text) } : {}) };
  });
}

/** A property of a response, with the status it was reported under. */
export function propOf(response: DavResponse | undefined, name: string, ns = 'DAV:'): { status: number; el: XmlElement } | undefined {
  return response?.props.find((p) => p.el.ns === ns && p.el.name === name);
}
