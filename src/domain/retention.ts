import type { Version } from './types.js';

/**
 * One retention rule: for files under `prefix` ("" is every file), keep the newest `keepLast`
 * content versions and/or those younger than `keepDays` days. With both, a version goes only
 * when neither keeps it. The current version, pinned versions and delete markers (which hold
 * no bytes) are never pruned.
 */
export interface RetentionRule {
  prefix: string;
  keepLast?: number;
  keepDays?: number;
}

/** The rule with the longest prefix that `path` starts with; none means keep everything. */
export function ruleFor(path: string, rules: readonly RetentionRule[]): RetentionRule | undefined {
  let best: RetentionRule | undefined;
  for (const rule of rules) {
    if (path.startsWith(rule.prefix) && (!best || rule.prefix.length > best.prefix.length)) best = rule;
  }
  return best;
}

/** Numbers of the `versions` (a whole history, oldest first) that `rule` lets go at `now` (ms), oldest first. */
export function versionsToPrune(versions: readonly Version[], rule: RetentionRule, now: number): number[] {
  if (rule.keepLast === undefined && rule.keepDays === undefined) return [];
  const head = versions.at(-1);
  const content = versions.filter((v) => !v.deleted && v.sha256 !== null);
  const newest = new Set(rule.keepLast === undefined ? [] : content.slice(-rule.keepLast).map((v) => v.version));
  const youngSince = rule.keepDays === undefined ? undefined : now - rule.keepDays * 86_400_000;
  const kept = (v: Version): boolean => v === head || v.pinned === true || newest.has(v.version) || (youngSince !== undefined && Date.parse(v.createdAt) >= youngSince);
  return content.filter((v) => !v.pruned && !kept(v)).map((v) => v.version);
}

/**
 * Parse the `KLUIS_RETENTION` setting: a JSON array of rules, e.g.
 * `[{"prefix":"logs/","keepLast":10},{"prefix":"","keepDays":365}]`. Returns the rules or a
 * list of what is wrong with them.
 */
export function parseRetention(raw: string): { rules: RetentionRule[]; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { rules: [], problems: [`not JSON: ${(err as Error).message}`] };
  }
  if (!Array.isArray(value)) return { rules: [], problems: ['expected a JSON array of rules'] };
  const rules: RetentionRule[] = [];
  const problems: string[] = [];
  const prefixes = new Set<string>();
  for (const [i, item] of (value as unknown[]).entries()) {
    const r = item as Record<string, unknown> | null;
    const where = `rule ${i + 1}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      problems.push(`${where}: expected an object`);
      continue;
    }
    const unknown = Object.keys(r).filter((k) => !['prefix', 'keepLast', 'keepDays'].includes(k));
    if (unknown.length > 0) problems.push(`${where}: unknown field ${unknown.join(', ')}`);
    if (typeof r.prefix !== 'string') {
      problems.push(`${where}: "prefix" must be a string ("" for every file)`);
      continue;
    }
    if (prefixes.has(r.prefix)) problems.push(`${where}: prefix ${JSON.stringify(r.prefix)} appears twice`);
    prefixes.add(r.prefix);
    const rule: RetentionRule = { prefix: r.prefix };
    for (const field of ['keepLast', 'keepDays'] as const) {
      const n = r[field];
      if (n === undefined) continue;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) problems.push(`${where}: "${field}" must be a whole number of at least 1`);
      else rule[field] = n;
    }
    if (rule.keepLast === undefined && rule.keepDays === undefined && r.keepLast === undefined && r.keepDays === undefined) {
      problems.push(`${where}: give "keepLast", "keepDays" or both`);
    }
    rules.push(rule);
  }
  return { rules, problems };
}
