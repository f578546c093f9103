/** Settings of the S3 backend (read from the environment by main.ts only). */
export interface S3Options {
  /** Endpoint URL for S3-compatible stores (MinIO, Ceph); unset for AWS. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Prepended to every key, e.g. `kluis/`; lets several services share a bucket. */
  prefix: string;
  /** Path-style addressing (`host/bucket/key`), which MinIO and Ceph on loopback need. */
  forcePathStyle: boolean;
  /** Create the bucket when it is missing, instead of refusing to start. */
  createBucket: boolean;
  /** Multipart part size in bytes (at least 5 MiB). */
  partSize: number;
  /** Parts uploaded at once per upload (bounded memory: about partSize × queueSize). */
  queueSize: number;
  /** Seconds between this process's heartbeats; a session silent for three is reclaimed (default 10). */
  heartbeatSeconds?: number | undefined;
  /** Seconds a garbage collection announces its removal window before it reads references (default 60; src/storage/s3/removal-window.ts). */
  removalWaitSeconds?: number | undefined;
  /** Explicit credentials; unset means the SDK's default chain (env, profile, role). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}
