import { useEffect, useRef, useState } from 'preact/hooks';
import type { Caller } from './api.js';
import { ConflictDialog } from './conflict.js';
import { size } from './format.js';
import { cancel, discard, type Job, tryAgain } from './uploads.js';
import { fileUrl, call } from './api.js';

const CONFLICTS = new Set(['locked', 'modified', 'precondition-failed', 'not-checked-out']);

/** Uploads in flight and done: progress per file and overall, cancel, and a refusal's reason with its way out. */
export function UploadPanel({ jobs, user, changed }: { jobs: Job[]; user: Caller | null; changed: () => void }) {
  const [chosen, setOpen] = useState<Job | null>(null);
  // A job tried again (or given up) is no longer refused: its dialog is gone with it.
  const open = chosen?.state === 'refused' ? chosen : null;
  // A conflict opens its dialog once by itself; "Decide later" leaves it to the Resolve button.
  const shown = useRef(new Set<number>());
  useEffect(() => {
    const conflicted = jobs.find((job) => job.state === 'refused' && CONFLICTS.has(job.problem?.code ?? '') && !shown.current.has(job.id));
    if (conflicted && !open) {
      shown.current.add(conflicted.id);
      setOpen(conflicted);
    }
  });
  if (jobs.length === 0) return null;
  const total = jobs.reduce((sum, job) => sum + job.file.size, 0);
  // A skipped desktop file has nothing left to send: it counts as sent.
  const sent = jobs.reduce((sum, job) => sum + (job.state === 'done' || job.state === 'skipped' ? job.file.size : job.sent), 0);
  const active = jobs.filter((job) => job.state === 'sending' || job.state === 'queued').length;
  return (
    <section class="uploads" aria-label="Uploads">
      <h2>
        Uploads <span class="muted">{active > 0 ? `${active} in progress` : 'finished'}</span>
      </h2>
      <progress class="overall" aria-label="All uploads" max={total || 1} value={sent} />
      <ul>
        {jobs.map((job) => (
          <li key={job.id} class={`job ${job.state}`} data-path={job.path}>
            <span class="name">{job.path}</span>
            <progress aria-label={`Upload of ${job.path}`} max={job.file.size || 1} value={job.state === 'done' ? job.file.size : job.sent} />
            <span class="state" role="status">
              {job.state === 'done' && `version ${job.version ?? ''}`}
              {job.state === 'sending' && `${size(job.sent)} of ${size(job.file.size)}`}
              {job.state === 'queued' && 'waiting'}
              {job.state === 'cancelled' && 'cancelled'}
              {job.state === 'skipped' && 'skipped: a desktop file, kept on the WebDAV mount only'}
              {(job.state === 'refused' || job.state === 'failed') && (job.problem?.detail ?? job.problem?.title)}
            </span>
            {job.state === 'sending' && (
              <button type="button" onClick={() => cancel(job).then(changed)} aria-label={`Cancel ${job.path}`}>
                Cancel
              </button>
            )}
            {job.state === 'refused' && CONFLICTS.has(job.problem?.code ?? '') && (
              <button type="button" onClick={() => setOpen(job)}>
                Resolve…
              </button>
            )}
          </li>
        ))}
      </ul>
      {open?.problem && (
        <ConflictDialog
          problem={open.problem}
          mine={open.when?.base}
          choices={{
            saveOnTop: async (current) => {
              await tryAgain(open, { base: current }, changed);
              changed();
            },
            retry: async () => {
              await tryAgain(open, {}, changed);
              changed();
            },
            ...(user?.role === 'admin'
              ? {
                  breakLock: async () => {
                    await call('POST', `${fileUrl(open.path)}?uncheckout&force`);
                    await tryAgain(open, {}, changed);
                    changed();
                  },
                }
              : {}),
            cancel: () => {
              void discard(open).then(changed);
            },
          }}
          onClose={() => setOpen(null)}
        />
      )}
    </section>
  );
}
