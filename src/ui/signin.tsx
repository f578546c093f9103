import { useState } from 'preact/hooks';
import { ApiError, signIn, type Whoami } from './api.js';

/** The sign-in form: the session cookie it earns is HttpOnly; the password goes nowhere else. */
export function SignIn({ onSignedIn }: { onSignedIn: (who: Whoami) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(String(form.get('name')), String(form.get('password'))));
    } catch (err) {
      setError(err instanceof ApiError && err.problem.status === 401 ? 'The name or the password is wrong.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to kluis</h1>
        <label>
          Name
          <input name="name" autocomplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
