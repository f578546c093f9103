/**
 * `npm run build:ui`: the web UI bundled by esbuild into `dist/ui/` (app.js, app.css,
 * index.html), minified, for browsers of the last few years; nothing is loaded from elsewhere.
 * Each file is written beside its place and renamed into it, so a server starting meanwhile
 * (it reads the UI once, at its start; `npm start` rebuilds while another instance may start)
 * reads the old file or the new one, never half of one.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../../dist/ui');

async function replace(file: string, contents: Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, contents);
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

await mkdir(out, { recursive: true });
const { outputFiles } = await build({
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
  write: false,
});
for (const file of outputFiles) await replace(file.path, file.contents);
await replace(path.join(out, 'index.html'), await readFile(path.join(here, 'index.html')));
