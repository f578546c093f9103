/**
 * The servers a user would run instead of kluis, started by the bench on this machine's disk
 * beside a kluis of its own: nginx (Debian's, with its WebDAV modules: PUT and GET straight to
 * files, no fsync, no hashing, access log on as by default) and Nephele (a TypeScript WebDAV
 * server, file-system adapter, one process, see _nephele-server.ts). Each listens on 127.0.0.1
 * and a free port, keeps its files under the directory it is given, and is stopped (and killed
 * if the bench is interrupted) by the bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from '../helpers/server.js';
import { killOnExit } from './_cleanup.js';
import { children, nodeTree } from './_procs.js';
import { startKluis } from './_server.js';
import { ensureTool } from './_tools.js';

export interface Peer {
  name: 'kluis' | 'nginx' | 'Nephele';
  /** http://127.0.0.1:<port> */
  base: string;
  /** Where files live in its URL space: `/files/` for kluis, `/` for the others. */
  prefix: string;
  /** Make the folder `dir` (relative, ending in `/`) writable by PUT; only Nephele needs it (WebDAV: 409 without the parent). */
  folder(dir: string): Promise<void>;
  /** The server's processes (for their memory). */
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listening(base: string, child: ChildProcess, output: () => string | Promise<string>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${base}: the server exited (${child.exitCode}):\n${await output()}`);
    const up = await fetch(`${base}/`, { method: 'HEAD' }).then(
      () => true,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${base}: no answer within 30 s:\n${await output()}`);
}

/** Every process under `pid`, itself included. */
async function tree(pid: number): Promise<number[]> {
  const out = [pid];
  for (const child of await children(pid)) out.push(...(await tree(child)));
  return out;
}

function track(child: ChildProcess): { output: () => string; stop: (signal: NodeJS.Signals) => Promise<void> } {
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-16_384)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-16_384)));
  const forget = killOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    output: () => output,
    stop: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      forget();
    },
  };
}

const noFolder = async () => {};

export async function startNginx(dir: string): Promise<Peer> {
  const nginx = ensureTool('nginx', ['nginx', 'libnginx-mod-http-dav-ext'], 'nginx with its WebDAV modules');
  const port = await freePort();
  const root = path.join(dir, 'root');
  for (const d of [root, path.join(dir, 'body'), path.join(dir, 'logs')]) await mkdir(d, { recursive: true });
  const module = '/usr/lib/nginx/modules/ngx_http_dav_ext_module.so';
  const conf = `
${existsSync(module) ? `load_module ${module};` : ''}
daemon off;
user root;
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/logs/access.log;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/body; fastcgi_temp_path ${dir}/body; uwsgi_temp_path ${dir}/body; scgi_temp_path ${dir}/body;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    client_max_body_size 0;
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      ${existsSync(module) ? 'dav_ext_methods PROPFIND OPTIONS;' : ''}
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  const child = spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { output, stop } = track(child);
  const base = `http://127.0.0.1:${port}`;
  await listening(base, child, async () => `${output()}${await readFile(path.join(dir, 'logs/error.log'), 'utf8').catch(() => '')}`);
  return { name: 'nginx', base, prefix: '/', folder: noFolder, pids: () => tree(child.pid as number), stop: () => stop('SIGQUIT') };
}

export async function startNephele(dir: string): Promise<Peer> {
  await mkdir(dir, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/_nephele-server.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const { output, stop } = track(child);
  let port = 0;
  for (let i = 0; i < 300 && !port; i++) {
    if (child.exitCode !== null) throw new Error(`Nephele exited (${child.exitCode}):\n${output()}`);
    port = Number(/"port":(\d+)/.exec(output())?.[1] ?? 0);
    if (!port) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!port) throw new Error(`Nephele did not say its port within 30 s:\n${output()}`);
  const base = `http://127.0.0.1:${port}`;
  await listening(base, child, output);
  const made = new Set<string>();
  const folder = async (relative: string) => {
    let at = '';
    for (const segment of relative.split('/').filter(Boolean)) {
      at += `${segment}/`;
      if (made.has(at)) continue;
      const answer = await fetch(`${base}/${at}`, { method: 'MKCOL' });
      if (answer.status !== 201 && answer.status !== 405) throw new Error(`Nephele MKCOL /${at}: ${answer.status}`);
      made.add(at);
    }
  };
  return { name: 'Nephele', base, prefix: '/', folder, pids: async () => [child.pid as number], stop: () => stop('SIGTERM') };
}

/** kluis on `dir` with the bench's settings (_server.ts): default workers unless KLUIS_WORKERS says otherwise. */
export async function startKluisPeer(dir: string): Promise<Peer> {
  const kluis = await startKluis(dir);
  return {
    name: 'kluis',
    base: kluis.url,
    prefix: '/files/',
    folder: noFolder,
    pids: async () => (await nodeTree(kluis.pid)).map((p) => p.pid),
    stop: () => kluis.stop(),
  };
}
