import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import type { Caller } from '../domain/types.js';
import { costOf, fingerprint, hashSecret, isSecretHash, verifySecret } from './secrets.js';

export interface UserEntry {
  name: string;
  role: Caller['role'];
  /** scrypt hash of the password for HTTP Basic. */
  password?: string;
  /** scrypt hashes of Bearer tokens. */
  tokens?: string[];
}

/** How long a verified credential is remembered, so scrypt runs once per client, not per request. */
const CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 10_000;

/**
 * The users of a service with auth on, loaded once from a JSON file:
 * `{ "users": [{ "name": "alice", "role": "admin", "password": "scrypt$…", "tokens": ["scrypt$…"] }] }`.
 */
export class UserDirectory {
  private readonly byName = new Map<string, UserEntry>();
  /** Credentials verified lately, by fingerprint: the least recently used go first, each after {@link CACHE_MS}. */
  private readonly verified = new LRUCache<string, Caller>({ max: CACHE_ENTRIES, ttl: CACHE_MS });
  /** A hash of no one's secret, checked when the name has no password. */
  private dummy: Promise<string> | undefined;

  /** `verify` checks a secret against a stored hash (scrypt; replaceable to observe it in tests). */
  constructor(
    users: UserEntry[],
    private readonly verify: (secret: string, hash: string) => Promise<boolean> = verifySecret,
  ) {
    for (const user of users) this.byName.set(user.name, user);
    void this.dummyHash().catch(() => undefined); // made now, not on the first unknown name's login
  }

  /** A hash of no one's secret at the cost of the users' own password hashes (made once; again if it failed). */
  private dummyHash(): Promise<string> {
    const model = [...this.byName.values()].find((user) => user.password)?.password;
    this.dummy ??= hashSecret(randomBytes(16).toString('base64'), model ? costOf(model) : undefined).catch((err: unknown) => {
      this.dummy = undefined;
      throw err;
    });
    return this.dummy;
  }

  static async load(file: string): Promise<UserDirectory> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`users file ${file}: ${(err as Error).message}`);
    }
    return new UserDirectory(validateUsers(parsed, file));
  }

  get size(): number {
    return this.byName.size;
  }

  /**
   * Basic credentials: the named user's password. A name that is unknown, or has no password,
   * is checked against a dummy hash of the same cost, so that the time of a refusal does not
   * tell which names exist.
   */
  async basic(name: string, password: string): Promise<Caller | undefined> {
    return this.remember(`basic:${name}:${password}`, async () => {
      const user = this.byName.get(name);
      if (user?.password) return (await this.verify(password, user.password)) ? user : undefined;
      await this.verify(password, await this.dummyHash());
      return undefined;
    });
  }

  /** The user named `name`, without checking a secret (a signed session already proved it). */
  find(name: string): Caller | undefined {
    const user = this.byName.get(name);
    return user ? { name: user.name, role: user.role } : undefined;
  }

  /** Bearer token: any user's token. */
  async bearer(token: string): Promise<Caller | undefined> {
    return this.remember(`bearer:${token}`, async () => {
      for (const user of this.byName.values()) {
        for (const hash of user.tokens ?? []) if (await this.verify(token, hash)) return user;
      }
      return undefined;
    });
  }

  private async remember(credential: string, check: () => Promise<UserEntry | undefined>): Promise<Caller | undefined> {
    const key = fingerprint(credential);
    const hit = this.verified.get(key);
    if (hit) return hit;
    const user = await check();
    if (!user) return undefined;
    const caller: Caller = { name: user.name, role: user.role };
    this.verified.set(key, caller);
    return caller;
  }
}

function validateUsers(parsed: unknown, file: string): UserEntry[] {
  const users = (parsed as { users?: unknown } | null)?.users;
  if (!Array.isArray(users) || users.length === 0) throw new Error(`users file ${file}: expected { "users": [ … ] } with at least one user`);
  const seen = new Set<string>();
  return users.map((u: unknown, i) => {
    const user = u as Partial<UserEntry>;
    const where = `users file ${file}, users[${i}]`;
    if (typeof user.name !== 'string' || !/^[\w.@-]{1,64}$/.test(user.name)) throw new Error(`${where}: name must be 1-64 of letters, digits, _ . @ -`);
    if (seen.has(user.name)) throw new Error(`${where}: duplicate user ${user.name}`);
    seen.add(user.name);
    const role = user.role ?? 'user';
    if (!['admin', 'user', 'read-only'].includes(role)) throw new Error(`${where}: role must be admin, user or read-only`);
    const secrets = [...(user.password === undefined ? [] : [user.password]), ...(user.tokens ?? [])];
    if (secrets.length === 0) throw new Error(`${where}: needs a password or tokens`);
    for (const s of secrets) {
      if (typeof s !== 'string' || !isSecretHash(s)) throw new Error(`${where}: secrets must be scrypt hashes (npm run hash-secret -- <secret>), never plain text`);
    }
    return { name: user.name, role, ...(user.password ? { password: user.password } : {}), tokens: user.tokens ?? [] };
  });
}
