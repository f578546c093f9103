/** The UI's calls to kluis: /session, /files and the CSRF token that goes with a session. */

/** A refusal as problem+json carries it (docs/api.md, Errors and Conflicts). */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  path?: string;
  currentVersion?: number;
  currentSha256?: string | null;
  lock?: { owner: string; label?: string; expiresAt: string } | null;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export interface Caller {
  name: string;
  role: 'admin' | 'user' | 'read-only';
}

export interface Whoami {
  mode: 'open' | 'users';
  user: Caller | null;
  csrf?: string;
  expiresAt?: string;
}

let csrf = '';

/** Headers every call sends: the CSRF token of the session (empty in open mode; it also tells kluis this is the UI, so a 401 never opens the browser's password prompt). */
export function uiHeaders(): Record<string, string> {
  return { 'X-CSRF-Token': csrf };
}

export function remember(who: Whoami): Whoami {
  csrf = who.csrf ?? '';
  return who;
}

/** `/files/<path>` with every segment percent-encoded. */
export function fileUrl(path: string): string {
  return `/files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** A request to kluis; a refusal throws {@link ApiError} with its problem body. */
export async function call(method: string, url: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
  const response = await fetch(url, { method, body: init.body ?? null, headers: { ...uiHeaders(), ...init.headers }, credentials: 'same-origin' });
  if (response.ok) return response;
  throw new ApiError(await problemOf(response));
}

export async function json<T>(method: string, url: string, init?: { body?: BodyInit; headers?: Record<string, string> }): Promise<T> {
  const response = await call(method, url, init);
  return (response.status === 204 ? null : await response.json()) as T;
}

export async function problemOf(response: { status: number; text(): Promise<string> } | { status: number; body: string }): Promise<Problem> {
  const text = 'text' in response ? await response.text() : response.body;
  try {
    const parsed = JSON.parse(text) as Problem;
    if (typeof parsed.code === 'string') return parsed;
  } catch {
    // not problem+json: a proxy's page, say
  }
  return { status: response.status, code: 'http', title: `HTTP ${response.status}`, detail: text.slice(0, 200) };
}

export const whoami = async (): Promise<Whoami> => remember(await json<Whoami>('GET', '/session'));
export const signIn = async (name: string, password: string): Promise<Whoami> =>
  remember(await json<Whoami>('POST', '/session', { body: JSON.stringify({ name, password }), headers: { 'Content-Type': 'application/json' } }));
export const signOut = async (): Promise<void> => {
  await call('DELETE', '/session');
  csrf = '';
};
