/**
 * Memory of a server's process tree (the process and its descendants, e.g. node:cluster
 * workers) from /proc: peak RSS growth per process over a span of work.
 *
 * A span resets each process's peak (VmHWM) by writing 5 to /proc/<pid>/clear_refs, so the
 * peak read at its end is the peak of the span; where the reset is refused, it falls back to
 * sampling VmRSS every 20 ms. Growth = peak during the span - RSS at its start.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { memory } from './_measure.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** /proc/<pid>/comm, e.g. "node". */
  comm: string;
}

/** Direct children of `pid`, from /proc/<pid>/task/<tid>/children. */
export async function children(pid: number): Promise<number[]> {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of tasks) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    for (const p of text.split(/\s+/)) if (p) found.push(Number(p));
  }
  return found;
}

/** `root` and all its descendants that are node processes (tools such as esbuild are left out). */
export async function nodeTree(root: number): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  const queue: [number, number][] = [[root, 0]];
  while (queue.length > 0) {
    const [pid, ppid] = queue.shift() as [number, number];
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === '') continue; // gone
    if (pid === root || comm === 'node' || comm.startsWith('node')) out.push({ pid, ppid, comm });
    for (const c of await children(pid)) queue.push([c, pid]);
  }
  return out;
}

export interface ProcessGrowth {
  pid: number;
  role: 'primary' | 'worker';
  rssBeforeMiB: number;
  peakMiB: number;
  growthMiB: number;
}

export interface TreeGrowth {
  processes: ProcessGrowth[];
  /** Sum over the tree of each process's peak growth (an upper bound of the tree's). */
  totalMiB: number;
  /** The largest growth of one worker (of the primary when it has no workers). */
  maxPerWorkerMiB: number;
  /** "clear_refs" when VmHWM was reset, "sampled" when VmRSS was polled. */
  method: 'clear_refs' | 'sampled';
}

const MIB = 2 ** 20;

/** Run `work` and measure the peak RSS growth of every node process under `root` meanwhile. */
export async function treeGrowthDuring(root: number, work: () => Promise<void>): Promise<TreeGrowth> {
  const tree = await nodeTree(root);
  const before = new Map<number, number>();
  const peak = new Map<number, number>();
  let reset = true;
  for (const p of tree) {
    const rss = await memory(p.pid, 'VmRSS');
    before.set(p.pid, rss);
    peak.set(p.pid, rss);
    try {
      await writeFile(`/proc/${p.pid}/clear_refs`, '5');
    } catch {
      reset = false;
    }
  }
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const p of tree) {
        const rss = await memory(p.pid, 'VmRSS').catch(() => 0);
        if (rss > (peak.get(p.pid) ?? 0)) peak.set(p.pid, rss);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await work();
  } finally {
    sampling = false;
    await sampler;
  }
  const processes: ProcessGrowth[] = [];
  for (const p of tree) {
    const hwm = reset ? await memory(p.pid, 'VmHWM').catch(() => 0) : 0;
    const top = Math.max(hwm, peak.get(p.pid) ?? 0);
    const start = before.get(p.pid) ?? 0;
    processes.push({ pid: p.pid, role: p.pid === root ? 'primary' : 'worker', rssBeforeMiB: start / MIB, peakMiB: top / MIB, growthMiB: Math.max(0, top - start) / MIB });
  }
  const workers = processes.filter((p) => p.role === 'worker');
  return {
    processes,
    totalMiB: processes.reduce((s, p) => s + p.growthMiB, 0),
    maxPerWorkerMiB: Math.max(...(workers.length > 0 ? workers : processes).map((p) => p.growthMiB)),
    method: reset ? 'clear_refs' : 'sampled',
  };
}
