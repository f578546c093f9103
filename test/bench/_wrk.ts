/**
 * The load generator: wrk (C, epoll, keep-alive), driven by generated Lua scripts whose
 * `done()` prints the run's figures as one JSON line. A run with any non-2xx/3xx answer or
 * socket error fails the bench.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { killOnExit, removeOnSignal } from './_cleanup.js';
import { ensureTool } from './_tools.js';

export interface WrkResult {
  requests: number;
  seconds: number;
  /** Requests per second. */
  rps: number;
  /** Latency percentiles and mean, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Response bytes read. */
  bytes: number;
}

/** What each request of a run is. */
export type WrkLoad =
  /** GET of `path` (with its query), the same each time. */
  | { kind: 'get'; path: string }
  /** PUT of `bytes` distinct bytes to a new path `<prefix>[d<n % dirs>/]<run>-<thread>-<n>.bin`. */
  | { kind: 'put-new'; prefix: string; bytes: number; run: string; dirs?: number }
  /** PUT of `bytes` distinct bytes (so each is a new version) to the same `path`. */
  | { kind: 'put-same'; path: string; bytes: number; run: string }
  /**
   * GET of `<prefix>f<i>.bin` for each i below `count`, each once (split between the threads);
   * a thread stops once its share is answered. wrk still runs for its whole duration, so the
   * rate of such a run is connections / mean latency (Little's law), not requests / duration.
   */
  | { kind: 'get-each'; prefix: string; count: number };

/** The wrk binary; installs the Debian package `wrk` when missing, or explains why it cannot. */
export function ensureWrk(): string {
  return ensureTool('wrk', ['wrk'], 'wrk (the HTTP load generator)');
}

const lua = (s: string) => JSON.stringify(s); // a JSON string of plain ASCII is a valid Lua string

/** The Lua script of `load` for `threads` threads. Globals `id` (set per thread by setup) and `counter` live in each thread. */
export function luaScript(load: WrkLoad, threads = 1): string {
  const common = `
local threads = {}
local nextId = 0
function setup(thread)
  thread:set("id", nextId)
  nextId = nextId + 1
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50":%.0f,"p99":%.0f,"mean":%.3f,"max":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
`;
  if (load.kind === 'get') {
    return `${common}
function init(args) req = wrk.format("GET", ${lua(load.path)}) end
function request() return req end
`;
  }
  if (load.kind === 'get-each') {
    // A thread's share: i = id, id + threads, …; requests past it (in flight on its other
    // connections when the share ends) read the share's first file again.
    return `${common}
counter = 0
answered = 0
id = 0
function request()
  local i = id + counter * ${threads}
  counter = counter + 1
  if i >= ${load.count} then i = id end
  return wrk.format("GET", ${lua(load.prefix)} .. "f" .. i .. ".bin")
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= math.ceil((${load.count} - id) / ${threads}) then wrk.thread:stop() end
end
`;
  }
  const headers = `{ ["Content-Type"] = "application/octet-stream" }`;
  const body = `
counter = 0
id = 0
function init(args) pad = string.rep("x", ${load.bytes}) end
local function body(tag) return tag .. string.sub(pad, #tag + 1) end
`;
  if (load.kind === 'put-same') {
    return `${common}${body}
function request()
  counter = counter + 1
  local tag = ${lua(load.run)} .. "-" .. id .. "-" .. counter .. "\\n"
  return wrk.format("PUT", ${lua(load.path)}, ${headers}, body(tag))
end
`;
  }
  const dir = load.dirs ? `"d" .. (counter % ${load.dirs}) .. "/" .. ` : '';
  return `${common}${body}
function request()
  counter = counter + 1
  local tag = ${lua(load.run)} .. "-" .. id .. "-" .. counter
  return wrk.format("PUT", ${lua(load.prefix)} .. ${dir}tag .. ".bin", ${headers}, body(tag .. "\\n"))
end
`;
}

/** One wrk run of `seconds` against `base` with `connections` connections. */
export async function runWrk(base: string, load: WrkLoad, connections: number, seconds: number): Promise<WrkResult> {
  const wrk = ensureWrk();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kluis-wrk-'));
  const forget = removeOnSignal(dir);
  try {
    const script = path.join(dir, 'load.lua');
    const threads = Math.min(connections, Math.max(1, os.availableParallelism()));
    await writeFile(script, luaScript(load, threads));
    const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '60s', '-s', script, base];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const forgetChild = killOnExit(() => child.kill('SIGKILL'));
      child.on('exit', forgetChild);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const what = `wrk ${args.join(' ')} (${load.kind} ${'path' in load ? load.path : load.prefix})`;
    const line = /^WRKJSON (.*)$/m.exec(stdout)?.[1];
    if (code !== 0 || !line) throw new Error(`${what} failed (exit ${code}):\n${stdout}${stderr}`);
    const r = JSON.parse(line) as Record<'requests' | 'durationUs' | 'bytes' | 'connect' | 'read' | 'write' | 'status' | 'timeout' | 'p50' | 'p99' | 'mean' | 'max', number>;
    const socketErrors = r.connect + r.read + r.write + r.timeout;
    if (r.status > 0 || socketErrors > 0 || r.requests === 0) {
      throw new Error(
        `${what}: ${r.status} non-2xx/3xx answers, ${socketErrors} socket errors (connect ${r.connect}, read ${r.read}, write ${r.write}, timeout ${r.timeout}) in ${r.requests} requests:\n${stdout}`,
      );
    }
    const secondsRun = r.durationUs / 1e6;
    return { requests: r.requests, seconds: secondsRun, rps: r.requests / secondsRun, p50Ms: r.p50 / 1000, p99Ms: r.p99 / 1000, meanMs: r.mean / 1000, maxMs: r.max / 1000, bytes: r.bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
    forget();
  }
}
