import { Problem } from '../errors.js';
import { liveCollection } from './collections.js';
import { ABSENT } from './preconditions.js';
import { currentVersion } from './rules.js';
import type { Caller, CollectionRecord, DeadProps, FileRecord, Version } from './types.js';
import { childKey } from './paths.js';
import type { Member, Namespace } from './namespace.js';

/** What a COPY or MOVE does once its checks passed. */
export interface CopyPlan {
  source: string;
  destination: string;
  /** Collections: members too (`infinity`) or the collection alone (`0`). */
  depth: '0' | 'infinity';
  /** Lock tokens the request submitted. */
  tokens: string[];
  /**
   * `Overwrite: F`: the destination is created only if absent, decided inside the
   * compare-and-set of its record (412 otherwise), so that of racing requests one wins.
   */
  createOnly?: boolean;
  /** The source is the collection of its name, not a file of the same name (its URL ended in `/`). */
  collection?: boolean;
  /** The members of a source collection with their records, already walked ({@link listTree}). */
  members?: Member[];
}

/** What a copy copied: each file's version by key (a MOVE deletes exactly these), and the members of a collection. */
export interface Copied {
  versions: Map<string, number>;
  members: Member[];
  /** A file copied: the version written at the destination. */
  version?: Version;
}

/** Every member below collection `source` with its record; 403 over the tree limit, before anything is written. */
export async function listTree(dav: Namespace, source: string): Promise<Member[]> {
  const members: Member[] = [];
  await dav.walk(source, async (key, kind, record) => {
    members.push({ key, kind, record });
  });
  return members;
}

/**
 * Copy a file (a new version at the destination with the same content: nothing is re-read or
 * re-written, blobs are content-addressed) or a collection tree, dead properties included and
 * locks left behind (RFC 4918 §9.8.2). The destination is free or was deleted by the caller.
 */
export async function copyTree(dav: Namespace, caller: Caller, plan: CopyPlan): Promise<Copied> {
  const versions = new Map<string, number>();
  const source = await dav.collections.resolve(plan.source, plan.collection);
  if (source.kind === 'none') throw new Problem('not-found', `nothing at ${plan.source}`);
  if (source.kind === 'file') {
    const { copied, written } = await copyFile(dav, caller, source.record, plan.destination, plan.tokens, plan.createOnly);
    versions.set(plan.source, copied);
    return { versions, members: [], version: written };
  }
  const members = plan.depth === '0' ? [] : (plan.members ?? (await listTree(dav, plan.source)));
  await copyCollection(dav, plan.destination, source.record?.props, plan.createOnly);
  for (const member of members) {
    const target = childKey(plan.destination, member.key.slice(plan.source.length + (plan.source === '' ? 0 : 1)));
    if (member.kind === 'file') versions.set(member.key, (await copyFile(dav, caller, member.record as FileRecord, target, plan.tokens)).copied);
    else if (member.kind === 'collection') await copyCollection(dav, target, (member.record as CollectionRecord | undefined)?.props);
    // a reserved path has nothing to copy
  }
  return { versions, members };
}

/** Copy the current version of `record` to `to`; returns the number of the version copied and the version written. */
async function copyFile(dav: Namespace, caller: Caller, record: FileRecord, to: string, tokens: string[], createOnly = false): Promise<{ copied: number; written: Version }> {
  const current = currentVersion(record);
  if (!current?.sha256) throw new Problem('not-found', `no file at ${record.path}`);
  const result = await dav.files.copyVersion(caller, to, { tokens, conditions: createOnly ? ABSENT : {} }, current, record.props).catch((err: unknown) => {
    if (createOnly && err instanceof Problem && err.code === 'precondition-failed') throw new Problem('precondition-failed', `${to} exists and Overwrite is F`, err.extras);
    throw err;
  });
  return { copied: current.version, written: result.version };
}

async function copyCollection(dav: Namespace, key: string, props: DeadProps | undefined, createOnly = false): Promise<void> {
  const now = dav.now();
  await dav.collections.update(key, async (record) => {
    if (createOnly && (await dav.collections.exists(key, record ?? null))) throw new Problem('precondition-failed', `${key} exists and Overwrite is F`);
    const { props: _old, ...base } = liveCollection(key, record, now);
    return { next: props ? { ...base, props } : base, result: undefined };
  });
}
