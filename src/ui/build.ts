/**
 * `npm run build:ui`: the web UI bundled by esbuild into `dist/ui/` (app.js, app.css,
 * index.html), minified, for browsers of the last few years; nothing is loaded from elsewhere.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../../dist/ui');
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: path.join(here, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(path.join(here, 'index.html'), path.join(out, 'index.html'));
