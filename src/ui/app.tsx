import { useEffect, useRef, useState } from 'preact/hooks';
import { signOut, type Whoami, whoami } from './api.js';
import type { Picked } from './dropped.js';
import { FileView } from './file.js';
import { Folder } from './folder.js';
import { pathOfRoute, routeOf } from './format.js';
import { SignIn } from './signin.js';
import { UploadPanel } from './upload-panel.js';
import { type Job, type Preconditions, send } from './uploads.js';

/** Uploads sent at once; the rest wait their turn. */
const AT_ONCE = 3;

function useRoute(): string {
  const [route, setRoute] = useState(pathOfRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(pathOfRoute(location.hash));
    addEventListener('hashchange', changed);
    // Effects run a frame after the first render: a hash changed meanwhile fired no event heard here.
    changed();
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function App() {
  const [who, setWho] = useState<Whoami | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [refresh, setRefresh] = useState(0);
  const jobs = useRef<Job[]>([]);
  const waiting = useRef<{ job: Job; when: Preconditions }[]>([]);
  const route = useRoute();
  useEffect(() => {
    whoami().then(setWho, (err: Error) => setFailure(err.message));
  }, []);

  const changed = () => {
    const sending = jobs.current.filter((job) => job.state === 'sending').length;
    for (let i = sending; i < AT_ONCE && waiting.current.length > 0; i++) {
      const next = waiting.current.shift();
      if (next) send(next.job, next.when, changed);
    }
    setTick((n) => n + 1);
    if (jobs.current.some((job) => job.state === 'done' && !job.seen)) {
      for (const job of jobs.current) if (job.state === 'done') job.seen = true;
      setRefresh((n) => n + 1);
    }
  };
  const upload =
    (folder: string) =>
    (picked: Picked[], when: Preconditions = {}) => {
      for (const { file, relative, comment } of picked) {
        const job: Job = { id: jobs.current.length + 1, file, path: `${folder}${relative}`, comment, sent: 0, state: 'queued' };
        jobs.current = [...jobs.current, job];
        waiting.current.push({ job, when });
      }
      changed();
    };

  if (failure) return <p class="error">kluis cannot be reached: {failure}</p>;
  if (!who) return <p aria-busy="true">Loading…</p>;
  if (who.mode === 'users' && !who.user) return <SignIn onSignedIn={setWho} />;
  const folder = route === '' || route.endsWith('/');
  const crumbs = route.split('/').filter((part, i, all) => part !== '' || i < all.length - 1);
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          kluis
        </a>
        <nav aria-label="Breadcrumbs" class="crumbs">
          <ol>
            <li>
              <a href="#/">Files</a>
            </li>
            {crumbs.map((part, i) => {
              const target = `${crumbs.slice(0, i + 1).join('/')}${i < crumbs.length - 1 || folder ? '/' : ''}`;
              return (
                <li key={target}>
                  <a href={routeOf(target)} aria-current={i === crumbs.length - 1 ? 'page' : undefined}>
                    {part}
                  </a>
                </li>
              );
            })}
          </ol>
        </nav>
        <div class="me">
          {who.mode === 'open' ? (
            <span class="badge" title="No users are configured: everyone is anonymous">
              open mode
            </span>
          ) : (
            <>
              <span class="who" data-testid="me">
                {who.user?.name}
                {who.user?.role !== 'user' ? ` (${who.user?.role})` : ''}
              </span>
              <button type="button" onClick={() => signOut().then(() => setWho({ mode: 'users', user: null }))}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main data-tick={tick}>
        {folder ? (
          <Folder path={route} user={who.user} onUpload={upload(route)} refresh={refresh} />
        ) : (
          <FileView path={route} user={who.user} onSave={upload('')} refresh={refresh} changed={() => setRefresh((n) => n + 1)} />
        )}
        <UploadPanel jobs={jobs.current} user={who.user} changed={changed} />
      </main>
    </>
  );
}
