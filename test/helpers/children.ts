/**
 * Every process a test starts is tracked here, so that none outlives the test worker that
 * started it. A test that fails runs its teardowns; one that times out does not: ava ends its
 * worker with SIGTERM, and a child would be left running (seen: a server serving a deleted data
 * folder for minutes). On SIGTERM, SIGINT, SIGHUP or exit, the worker kills what is left (the
 * whole process group of a child started in its own group).
 */
import type { ChildProcess } from 'node:child_process';

const running = new Map<number, { group: boolean }>();
let installed = false;

/** Track `child` until it exits; `group` when it leads its own process group (spawned `detached`). */
export function tracked<T extends ChildProcess>(child: T, group = false): T {
  const pid = child.pid;
  if (pid === undefined) return child;
  running.set(pid, { group });
  child.once('exit', () => running.delete(pid));
  install();
  return child;
}

/** SIGKILL every tracked child still running; synchronous, so it works in an 'exit' handler. */
export function killTracked(): void {
  for (const [pid, { group }] of running) {
    try {
      process.kill(group ? -pid : pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killTracked);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killTracked();
      process.exit(1);
    });
  }
}
