import type { Storage } from '../storage/contracts.js';
import { Collections } from './collections.js';
import { DesktopFiles } from './desktop-files.js';
import { DigestFill } from './digest-fill.js';
import { type FileEvent, FileService } from './files.js';
import { History } from './history.js';
import type { LockTimeouts } from './locks.js';
import { FileReader } from './reads.js';
import type { Clock, KluisRecords } from './types.js';
import { Namespace } from './namespace.js';
import { Uploads, type UploadsOptions } from './uploads.js';

export interface DomainOptions {
  clock: Clock;
  lockTimeouts: LockTimeouts;
  /** Told of each {@link FileEvent} once its write is stored (metrics). */
  events?: (event: FileEvent) => void;
  /** Resumable uploads: absent, the domain has none (maintenance jobs). */
  uploads?: Pick<UploadsOptions, 'expirySeconds' | 'maxOpenPerUser' | 'maxBytes' | 'events'>;
  /** Desktop file names (default: the usual ones, src/domain/desktop-files.ts). */
  desktopFiles?: DesktopFiles;
}

/** The domain's services over one store. */
export interface Domain {
  history: History;
  files: FileService;
  reader: FileReader;
  dav: Namespace;
  /** Absent when the options name none or the store has no upload area. */
  uploads?: Uploads;
  /** SHA-1 and MD5 filled in for versions stored without them. */
  digests: DigestFill;
}

/** The one place the domain is put together: the server (src/app.ts) and the maintenance jobs use it. */
export function createDomain(storage: Storage<KluisRecords>, options: DomainOptions): Domain {
  const history = new History(storage.history);
  const desktop = options.desktopFiles ?? new DesktopFiles();
  const files = new FileService({
    records: storage.records,
    history,
    blobs: storage.blobs,
    clock: options.clock,
    lockTimeouts: options.lockTimeouts,
    unversioned: (key) => desktop.matches(key),
    ...(options.events ? { events: options.events } : {}),
  });
  const collections = new Collections(storage.collections, storage.records, options.clock);
  const reader = new FileReader(storage.records, history, options.clock, collections, storage.listings, desktop);
  const dav = new Namespace(files, collections, desktop);
  const area = storage.uploads;
  const uploads = area && options.uploads && new Uploads({ store: area, files, dav, clock: options.clock, ...options.uploads });
  const digests = new DigestFill(files, storage.blobs);
  return { history, files, reader, dav, digests, ...(uploads ? { uploads } : {}) };
}
