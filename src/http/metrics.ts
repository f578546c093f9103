import type { Context } from 'koa';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UploadEvent } from '../domain/uploads.js';
import type { FileEvent } from '../domain/files.js';
import type { Problem } from '../errors.js';
import type { StorageStats } from '../maintenance/stats.js';

/** Problem codes that are conflicts: someone else's lock or a newer version won. */
const CONFLICTS = new Set(['locked', 'modified', 'not-checked-out', 'precondition-failed']);

/** One finished HTTP request, as the observe middleware measured it. */
export interface RequestSample {
  method: string;
  /** A route template (`/files/{path}`), never a raw path: label values stay few. */
  route: string;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

/** Prometheus metrics of one app (its own registry, so several apps can share a process). */
export class Metrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];
  private readonly requests = new Counter({
    name: 'kluis_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: this.registers,
  });
  private readonly duration = new Histogram({
    name: 'kluis_http_request_duration_seconds',
    help: 'HTTP request duration until the response is sent, by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: this.registers,
  });
  private readonly bytesIn = new Counter({ name: 'kluis_http_received_bytes_total', help: 'Request body bytes received, by route template', labelNames: ['route'], registers: this.registers });
  private readonly bytesOut = new Counter({ name: 'kluis_http_sent_bytes_total', help: 'Response bytes sent (headers and body), by route template', labelNames: ['route'], registers: this.registers });
  private readonly problems = new Counter({
    name: 'kluis_problems_total',
    help: 'Refused or failed requests by problem code (conflicts: locked, modified, not-checked-out, precondition-failed)',
    labelNames: ['code', 'status'],
    registers: this.registers,
  });
  private readonly lingerBytes = new Counter({
    name: 'kluis_http_lingering_bytes_total',
    help: 'Request body bytes read and thrown away after a refusal answered before the body was read (lingering close)',
    registers: this.registers,
  });
  private readonly lingerCloses = new Counter({
    name: 'kluis_http_lingering_closes_total',
    help: 'Lingering closes by how they ended: drained (the body was read to its end), client-closed, or time (the 30 s bound met)',
    labelNames: ['end'],
    registers: this.registers,
  });
  private readonly conflicts = new Counter({ name: 'kluis_conflicts_total', help: 'Conflicts (409 and 412) by code', labelNames: ['code'], registers: this.registers });
  private readonly events = new Counter({
    name: 'kluis_domain_events_total',
    help: 'Lock events (taken, refreshed, released, expired: an expired lock replaced, forced: broken by an admin) and content events (dedup-hit: the bytes were already stored; blob-new)',
    labelNames: ['event'],
    registers: this.registers,
  });
  private readonly uploads = new Counter({
    name: 'kluis_uploads_total',
    help: 'Resumable uploads by what happened: created, committed, refused (a commit refused by a lock or a precondition), terminated, expired (reclaimed untouched)',
    labelNames: ['event'],
    registers: this.registers,
  });
  private readonly storageOps = new Histogram({
    name: 'kluis_storage_operation_seconds',
    help: 'Storage backend operation latency by backend, operation and outcome',
    labelNames: ['backend', 'op', 'outcome'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: this.registers,
  });
  // Gauges of the whole store, set by one worker's scan: the cluster's value is the max, not the sum.
  private readonly liveLocks = new Gauge({
    name: 'kluis_locks_live',
    help: 'Locks held and not expired, as of the last storage scan (KLUIS_STATS_INTERVAL_SECONDS)',
    aggregator: 'max',
    registers: this.registers,
  });
  private readonly store = new Gauge({
    name: 'kluis_store',
    help: 'What the store holds, as of the last storage scan: files, deleted_files, versions, pruned_versions, blobs, bytes_stored, bytes_uploaded, open_uploads, open_upload_bytes',
    labelNames: ['what'],
    aggregator: 'max',
    registers: this.registers,
  });

  /** In a cluster worker: the text of every worker's metrics, summed by the primary (src/cluster.ts). */
  private readonly clusterText: (() => Promise<string>) | undefined;

  constructor(options: { clusterText?: () => Promise<string> } = {}) {
    this.clusterText = options.clusterText;
    collectDefaultMetrics({ register: this.registry, prefix: 'kluis_' });
    // In a cluster worker, this registry is what the primary collects for GET /metrics.
    // (Constructing an AggregatorRegistry is what makes prom-client answer the primary's requests.)
    if (this.clusterText) {
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
    for (const code of CONFLICTS) this.conflicts.inc({ code }, 0); // present from the start, so rate() works
  }

  problem(problem: Problem): void {
    this.problems.inc({ code: problem.code, status: String(problem.status) });
    if (CONFLICTS.has(problem.code)) this.conflicts.inc({ code: problem.code });
  }

  lingered(bytes: number, end: string): void {
    this.lingerBytes.inc(bytes);
    this.lingerCloses.inc({ end });
  }

  request(sample: RequestSample): void {
    this.requests.inc({ method: sample.method, route: sample.route, status: String(sample.status) });
    this.duration.observe({ method: sample.method, route: sample.route }, sample.seconds);
    this.bytesIn.inc({ route: sample.route }, sample.bytesIn);
    this.bytesOut.inc({ route: sample.route }, sample.bytesOut);
  }

  event(event: FileEvent): void {
    this.events.inc({ event });
  }

  upload(event: UploadEvent): void {
    this.uploads.inc({ event });
  }

  storage(backend: string, op: string, outcome: 'ok' | 'error', seconds: number): void {
    this.storageOps.observe({ backend, op, outcome }, seconds);
  }

  /** The gauges of a storage scan (the background stats pass, or GET /admin/stats). */
  stats(stats: StorageStats): void {
    this.liveLocks.set(stats.liveLocks);
    const values: Record<string, number> = {
      files: stats.files,
      deleted_files: stats.deletedFiles,
      versions: stats.versions,
      pruned_versions: stats.prunedVersions,
      blobs: stats.blobs,
      bytes_stored: stats.bytesStored,
      bytes_uploaded: stats.bytesUploaded,
      open_uploads: stats.openUploads,
      open_upload_bytes: stats.openUploadBytes,
    };
    for (const [what, value] of Object.entries(values)) this.store.set({ what }, value);
  }

  /** GET /metrics: Prometheus text exposition. */
  handler() {
    return async (ctx: Context): Promise<void> => {
      ctx.set('Content-Type', this.registry.contentType);
      // Every worker's counters summed, whichever worker this request reached.
      ctx.body = this.clusterText ? await this.clusterText() : await this.registry.metrics();
    };
  }
}
