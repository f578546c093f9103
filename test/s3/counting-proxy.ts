import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Server } from './ceph.js';

/** One S3 request as the proxy forwarded it: method, key below the bucket (decoded; a listing's prefix), query names. */
export interface S3Request {
  method: string;
  key: string;
  query: string[];
}

/**
 * A counting proxy in front of a real S3 server: every request is forwarded unchanged (the
 * Host header too, so SigV4 signatures stay valid) and noted. `since(mark)` gives the requests
 * made after a mark, without the background ones (session heartbeats), so a test can count
 * what one operation cost.
 */
export interface CountingProxy {
  /** The S3 server as seen through the proxy (same credentials, the proxy's endpoint). */
  server: S3Server;
  mark(): number;
  /** The requests since `mark` that belong to an operation (not the background ones). */
  since(mark: number): S3Request[];
  /** The background requests since `mark` (heartbeats, looks for removal windows). */
  background(mark: number): S3Request[];
  stop(): Promise<void>;
}

/** Keys that are not part of any operation: heartbeats and their reclaim scan, the looks for removal windows. */
const BACKGROUND = /(^|\/)(sessions\/|gc\/removals$)/;

export async function countingProxy(target: S3Server): Promise<CountingProxy> {
  const upstream = new URL(target.endpoint);
  const seen: S3Request[] = [];
  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, , ...key] = url.pathname.split('/'); // path style: /<bucket>/<key>
    // A listing is a GET of the bucket: its key is the prefix it lists.
    const named = decodeURIComponent(key.join('/')) || (url.searchParams.get('prefix') ?? '');
    seen.push({ method: req.method ?? '', key: named, query: [...url.searchParams.keys()] });
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  proxy.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    server: { ...target, endpoint: `http://127.0.0.1:${port}`, stop: async () => {} },
    mark: () => seen.length,
    since: (mark) => seen.slice(mark).filter((r) => !BACKGROUND.test(r.key)),
    background: (mark) => seen.slice(mark).filter((r) => BACKGROUND.test(r.key)),
    stop: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}
