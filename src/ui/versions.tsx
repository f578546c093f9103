import { useEffect, useState } from 'preact/hooks';
import { call, fileUrl, json } from './api.js';
import { exactly, size, when } from './format.js';

export interface VersionRecord {
  version: number;
  sha256: string | null;
  size: number;
  contentType: string | null;
  createdAt: string;
  author: string;
  comment?: string;
  deleted?: boolean;
  pinned?: boolean;
  pruned?: boolean;
}

interface Page {
  versions: VersionRecord[];
  next?: string;
}

const PAGE = 20;

/** The history, a page at a time: download any version, restore it as new, pin, compare two. */
export function Versions({ path, writer, token, refresh, changed }: { path: string; writer: boolean; token?: string | undefined; refresh: number; changed: () => void }) {
  const [versions, setVersions] = useState<VersionRecord[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [picked, setPicked] = useState<number[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = async (url: string, more: boolean) => {
    const page = await json<Page>('GET', url);
    setVersions((old) => (more ? [...old, ...page.versions] : page.versions));
    setNext(page.next);
  };
  useEffect(() => {
    setPicked([]);
    load(`${fileUrl(path)}?versions&limit=${PAGE}`, false).catch((err: Error) => setError(err.message));
  }, [path, refresh]);
  const act = (action: () => Promise<unknown>) => () =>
    action().then(
      () => changed(),
      (err: Error) => setError(err.message),
    );
  const toggle = (n: number) => setPicked((old) => (old.includes(n) ? old.filter((v) => v !== n) : [...old.slice(-1), n]));
  const compared = picked.map((n) => versions.find((v) => v.version === n)).filter((v): v is VersionRecord => !!v);
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-scroll">
        <table class="versions">
          <caption class="visually-hidden">Versions of {path}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Version</th>
              <th scope="col">Size</th>
              <th scope="col">Author</th>
              <th scope="col">Saved</th>
              <th scope="col">Comment</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} data-version={v.version} class={v.deleted ? 'deleted' : ''}>
                <td>
                  <input type="checkbox" aria-label={`Compare version ${v.version}`} checked={picked.includes(v.version)} onChange={() => toggle(v.version)} />
                </td>
                <td>
                  {v.version}
                  {v.pinned && <span class="badge">pinned</span>}
                </td>
                <td>{v.deleted ? 'deleted' : size(v.size)}</td>
                <td>{v.author}</td>
                <td>{when(v.createdAt)}</td>
                <td>{v.comment ?? ''}</td>
                <td>
                  <div class="row-actions">
                    {!v.deleted && !v.pruned && (
                      <a href={`${fileUrl(path)}?version=${v.version}&download`} download aria-label={`Download version ${v.version}`}>
                        Download
                      </a>
                    )}
                    {v.pruned && <span class="muted">pruned</span>}
                    {writer && !v.deleted && !v.pruned && (
                      <button
                        type="button"
                        onClick={act(() => call('POST', `${fileUrl(path)}?restore=${v.version}`, { headers: token ? { 'Lock-Token': `<${token}>` } : {} }))}
                        aria-label={`Restore version ${v.version} as new`}
                      >
                        Restore
                      </button>
                    )}
                    {writer && !v.deleted && (
                      <button
                        type="button"
                        onClick={act(() => call('POST', `${fileUrl(path)}?${v.pinned ? 'unpin' : 'pin'}=${v.version}`))}
                        aria-label={`${v.pinned ? 'Unpin' : 'Pin'} version ${v.version}`}
                      >
                        {v.pinned ? 'Unpin' : 'Pin'}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {next && (
        <button type="button" onClick={() => load(next, true).catch((err: Error) => setError(err.message))}>
          Older versions
        </button>
      )}
      {compared.length === 2 && <Compare a={compared[0] as VersionRecord} b={compared[1] as VersionRecord} />}
    </section>
  );
}

function Compare({ a, b }: { a: VersionRecord; b: VersionRecord }) {
  const rows: [string, (v: VersionRecord) => string][] = [
    ['Size', (v) => (v.deleted ? 'deleted' : `${size(v.size)} (${v.size} bytes)`)],
    ['SHA-256', (v) => v.sha256 ?? '—'],
    ['Type', (v) => v.contentType ?? '—'],
    ['Author', (v) => v.author],
    ['Saved', (v) => exactly(v.createdAt)],
    ['Comment', (v) => v.comment ?? ''],
  ];
  return (
    <table class="compare" aria-label={`Version ${a.version} beside version ${b.version}`}>
      <thead>
        <tr>
          <th scope="col">Compared</th>
          <th scope="col">Version {a.version}</th>
          <th scope="col">Version {b.version}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([label, show]) => (
          <tr key={label} class={show(a) === show(b) ? 'same' : 'differs'}>
            <th scope="row">{label}</th>
            <td>{show(a)}</td>
            <td>{show(b)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
