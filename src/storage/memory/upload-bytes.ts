import { Readable } from 'node:stream';
import type { BlobStore, StagedBlob, UploadBytes, UploadPosition } from '../contracts.js';

/** The bytes of resumable uploads in a Map, for tests: staging hands a copy to the in-memory blob store. */
export class MemoryUploadBytes implements UploadBytes {
  private readonly uploads = new Map<string, { chunks: Buffer[]; modifiedAt: number }>();

  constructor(private readonly blobs: BlobStore) {}

  async create(id: string): Promise<UploadPosition> {
    if (this.uploads.has(id)) throw new Error(`upload ${id} exists`);
    this.uploads.set(id, { chunks: [], modifiedAt: Date.now() });
    return { length: 0 };
  }

  async append(id: string, from: UploadPosition, source: Readable, abandon?: AbortSignal): Promise<UploadPosition & { error?: unknown }> {
    if (abandon?.aborted) throw new Error('the append was abandoned');
    const offset = from.length;
    const upload = this.get(id);
    const kept = Buffer.concat(upload.chunks).subarray(0, offset);
    upload.chunks = [Buffer.from(kept)];
    let length = offset;
    try {
      for await (const chunk of source) {
        if (abandon?.aborted) throw new Error('the append was abandoned');
        upload.chunks.push(Buffer.from(chunk as Buffer)); // a source may reuse its buffers
        length += (chunk as Buffer).length;
      }
    } catch (error) {
      if (abandon?.aborted) throw error;
      return { length, error };
    } finally {
      upload.modifiedAt = Date.now();
    }
    return { length };
  }

  async read(id: string, { length }: UploadPosition): Promise<Readable> {
    return Readable.from([Buffer.concat(this.get(id).chunks).subarray(0, length)]);
  }

  async stage(id: string, at: UploadPosition): Promise<StagedBlob> {
    return this.blobs.stage(await this.read(id, at));
  }

  async remove(id: string): Promise<void> {
    this.uploads.delete(id);
  }

  async *list(): AsyncIterable<{ id: string; modifiedAt: number }> {
    for (const [id, { modifiedAt }] of [...this.uploads]) yield { id, modifiedAt };
  }

  private get(id: string): { chunks: Buffer[]; modifiedAt: number } {
    const upload = this.uploads.get(id);
    if (!upload) throw Object.assign(new Error(`no upload ${id}`), { code: 'ENOENT' });
    return upload;
  }
}
