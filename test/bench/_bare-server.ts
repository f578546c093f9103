/**
 * The HTTP floors: a server answering every request with the same 4 KiB from memory, one
 * process, keep-alive. `BARE_STACK=node` (default) is bare Node HTTP; `BARE_STACK=koa` is the
 * stack kluis is built on, and nothing else: Koa, @koa/router matching `/files/*`, and one pino
 * line per request (kluis's logger, to stdout); `BARE_STACK=file` streams the file the URL names
 * under `BARE_DIR` as kluis streams a large blob (4 MiB reads through a FileHandle's stream).
 * Prints `listening <port>` once it listens on 127.0.0.1.
 */
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Router from '@koa/router';
import Koa from 'koa';
import { createLogger } from '../../src/logger.js';

const body = Buffer.alloc(Number(process.env.BARE_BYTES ?? 4096), 'x');

function nodeHandler(): http.RequestListener {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
    });
  };
}

function koaHandler(): http.RequestListener {
  const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, false);
  const router = new Router();
  router.get(/^\/files(?:\/.*)?$/, (ctx) => {
    ctx.type = 'application/octet-stream';
    ctx.body = body;
  });
  const app = new Koa();
  app.use(async (ctx, next) => {
    const started = performance.now();
    await next();
    logger.info({ method: ctx.method, route: '/files/*', status: ctx.status, ms: performance.now() - started }, 'request');
  });
  app.use(router.routes());
  return app.callback();
}

function fileHandler(dir: string): http.RequestListener {
  return (req, res) => {
    const serve = async () => {
      const handle = await open(path.join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)), 'r');
      const { size } = await handle.stat().catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
      await pipeline(handle.createReadStream({ highWaterMark: 4 << 20, start: 0, end: Math.max(0, size - 1) }), res);
    };
    serve().catch(() => {
      if (!res.headersSent) res.writeHead(404).end();
      else res.destroy();
    });
  };
}

const stacks: Record<string, () => http.RequestListener> = {
  node: nodeHandler,
  koa: koaHandler,
  file: () => fileHandler(process.env.BARE_DIR ?? '.'),
};
const server = http.createServer((stacks[process.env.BARE_STACK ?? 'node'] ?? nodeHandler)());
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
