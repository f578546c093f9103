import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

/** Messages between the primary and its workers (metrics of the whole cluster for GET /metrics). */
const ASK = 'kluis:metrics?';
const ANSWER = 'kluis:metrics!';

/** A worker that dies sooner than this after its start counts as a crash loop: respawns slow down. */
const QUICK_DEATH_MS = 5000;

/**
 * The primary of `KLUIS_WORKERS` server processes (node:cluster): it forks them, each opens the
 * store and serves the shared port (the store's compare-and-set makes concurrent writers safe,
 * as for separate instances); it respawns a worker that dies, answers their requests for the
 * cluster's aggregated metrics, and on SIGTERM/SIGINT passes the signal on, waits for every
 * worker to drain and exits 0. When a worker dies, `afterWorkerDeath` runs (the local-disk
 * store reclaims its staging). A worker that dies before any worker listened is a failed start:
 * the primary exits with its code. Worker 0 also runs the background jobs (retention, store scan).
 */
export function runPrimary(workers: number, logger: Logger, afterWorkerDeath?: () => Promise<void>): void {
  const aggregator = new AggregatorRegistry();
  const index = new Map<Worker, number>();
  let stopping = false;
  let quickDeaths = 0;
  /** Whether any worker ever listened: until one has, a worker's death is a failed start. */
  let started = false;

  const fork = (i: number) => {
    const worker = cluster.fork({ KLUIS_WORKER_INDEX: String(i) });
    const forkedAt = Date.now();
    index.set(worker, i);
    worker.once('listening', () => (started = true));
    worker.on('message', (message: { type?: string; id?: string }) => {
      if (message?.type !== ASK) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: ANSWER, id: message.id, text }),
        (err: unknown) => worker.send({ type: ANSWER, id: message.id, error: (err as Error).message }),
      );
    });
    worker.on('exit', (code, signal) => {
      index.delete(worker);
      if (stopping) {
        if (index.size === 0) {
          logger.info('every worker stopped');
          logger.flush();
          process.exit(0);
        }
        return;
      }
      if (!started) {
        // Bad settings, a missing users file, an unreachable store: the worker said why on stderr.
        stopping = true;
        for (const other of index.keys()) other.process.kill('SIGTERM');
        logger.flush();
        process.exit(code || 1);
      }
      quickDeaths = Date.now() - forkedAt < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
      const delay = Math.min(30_000, 100 * 2 ** Math.min(quickDeaths, 9));
      logger.error({ worker: i, pid: worker.process.pid, code, signal, respawnInMs: delay }, 'worker died; starting another');
      // What the dead worker staged goes now, not at a later start.
      afterWorkerDeath?.().catch((err: unknown) => logger.warn({ err }, "reclaiming a dead worker's staging failed"));
      // Not unref'd: with every worker dead, this timer is what keeps the primary alive.
      setTimeout(() => !stopping && fork(i), delay);
    });
  };

  for (let i = 0; i < workers; i++) fork(i);
  logger.info({ workers }, `kluis primary: ${workers} worker processes`);

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: index.size }, 'stopping: every worker drains its requests, then exits');
    if (index.size === 0) process.exit(0);
    for (const worker of index.keys()) worker.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** In a worker: the Prometheus text of every worker's metrics, summed by the primary. */
export function clusterMetrics(timeoutMs = 5000): Promise<string> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string; id?: string; text?: string; error?: string }) => {
      if (message?.type !== ANSWER || message.id !== id) return;
      done();
      if (message.error !== undefined) reject(new Error(`cluster metrics: ${message.error}`));
      else resolve(message.text ?? '');
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('cluster metrics: the primary did not answer'));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send?.({ type: ASK, id });
  });
}
