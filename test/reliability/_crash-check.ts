/**
 * What the kill -9 loop checks after each restart (not a test file): every acknowledged
 * version is there with its bytes, every listed version reads back whole, history never
 * changes, every lock is one a CHECKOUT made, and the disk holds no partial blob. Findings go
 * to {@link Ledger.problems}; figures to {@link Checked}.
 */
import { readFile, readdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { call, id, LOCK_BASE, type Ledger, sha } from './_crash.js';

export interface Checked {
  /** Acknowledged versions found with their sha256 and size after a restart. */
  acksVerified: number;
  /** Versions whose bytes were read back (each once). */
  versionsRead: number;
  /** Blob files hashed against their names (each once). */
  blobsHashed: number;
  /** Acknowledged locks still there after a kill, released with their token. */
  locksReleasedByToken: number;
  /** Acknowledged locks that a check-in in flight at the kill released. */
  locksReleasedInFlight: number;
}

export const emptyChecked = (): Checked => ({ acksVerified: 0, versionsRead: 0, blobsHashed: 0, locksReleasedByToken: 0, locksReleasedInFlight: 0 });

interface Listed {
  version: number;
  sha256: string | null;
  size: number;
  deleted?: boolean;
}

/** Read back what changed on every path the clients may have touched, then settle the locks. */
export async function checkAfterRestart(base: string, led: Ledger, out: Checked): Promise<void> {
  const paths = new Set([...led.touched, ...led.pending.map((a) => a.path), ...led.open.keys()]);
  led.touched.clear();
  await Promise.all([...paths].map((p) => checkPath(base, led, p, out)));
  for (const a of led.pending) {
    const stored = led.history.get(a.path)?.get(a.version);
    if (stored === undefined) led.problems.push(`LOST: ${a.path} v${a.version} was acknowledged and is missing after a kill`);
    else if (stored !== a.content) led.problems.push(`CORRUPTED: ${a.path} v${a.version} is ${stored}, acknowledged ${a.content}`);
    else out.acksVerified++;
  }
  led.pending = [];
  led.releasing.clear(); // their processes are dead: nothing of theirs is in flight any more
}

async function checkPath(base: string, led: Ledger, p: string, out: Checked): Promise<void> {
  // The whole history: ?versions answers a page at a time, newest first, `next` naming the older one.
  const versions: Listed[] = [];
  let lock: unknown = null;
  for (let url: string | undefined = `/files/${p}?versions&limit=1000`; url; ) {
    const r = await call(base, 'GET', url);
    if (!r || (r.status !== 200 && r.status !== 404)) return void led.problems.push(`${url} answered ${r?.status ?? 'nothing'}`);
    if (r.status === 404) break;
    versions.push(...(r.json.versions as Listed[]));
    lock = r.json.lock;
    url = r.json.next as string | undefined;
  }
  const known = led.history.get(p) ?? new Map<number, string | null>();
  led.history.set(p, known);
  versions.forEach((v, i) => {
    if (v.version !== versions.length - i) led.problems.push(`${p}: versions not gapless, newest first: ${versions.map((x) => x.version).join(',')}`);
  });
  if (known.size > versions.length) led.problems.push(`${p}: ${known.size} versions were read back before, ${versions.length} now`);
  for (const v of versions) {
    const seen = known.get(v.version);
    const listed = v.deleted || v.sha256 === null ? null : id(v.sha256, v.size);
    if (seen !== undefined) {
      if (seen !== listed) led.problems.push(`${p} v${v.version} changed from ${seen} to ${listed}`);
      continue;
    }
    if (v.sha256 !== null && led.never.has(v.sha256)) led.problems.push(`${p} v${v.version} is a body that was only half sent`);
    if (listed !== null) {
      const back = await call(base, 'GET', `/files/${p}?version=${v.version}`);
      out.versionsRead++;
      if (back?.status !== 200 || back.body.length !== v.size || sha(back.body) !== v.sha256) {
        led.problems.push(`CORRUPTED: ${p} v${v.version} reads back ${back?.status ?? 'nothing'}, ${back?.body.length} bytes, listed ${listed}`);
      }
    }
    known.set(v.version, listed);
  }
  await settleLock(base, led, p, lock as Parameters<typeof settleLock>[3], out);
}

/**
 * The lock shown must be one a CHECKOUT made (its duration names the request): the open
 * acknowledged one (then it is released by its token), or one whose answer the kill cut off.
 * An open acknowledged lock may be gone only if a release of it was in flight.
 */
async function settleLock(base: string, led: Ledger, p: string, lock: { createdAt: string; expiresAt: string } | null, out: Checked): Promise<void> {
  const open = led.open.get(p);
  const seq = lock ? (Date.parse(lock.expiresAt) - Date.parse(lock.createdAt)) / 1000 - LOCK_BASE : undefined;
  if (open && open.seq !== seq) {
    if (led.releasing.has(open.token as string)) out.locksReleasedInFlight++;
    else led.problems.push(`${p}: the acknowledged lock of CHECKOUT #${open.seq} is gone and no release of it was sent`);
    led.open.delete(p);
  }
  if (!lock) return;
  const made = led.checkouts.get(seq as number);
  if (!made || made.path !== p || made.state === 'refused') return void led.problems.push(`${p}: a lock (${lock.createdAt} → ${lock.expiresAt}) that no CHECKOUT made`);
  if (made.state === 'sent') {
    led.orphaned.add(made.seq);
    led.retire(p);
    return;
  }
  if (made !== open) return void led.problems.push(`${p}: the lock of CHECKOUT #${made.seq} is back after it was released`);
  if (lock.expiresAt !== made.expiresAt) led.problems.push(`${p}: lock expiry ${lock.expiresAt}, acknowledged ${made.expiresAt}`);
  const u = await call(base, 'UNLOCK', `/files/${p}`, { 'Lock-Token': `<${made.token}>` });
  if (u?.status !== 204) return void led.problems.push(`${p}: releasing the acknowledged lock by its token answered ${u?.status ?? 'nothing'}`);
  led.open.delete(p);
  out.locksReleasedByToken++;
}

/** Every blob file not hashed yet must hash to its name: a partial blob is never visible. */
export async function checkBlobs(dataDir: string, hashed: Set<string>, led: Ledger, out: Checked): Promise<void> {
  const root = path.join(dataDir, 'blobs');
  for (const a of await readdir(root)) {
    for (const b of await readdir(path.join(root, a))) {
      for (const name of await readdir(path.join(root, a, b))) {
        if (hashed.has(name)) continue;
        const data = await readFile(path.join(root, a, b, name));
        if (sha(data) !== name) led.problems.push(`PARTIAL BLOB: blobs/${a}/${b}/${name} holds ${data.length} bytes hashing to ${sha(data)}`);
        hashed.add(name);
        out.blobsHashed++;
      }
    }
  }
}

/** Record locks (`l~…`) under records/ that are not stale yet (those aged before are left out). */
export async function recordLocks(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.name.startsWith('l~')) {
        // Held while its holder's marker inside is fresh (src/storage/fs/record-lock.ts); an empty one is free.
        for (const marker of await readdir(full).catch(() => [] as string[])) {
          const info = await stat(path.join(full, marker)).catch(() => undefined); // taken over meanwhile
          if (info && info.mtimeMs > Date.now() - 10_000) found.push(full);
        }
      } else if (e.isDirectory()) await walk(full);
    }
  };
  await walk(path.join(dataDir, 'records'));
  return found;
}

/**
 * Set a dead process's lock back by 11 s: the state its lock reaches 10 s after the kill, as
 * no one refreshes it any more. Saves the loop a 10 s wait per kill.
 */
export async function age(lockPath: string): Promise<void> {
  const past = new Date(Date.now() - 11_000);
  // Its holder's marker carries the lock's age (a writer may have taken it over already).
  for (const marker of await readdir(lockPath).catch(() => [] as string[])) await utimes(path.join(lockPath, marker), past, past).catch(() => {});
}
