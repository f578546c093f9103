/**
 * What an interrupted bench (SIGINT, SIGTERM) must not leave behind: child processes it started
 * are killed and temporary dirs removed. Normal runs clean up after themselves; this is the
 * backstop, and kills registered processes also when the bench exits on an error.
 */
import { rmSync } from 'node:fs';

const kills = new Set<() => void>();
const temps = new Set<string>();
let hooked = false;

function killAll(): void {
  for (const kill of kills) {
    try {
      kill();
    } catch {
      // already gone
    }
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      for (const dir of temps) rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

/** Run `kill` (synchronous, e.g. a SIGKILL) on exit or interruption until `forget` is called. */
export function killOnExit(kill: () => void): () => void {
  hook();
  kills.add(kill);
  return () => kills.delete(kill);
}

/** Remove `dir` if the bench is interrupted; `forget` once it was removed normally. */
export function removeOnSignal(dir: string): () => void {
  hook();
  temps.add(dir);
  return () => temps.delete(dir);
}
