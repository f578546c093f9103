/**
 * The web UI built once for the tests that serve it (`npm test` builds it first; a single test
 * file run on its own builds it here when `dist/ui/` lacks it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { uiDirectory } from '../../src/http/ui.js';
import { ROOT } from './server.js';

let built: Promise<void> | undefined;

/** `npm run build:ui` as a child process: its pid, and the promise of its end. */
export function buildUi(): { pid: number | undefined; done: Promise<void> } {
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/ui/build.ts')], { cwd: ROOT });
  return { pid: run.child.pid, done: run.then(() => undefined) };
}

export function ensureUi(): Promise<void> {
  if (existsSync(path.join(uiDirectory(), 'index.html'))) return Promise.resolve();
  built ??= buildUi().done;
  return built;
}
