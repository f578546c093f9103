import { access, constants, mkdir } from 'node:fs/promises';
import type { RecordKinds, Storage } from '../contracts.js';
import { FsBlobStore } from './blob-store.js';
import { Layout } from './layout.js';
import { FsRecordStore } from './record-store.js';
import { reclaimStaging, TempArea } from './temp-area.js';
import { FsUploadBytes } from './upload-bytes.js';

/** Remove the staging of dead sessions under the data root `root` (a cluster primary calls it when a worker dies). */
export function reclaimDeadStaging(root: string): Promise<void> {
  return reclaimStaging(new Layout(root).tmp);
}

/** Open (creating if needed) a local-disk store under `root`; see layout.ts for the tree. */
export async function openFsStorage<K extends RecordKinds = RecordKinds>(root: string): Promise<Storage<K>> {
  const layout = new Layout(root);
  const pages = new Layout(root, 'history');
  const collections = new Layout(root, 'collections');
  const uploads = new Layout(root, 'uploads');
  await mkdir(layout.blobs, { recursive: true });
  await mkdir(layout.records, { recursive: true });
  await mkdir(pages.records, { recursive: true });
  await mkdir(collections.records, { recursive: true });
  const temp = await TempArea.open(layout.tmp);
  return {
    blobs: new FsBlobStore(layout, temp),
    records: new FsRecordStore<K['records']>(layout),
    history: new FsRecordStore<K['history']>(pages),
    collections: new FsRecordStore<K['collections']>(collections),
    uploads: { states: new FsRecordStore<K['uploads']>(uploads), bytes: new FsUploadBytes(uploads.uploadBytes, temp) },
    async check() {
      await access(temp.dir, constants.W_OK);
      await access(layout.records, constants.W_OK);
      await access(layout.blobs, constants.W_OK);
    },
    close: () => temp.close(),
  };
}
