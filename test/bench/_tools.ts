/**
 * The bench's outside tools (wrk, nginx): found on PATH, or installed from the Debian packages
 * named when missing (as the tests install theirs), or a message saying how to provide them.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat('/usr/sbin', '/sbin')) {
    const file = path.join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The binary `cmd`; runs `apt-get install -y <packages>` (after `apt-get update` if needed) when missing. */
export function ensureTool(cmd: string, packages: string[], what: string): string {
  const found = which(cmd);
  if (found) return found;
  const apt = (args: string[]) => {
    console.error(`${cmd} is missing: apt-get ${args.join(' ')}`);
    return spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  };
  if (!apt(['install', '-y', ...packages])) {
    apt(['update']);
    apt(['install', '-y', ...packages]);
  }
  const installed = which(cmd);
  if (!installed) {
    throw new Error(`the bench needs ${what} and could not install it: run \`apt-get install -y ${packages.join(' ')}\` as root (Debian/Ubuntu), or put a ${cmd} binary on PATH`);
  }
  return installed;
}
