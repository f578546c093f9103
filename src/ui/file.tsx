import { useEffect, useRef, useState } from 'preact/hooks';
import { type Caller, call, fileUrl, json } from './api.js';
import type { Picked } from './dropped.js';
import { asTheirClientSays, routeOf, size, when } from './format.js';
import { forgetToken, keepToken, type LockInfo, lockOf } from './tokens.js';
import type { Preconditions } from './uploads.js';
import { type VersionRecord, Versions } from './versions.js';

const TIMEOUTS = [
  [900, '15 minutes'],
  [3600, '1 hour'],
  [8 * 3600, '8 hours'],
  [86400, '1 day'],
] as const;

/** One file: what it is now, who holds it, check-out and check-in, a new version, its history. */
export function FileView({
  path,
  user,
  onSave,
  refresh,
  changed,
}: {
  path: string;
  user: Caller | null;
  onSave: (picked: Picked[], when: Preconditions) => void;
  refresh: number;
  changed: () => void;
}) {
  const [current, setCurrent] = useState<VersionRecord | null | undefined>(undefined);
  const [lock, setLock] = useState<LockInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const comment = useRef<HTMLInputElement>(null);
  const writer = user !== null && user.role !== 'read-only';
  const name = path.slice(path.lastIndexOf('/') + 1);
  useEffect(() => {
    setError(null);
    json<{ versions: VersionRecord[] }>('GET', `${fileUrl(path)}?versions&limit=1`)
      .then((page) => setCurrent(page.versions[0] ?? null))
      .catch(() => setCurrent(null));
    lockOf(path).then(setLock, (err: Error) => setError(err.message));
  }, [path, refresh]);
  const act = (action: () => Promise<unknown>) => () =>
    action().then(
      () => changed(),
      (err: Error) => setError(err.message),
    );
  const mine = lock?.token !== undefined;
  const tokenHeader = (): Record<string, string> => (lock?.token ? { 'Lock-Token': `<${lock.token}>` } : {});
  const checkout = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const seconds = form.get('timeout');
    const label = String(form.get('label') ?? '').trim();
    return act(async () => {
      const query = label ? `&label=${encodeURIComponent(label)}` : '';
      const taken = await json<LockInfo>('POST', `${fileUrl(path)}?checkout${query}`, { headers: { Timeout: `Second-${seconds}` } });
      keepToken(path, taken);
    })();
  };
  const release = act(async () => {
    await call('POST', `${fileUrl(path)}?uncheckout`, { headers: tokenHeader() });
    forgetToken(path);
  });
  const checkinEmpty = act(async () => {
    await call('POST', `${fileUrl(path)}?checkin`, { headers: tokenHeader() });
    forgetToken(path);
  });
  const save = (files: FileList | null, checkin: boolean) => {
    const file = files?.[0];
    if (!file) return;
    const note = comment.current?.value.trim();
    if (comment.current) comment.current.value = '';
    onSave([{ file, relative: path, comment: note || undefined }], { token: lock?.token, base: current?.version, checkin });
  };
  const deleted = current?.deleted === true;
  const move = (event: Event) => {
    event.preventDefault();
    const dest = String(new FormData(event.currentTarget as HTMLFormElement).get('dest') ?? '').trim();
    if (!dest || dest === path) return;
    return act(async () => {
      await call('POST', `${fileUrl(path)}?move-to=${encodeURIComponent(dest)}`, { headers: tokenHeader() });
      forgetToken(path);
      location.hash = routeOf(dest);
    })();
  };
  return (
    <article class="file" aria-labelledby="file-title">
      <h1 id="file-title">{name}</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {current && !deleted && (
        <p class="summary">
          Version <strong>{current.version}</strong>, {size(current.size)}, saved by <strong>{current.author}</strong> {when(current.createdAt)}.{' '}
          <a class="button" href={`${fileUrl(path)}?download`} download>
            Download
          </a>
        </p>
      )}
      {deleted && <p class="notice">This file was deleted (version {current?.version}). Restore an earlier version below to bring it back.</p>}
      <section class="lock" aria-labelledby="lock-title">
        <h2 id="lock-title">Check-out</h2>
        {!lock && <p>Nobody has this file checked out.</p>}
        {lock && mine && (
          <p class="held">
            You have this file checked out{lock.label ? ` as “${lock.label}”` : ''} until <strong>{when(lock.expiresAt)}</strong>. Nobody else can save it meanwhile.
          </p>
        )}
        {lock && !mine && (
          <p class="held-other">
            Checked out by <strong class="who">{lock.owner}</strong>
            {asTheirClientSays(lock.label)} until <strong>{when(lock.expiresAt)}</strong>.
          </p>
        )}
        {writer && !lock && (
          <form class="inline" onSubmit={checkout}>
            <label>
              For{' '}
              <select name="timeout">
                {TIMEOUTS.map(([seconds, label]) => (
                  <option key={seconds} value={seconds} selected={seconds === 3600}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Note <input name="label" maxLength={100} placeholder="who you are, or why you hold it" />
            </label>
            <button type="submit">Check out</button>
          </form>
        )}
        {writer && mine && (
          <div class="actions">
            <label class="button">
              Check in a new version
              <input type="file" class="hidden-input" data-testid="checkin-file" onChange={(e) => save((e.currentTarget as HTMLInputElement).files, true)} />
            </label>
            <button type="button" onClick={checkinEmpty}>
              Check in without changes
            </button>
            <button type="button" onClick={release}>
              Undo check-out
            </button>
          </div>
        )}
        {lock && !mine && user?.role === 'admin' && (
          <button type="button" class="danger" onClick={act(() => call('POST', `${fileUrl(path)}?uncheckout&force`))}>
            Break the lock
          </button>
        )}
      </section>
      {writer && (
        <section class="save" aria-labelledby="save-title">
          <h2 id="save-title">Save a new version</h2>
          <p class="muted">It is saved on top of version {current?.version ?? 0}: if someone saves another meanwhile, you choose what happens.</p>
          <label class="comment">
            Comment (optional) <input ref={comment} name="comment" maxLength={1000} />
          </label>
          <div class="actions">
            <label class="button">
              Choose a file
              <input type="file" class="hidden-input" data-testid="save-file" onChange={(e) => save((e.currentTarget as HTMLInputElement).files, false)} />
            </label>
            {current && !deleted && (
              <button type="button" class="danger" onClick={act(() => call('DELETE', fileUrl(path), { headers: tokenHeader() }))}>
                Delete
              </button>
            )}
          </div>
          {current && !deleted && (
            <form class="inline" onSubmit={move}>
              <label>
                Rename or move to <input name="dest" value={path} size={30} />
              </label>
              <button type="submit">Move</button>
            </form>
          )}
        </section>
      )}
      <Versions path={path} writer={writer} token={lock?.token} refresh={refresh} changed={changed} />
    </article>
  );
}
