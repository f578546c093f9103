import { randomUUID } from 'node:crypto';
import { AbortMultipartUploadCommand, DeleteObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listPages } from './client.js';
import type { S3Options } from './options.js';

/** A session whose heartbeat is this many beats old belongs to a dead process. */
const STALE_BEATS = 3;
/** Sweeps for dead sessions run every this many beats (and once at start). */
const SWEEP_BEATS = 6;

/**
 * Each process stages under its own `staging/<session>/` and keeps `sessions/<session>` fresh
 * (one small PUT per beat). A session whose heartbeat is older than three beats, by the store's
 * clock, belonged to a process that died (kill -9, crash, lost host): its open multipart uploads
 * are aborted and its staged objects deleted, so no temp space stays behind a crash. A process
 * that stops cleanly removes its own heartbeat.
 */
export class Sessions {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private beats = 0;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3Options,
    private readonly beatMs: number,
  ) {}

  /** Where this process stages. */
  get stagingPrefix(): string {
    return `${this.options.prefix}staging/${this.id}/`;
  }

  /** First heartbeat and sweep, then both in the background (failures wait for the next beat). */
  async start(): Promise<void> {
    await this.beat();
    await this.sweep();
    this.timer = setInterval(() => {
      this.beats++;
      void this.beat()
        .then(() => (this.beats % SWEEP_BEATS === 0 ? this.sweep() : undefined))
        .catch(() => {});
    }, this.beatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(this.id) })).catch(() => {});
  }

  /** Reclaim the staging of every dead session; returns how many were found. */
  async sweep(): Promise<number> {
    const now = await this.storeNow();
    let dead = 0;
    for await (const { name, modifiedAt } of this.objects(`${this.options.prefix}sessions/`)) {
      if (name === this.id || modifiedAt >= now - STALE_BEATS * this.beatMs) continue;
      await this.reclaim(name);
      dead++;
    }
    return dead;
  }

  private async reclaim(session: string): Promise<void> {
    const Bucket = this.options.bucket;
    const Prefix = `${this.options.prefix}staging/${session}/`;
    const open = await this.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix }));
    for (const u of open.Uploads ?? []) await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId })).catch(() => {});
    for await (const { name } of this.objects(Prefix)) await this.client.send(new DeleteObjectCommand({ Bucket, Key: `${Prefix}${name}` }));
    await this.client.send(new DeleteObjectCommand({ Bucket, Key: this.key(session) }));
  }

  private async beat(): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(this.id), Body: new Date().toISOString() }));
  }

  /** The store's clock, read from our own heartbeat (so a skewed host clock cannot kill a live session). */
  private async storeNow(): Promise<number> {
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(this.id) }));
    return head.LastModified?.getTime() ?? Date.now();
  }

  private key(session: string): string {
    return `${this.options.prefix}sessions/${session}`;
  }

  private async *objects(prefix: string): AsyncIterable<{ name: string; modifiedAt: number }> {
    for await (const out of listPages(this.client, this.options.bucket, prefix)) {
      for (const item of out.Contents ?? []) if (item.Key) yield { name: item.Key.slice(prefix.length), modifiedAt: item.LastModified?.getTime() ?? 0 };
    }
  }
}
