/**
 * Shared helpers of the /dav HTTP tests (not a test file: ava only runs `*.test.ts`). A real
 * server in this process (`startServer`, on `KLUIS_TEST_BACKEND`), requests over real sockets
 * sent exactly as written (`raw`), and 207 bodies read with the XML reader of the client tests
 * (test/dav/_tools.ts), which knows nothing of the server's code.
 */
import type { ExecutionContext } from 'ava';
import { readMultistatus, type DavResponse } from '../../dav/_tools.js';
import type { Answer } from '../../helpers/http.js';
import { startServer, type ServerOptions, type TestServer } from '../../helpers/server.js';
import { raw } from '../rest/_support.js';

export { childrenOf, descendantsOf, parseXml, propOf, readMultistatus, type DavResponse } from '../../dav/_tools.js';

export const XML = { 'Content-Type': 'application/xml; charset=utf-8' };

/** A server for one test, closed when it ends. */
export async function davServer(t: ExecutionContext, options: ServerOptions = {}): Promise<TestServer> {
  const s = await startServer(options);
  t.teardown(() => s.close());
  return s;
}

/** A /dav request: `target` is the raw path after `/dav/` (percent-encoding as written). */
export function dav(s: TestServer, method: string, target: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return raw(s.url, method, `/dav/${target}`, headers, body);
}

/** A /files request: `target` is the raw path (and query) after `/files/`. */
export function files(s: TestServer, method: string, target: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return raw(s.url, method, `/files/${target}`, headers, body);
}

/** `127.0.0.1:<port>`: the Host the server sees, for absolute URLs in `If` and `Destination`. */
export function hostOf(s: TestServer): string {
  return new URL(s.url).host;
}

/** A DAV:lockinfo body (RFC 4918 §14.11). */
export function lockinfo(scope: 'exclusive' | 'shared' = 'exclusive', owner = 'tester'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">' +
    `<D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype>` +
    `<D:owner><D:href>${owner}</D:href></D:owner></D:lockinfo>`
  );
}

/** LOCK a /dav target; the answer and its token (without angle brackets, '' when none). */
export async function lock(s: TestServer, target: string, headers: Record<string, string> = {}, scope: 'exclusive' | 'shared' = 'exclusive'): Promise<Answer & { token: string }> {
  const answer = await dav(s, 'LOCK', target, { ...XML, Timeout: 'Second-600', ...headers }, lockinfo(scope));
  return { ...answer, token: (answer.headers.get('lock-token') ?? '').replace(/^<|>$/g, '') };
}

/** PROPFIND with a DAV:prop body naming `props` (`{ns}name` or a DAV: local name), or allprop. */
export async function propfind(s: TestServer, target: string, depth: '0' | '1' | 'infinity', props?: string[], headers: Record<string, string> = {}): Promise<Answer & { responses: DavResponse[] }> {
  const inner = props
    ? `<D:prop>${props
        .map((p) => {
          const m = /^\{([^}]*)\}(.+)$/.exec(p);
          return m ? `<x:${m[2]} xmlns:x="${m[1]}"/>` : `<D:${p}/>`;
        })
        .join('')}</D:prop>`
    : '<D:allprop/>';
  const answer = await dav(s, 'PROPFIND', target, { ...XML, Depth: depth, ...headers }, `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">${inner}</D:propfind>`);
  return { ...answer, responses: answer.status === 207 ? readMultistatus(answer.text) : [] };
}

/** The decoded paths of a 207's responses, sorted. */
export function pathsOf(responses: DavResponse[]): string[] {
  return responses.map((r) => r.path).sort();
}

/** A PROPPATCH body setting each `{ns}name` to its text value. */
export function setProps(props: Record<string, string>): string {
  const els = Object.entries(props).map(([key, value]) => {
    const m = /^\{([^}]*)\}(.+)$/.exec(key);
    if (!m) throw new Error(`property ${key} is not {ns}name`);
    return m[1] === 'DAV:' ? `<D:${m[2]}>${value}</D:${m[2]}>` : `<x:${m[2]} xmlns:x="${m[1]}">${value}</x:${m[2]}>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>${els.join('')}</D:prop></D:set></D:propertyupdate>`;
}

/** The live lock of a file as /files reports it (`?lock`): its status and body. */
export function lockOf(s: TestServer, file: string, headers: Record<string, string> = {}): Promise<Answer> {
  return files(s, 'GET', `${file}?lock`, headers);
}

/** The versions of a file as /files reports them, newest first ([] when it has none). */
export async function versionsOf(s: TestServer, file: string, headers: Record<string, string> = {}): Promise<{ version: number; sha256: string | null; deleted?: true }[]> {
  const answer = await files(s, 'GET', `${file}?versions`, headers);
  if (answer.status === 404) return [];
  if (answer.status !== 200) throw new Error(`GET /files/${file}?versions: ${answer.status} ${answer.text}`);
  return answer.json.versions;
}
