import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RevisionMismatch, type Listing, type RecordStore, type Revision, type StoredRecord } from '../contracts.js';
import { splitKey } from '../keys.js';
import { isNotFound, listPages, statusOf, unavailable } from './client.js';

/**
 * Records as small JSON objects, replaced by S3 conditional writes: `If-None-Match: *` to
 * create, `If-Match: <etag>` to replace (sent unquoted: Ceph RGW matches only that form).
 * 412, and 409 ConditionalRequestConflict (a concurrent write in flight), mean "re-read and
 * decide again". Keys mirror the fs layout, `records/d~docs/f~a.txt`, so that a file and a
 * directory of one name never collide and a directory lists with one delimiter query.
 */
export class S3RecordStore<T> implements RecordStore<T> {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    /** The key area below the prefix: `records` for file records, `history` for history pages. */
    private readonly area = 'records',
  ) {}

  async get(key: string): Promise<StoredRecord<T> | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.recordKey(key) }));
      const text = (await out.Body?.transformToString('utf8')) ?? '';
      return { value: JSON.parse(text) as T, revision: unquote(out.ETag) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, `GetObject ${key}`);
    }
  }

  async put(key: string, value: T, expected: Revision | null, prepare?: () => Promise<void>): Promise<Revision> {
    // S3 checks the revision only as part of the write itself, so prepare runs first.
    await prepare?.();
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.recordKey(key),
          Body: JSON.stringify(value),
          ContentType: 'application/json',
          ...(expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected }),
        }),
      );
      return unquote(out.ETag);
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 409 || (expected !== null && status === 404)) throw new RevisionMismatch(key);
      throw unavailable(err, `PutObject ${key}`);
    }
  }

  async list(dir: string): Promise<Listing | undefined> {
    const prefix = this.dirPrefix(dir);
    const files: string[] = [];
    const directories: string[] = [];
    const revisions = new Map<string, Revision>();
    for await (const out of listPages(this.client, this.bucket, prefix, '/')) {
      for (const item of out.Contents ?? []) {
        const name = item.Key?.slice(prefix.length) ?? '';
        if (!name.startsWith('f~')) continue;
        files.push(name.slice(2));
        revisions.set(name.slice(2), unquote(item.ETag));
      }
      for (const p of out.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(prefix.length, -1) ?? '';
        if (name.startsWith('d~')) directories.push(name.slice(2));
      }
    }
    if (files.length === 0 && directories.length === 0) return dir === '' ? { files, directories } : undefined;
    return { files: files.sort(), directories: directories.sort(), revisions };
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.recordKey(key) }));
    } catch (err) {
      if (!isNotFound(err)) throw unavailable(err, `DeleteObject ${key}`);
    }
  }

  async *scan(): AsyncIterable<string> {
    const root = `${this.prefix}${this.area}/`;
    for await (const out of listPages(this.client, this.bucket, root)) {
      for (const item of out.Contents ?? []) {
        const key = decodeKey(item.Key?.slice(root.length) ?? '');
        if (key !== undefined) yield key;
      }
    }
  }

  private recordKey(key: string): string {
    const segments = splitKey(key);
    const name = segments.pop() as string;
    return `${this.dirPrefix(segments.join('/'))}f~${name}`;
  }

  private dirPrefix(dir: string): string {
    const segments = dir === '' ? [] : splitKey(dir);
    return `${this.prefix}${this.area}/${segments.map((s) => `d~${s}/`).join('')}`;
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/** `d~docs/f~a.txt` → `docs/a.txt`; undefined for a key of no record (not this layout). */
function decodeKey(relative: string): string | undefined {
  const segments = relative.split('/');
  const name = segments.pop() ?? '';
  if (!name.startsWith('f~') || name.length === 2) return undefined;
  if (segments.some((s) => !s.startsWith('d~') || s.length === 2)) return undefined;
  return [...segments.map((s) => s.slice(2)), name.slice(2)].join('/');
}
