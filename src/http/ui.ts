import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { Problem } from '../errors.js';

/**
 * The web UI's policy: its own scripts, styles and requests only; no inline script, no frames
 * around it, no plugin. Uploaded content is served with a sandbox of its own (src/http/user-content.ts).
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js.LEGAL.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** `dist/ui/` of the package this file is part of (run from `src/` or from `dist/src/`). */
export function uiDirectory(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'ui');
}

/** The built UI, read once (about 100 KB): `npm run build` makes it. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(TYPES)) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    const body = readFileSync(file);
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** `GET /` (the UI's page) and `GET /ui/<asset>`, with the UI's CSP. */
export function uiRoutes(router: Router, dir = uiDirectory()): void {
  const assets = loadAssets(dir);
  const serve = (name: string) => (ctx: Context) => {
    const asset = assets.get(name);
    if (!asset) throw new Problem('not-found', name === 'index.html' ? 'the web UI is not built: run `npm run build`' : `no UI asset ${name}`);
    ctx.set({
      'Content-Security-Policy': UI_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
    });
    ctx.type = asset.type;
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  };
  router.get('/', serve('index.html'));
  router.get('/ui/:asset', (ctx) => serve(ctx.params.asset ?? '')(ctx));
}
