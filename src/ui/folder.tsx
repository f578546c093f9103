import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Caller, call, fileUrl, json } from './api.js';
import { type Picked, fromDrop, fromInput } from './dropped.js';
import { routeOf, size, when } from './format.js';

export interface Entry {
  name: string;
  type: 'file' | 'directory';
  size?: number;
  version?: number;
  modifiedAt?: string;
  author?: string;
  locked?: boolean;
  lockedBy?: { owner: string; label?: string };
  contentType?: string | null;
  deleted?: boolean;
  deletedVersion?: number;
  deletedBy?: string;
  pruned?: boolean;
}

type SortKey = 'name' | 'size' | 'version' | 'modifiedAt' | 'author';

/** One folder: its entries, sortable, with upload by drop or picker and a new-folder form. */
export function Folder({ path, user, onUpload, refresh }: { path: string; user: Caller | null; onUpload: (picked: Picked[]) => void; refresh: number }) {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; up: boolean }>({ key: 'name', up: true });
  const [dragging, setDragging] = useState(false);
  const [withDeleted, setWithDeleted] = useState(false);
  const writer = user?.role !== 'read-only';
  const load = () =>
    json<{ entries: Entry[] }>('GET', `${fileUrl(path)}${withDeleted ? '?deleted' : ''}`)
      .then((listing) => {
        setEntries(listing.entries);
        setError(null);
      })
      .catch((err: Error) => setError(err instanceof ApiError && err.problem.status === 404 ? 'This folder is empty or does not exist yet.' : err.message));
  useEffect(() => {
    setEntries(null);
    void load();
  }, [path, refresh, withDeleted]);
  const undelete = (entry: Entry) => async () => {
    try {
      await call('POST', `${fileUrl(path + entry.name)}?restore=${entry.version}&base=${entry.deletedVersion}`);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const sorted = [...(entries ?? [])].sort((a, b) => {
    if (a.type !== b.type) return a.type === 'directory' ? -1 : 1;
    const x = a[sort.key] ?? '';
    const y = b[sort.key] ?? '';
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sort.up ? order : -order;
  });
  const header = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.up ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class="sort" onClick={() => setSort({ key, up: sort.key === key ? !sort.up : true })}>
        {label}
        {sort.key === key ? (sort.up ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
  const makeFolder = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get('folder') ?? '').trim();
    if (!name) return;
    try {
      await call('POST', `${fileUrl(`${path}${name}/`)}?mkdir`);
      form.reset();
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section
      class={`folder${dragging ? ' dragging' : ''}`}
      aria-label={`Folder ${path || '/'}`}
      onDragOver={(event) => {
        if (!writer) return;
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={async (event) => {
        event.preventDefault();
        setDragging(false);
        if (writer && event.dataTransfer) onUpload(await fromDrop(event.dataTransfer));
      }}
    >
      {writer && (
        <div class="toolbar">
          <label class="button">
            Upload files
            <input type="file" multiple class="hidden-input" data-testid="pick-files" onChange={(e) => onUpload(fromInput((e.currentTarget as HTMLInputElement).files))} />
          </label>
          <label class="button">
            Upload a folder
            <input
              type="file"
              multiple
              class="hidden-input"
              data-testid="pick-folder"
              {...{ webkitdirectory: true }}
              onChange={(e) => onUpload(fromInput((e.currentTarget as HTMLInputElement).files))}
            />
          </label>
          <form class="inline" onSubmit={makeFolder}>
            <label>
              <span class="visually-hidden">New folder name</span>
              <input name="folder" placeholder="New folder" pattern={'[^\\/]+'} />
            </label>
            <button type="submit">Make folder</button>
          </form>
          <span class="muted hint">or drop files and folders here</span>
        </div>
      )}
      <label class="show-deleted">
        <input type="checkbox" checked={withDeleted} onChange={() => setWithDeleted(!withDeleted)} /> Show deleted files
      </label>
      {error && <p class="notice">{error}</p>}
      {entries === null && !error && <p aria-busy="true">Loading…</p>}
      {entries && (
        <table class="listing">
          <caption class="visually-hidden">Contents of {path || 'the top folder'}</caption>
          <thead>
            <tr>
              {header('name', 'Name')}
              {header('size', 'Size')}
              {header('version', 'Version')}
              {header('modifiedAt', 'Modified')}
              {header('author', 'Author')}
              <th scope="col">Lock</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((entry) => (
              <tr key={`${entry.type}:${entry.name}`} data-name={entry.name} class={entry.deleted ? 'deleted' : ''}>
                <td>
                  <a href={routeOf(`${path}${entry.name}${entry.type === 'directory' ? '/' : ''}`)}>
                    <Icon folder={entry.type === 'directory'} />
                    {entry.name}
                    {entry.type === 'directory' ? '/' : ''}
                  </a>
                </td>
                <td>{entry.size !== undefined ? size(entry.size) : ''}</td>
                <td>{entry.version ?? ''}</td>
                <td>{entry.modifiedAt ? when(entry.modifiedAt) : ''}</td>
                <td>{entry.author ?? ''}</td>
                <td>
                  {entry.locked ? <span class="badge locked">checked out</span> : ''}
                  {entry.lockedBy && <span class="muted"> {entry.lockedBy.label ? `${entry.lockedBy.owner} (“${entry.lockedBy.label}”)` : entry.lockedBy.owner}</span>}
                  {entry.deleted && entry.type === 'file' && (
                    <>
                      <span class="muted">deleted{entry.deletedBy ? ` by ${entry.deletedBy}` : ''} </span>
                      {writer && !entry.pruned && (
                        <button type="button" onClick={undelete(entry)} aria-label={`Restore ${entry.name}`}>
                          Restore
                        </button>
                      )}
                    </>
                  )}
                </td>
              </tr>
            ))}
            {sorted.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  Nothing here yet{writer ? ': drop files to upload them' : ''}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A folder or a file, drawn (no icon font, no emoji font needed). */
function Icon({ folder }: { folder: boolean }) {
  return (
    <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      {folder ? <path d="M1 3.5h5l1.5 1.5H15v8.5H1z" /> : <path d="M3 1h7l3 3v11H3z M10 1v3h3" />}
    </svg>
  );
}
