import { useEffect, useRef, useState } from 'preact/hooks';
import { fileUrl, json, type Problem } from './api.js';
import { asTheirClientSays, when } from './format.js';

interface VersionRecord {
  version: number;
  author: string;
  createdAt: string;
  size: number;
  comment?: string;
}

export interface ConflictChoices {
  /** Save the person's bytes again on top of the current version (a refused upload's commit, retried). */
  saveOnTop?: (currentVersion: number) => Promise<void>;
  /** Commit again as it was (a lock may have been released meanwhile). */
  retry?: () => Promise<void>;
  /** Break the lock (admins), then retry. */
  breakLock?: () => Promise<void>;
  /** Give the attempt up (a refused upload's bytes go). */
  cancel: () => void;
}

/**
 * The moment the product exists for: a save refused because someone else holds the file
 * (409 `locked`) or saved a newer version (409 `modified`, 412). It says who, when, and what
 * can be done; nothing is lost while the person decides (a refused upload's bytes stay).
 */
export function ConflictDialog({ problem, mine, choices, onClose }: { problem: Problem; mine?: number | undefined; choices: ConflictChoices; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [theirs, setTheirs] = useState<VersionRecord | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const path = problem.path ?? '';
  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
    if (problem.code !== 'locked' && path && problem.currentVersion) {
      json<{ versions: VersionRecord[] }>('GET', `${fileUrl(path)}?versions&limit=1`)
        .then((page) => setTheirs(page.versions[0] ?? null))
        .catch(() => setTheirs(null));
    }
  }, [problem]);
  const act = (action: () => Promise<void>) => async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
      dialog.current?.close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const locked = problem.code === 'locked' || problem.code === 'not-checked-out';
  return (
    <dialog ref={dialog} class="conflict" aria-labelledby="conflict-title" onClose={onClose}>
      <h2 id="conflict-title">{locked ? 'Checked out by someone else' : 'Someone saved a newer version'}</h2>
      {problem.code === 'locked' && problem.lock && (
        <p>
          <strong>{path}</strong> is checked out by <strong class="who">{problem.lock.owner}</strong>
          {asTheirClientSays(problem.lock.label)} until {when(problem.lock.expiresAt)}. Your file was not saved; it is kept on the server while you decide.
        </p>
      )}
      {problem.code === 'not-checked-out' && <p>Your check-out of {path} has ended (it expired or was broken). Check it out again, then save.</p>}
      {!locked && (
        <p>
          {theirs ? (
            <>
              <strong class="who">{theirs.author}</strong> saved version {theirs.version} ({when(theirs.createdAt)})
            </>
          ) : (
            <>Version {problem.currentVersion} was saved</>
          )}{' '}
          while you worked on {mine ? `version ${mine}` : 'an older version'}. Your file was not saved; it is kept on the server while you decide.
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="actions">
        {!locked && problem.currentVersion ? (
          <a class="button" href={`${fileUrl(path)}?version=${problem.currentVersion}&download`} download>
            Download theirs (version {problem.currentVersion})
          </a>
        ) : null}
        {!locked && choices.saveOnTop && problem.currentVersion !== undefined && (
          <button type="button" disabled={busy} onClick={act(() => (choices.saveOnTop as (v: number) => Promise<void>)(problem.currentVersion as number))}>
            Save mine as a new version on top
          </button>
        )}
        {locked && choices.retry && (
          <button type="button" disabled={busy} onClick={act(choices.retry)}>
            Try again
          </button>
        )}
        {locked && choices.breakLock && (
          <button type="button" class="danger" disabled={busy} onClick={act(choices.breakLock)}>
            Break the lock and save
          </button>
        )}
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            dialog.current?.close();
            choices.cancel();
          }}
        >
          Give up my save
        </button>
        <button type="button" disabled={busy} onClick={() => dialog.current?.close()}>
          Decide later
        </button>
      </div>
    </dialog>
  );
}
