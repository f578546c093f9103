import { Problem } from '../errors.js';
import { live } from './collections.js';
import { currentVersion } from './rules.js';
import type { Caller, CollectionRecord, DeadProps, FileRecord, Lockable } from './types.js';
import { join, type Member, type WebDav } from './webdav.js';

/** What a COPY or MOVE does once its checks passed. */
export interface CopyPlan {
  source: string;
  destination: string;
  /** Collections: members too (`infinity`) or the collection alone (`0`). */
  depth: '0' | 'infinity';
  /** Lock tokens the request submitted. */
  tokens: string[];
}

/**
 * Copy a file (a new version at the destination with the same content: nothing is re-read or
 * re-written, blobs are content-addressed) or a collection tree, dead properties included and
 * locks left behind (RFC 4918 §9.8.2). The destination is free or was deleted by the caller.
 * Returns the members of a source collection it saw, for a MOVE to delete exactly those.
 */
export async function copyTree(dav: WebDav, caller: Caller, plan: CopyPlan): Promise<Member[]> {
  const source = await dav.collections.resolve(plan.source);
  if (source.kind === 'none') throw new Problem('not-found', `nothing at ${plan.source}`);
  if (source.kind === 'file') {
    await copyFile(dav, caller, source.record, plan.destination, plan.tokens);
    return [];
  }
  await copyCollection(dav, plan.destination, source.record?.props);
  if (plan.depth === '0') return [];
  const members: (Member & { record: Lockable | undefined })[] = [];
  await dav.walk(plan.source, async (key, kind, record) => {
    members.push({ key, kind, record });
  });
  for (const member of members) {
    const target = join(plan.destination, member.key.slice(plan.source.length + (plan.source === '' ? 0 : 1)));
    if (member.kind === 'file') await copyFile(dav, caller, member.record as FileRecord, target, plan.tokens);
    else if (member.kind === 'collection') await copyCollection(dav, target, (member.record as CollectionRecord | undefined)?.props);
    // a reserved path has nothing to copy
  }
  return members.map(({ key, kind }) => ({ key, kind }));
}

async function copyFile(dav: WebDav, caller: Caller, record: FileRecord, to: string, tokens: string[]): Promise<void> {
  const current = currentVersion(record);
  if (!current?.sha256) throw new Problem('not-found', `no file at ${record.path}`);
  await dav.files.copyVersion(caller, to, { tokens, conditions: {} }, current, record.props);
}

async function copyCollection(dav: WebDav, key: string, props: DeadProps | undefined): Promise<void> {
  const now = dav.now();
  await dav.collections.update(key, (record) => {
    const { props: _old, ...base } = live(key, record, now);
    return { next: props ? { ...base, props } : base, result: undefined };
  });
}
