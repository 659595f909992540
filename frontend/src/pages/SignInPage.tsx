import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { errorMessage, type SignInState } from '../api/hooks';
import { signIn } from '../auth/session';
import { Alert } from '../components/Feedback';

export function SignInPage() {
  const navigate = useNavigate();
  const state = (useLocation().state ?? {}) as SignInState;
  const [error, setError] = useState<string | undefined>(state.message);
  const [busy, setBusy] = useState(false);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(String(form.get('workspace') ?? ''), String(form.get('token') ?? ''));
      navigate(`/w/${encodeURIComponent(session.slug)}`, { replace: true });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <div className="card signin-card">
        <h1>
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Sign in to Mandate
        </h1>
        <p className="muted">Use your workspace's slug and an API token.</p>
        <form onSubmit={handleSubmit} aria-busy={busy}>
          <div className="field">
            <label htmlFor="signin-workspace">Workspace</label>
            <input
              id="signin-workspace"
              name="workspace"
              type="text"
              required
              autoComplete="organization"
              autoCapitalize="none"
              spellCheck={false}
              defaultValue={state.slug ?? ''}
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor="signin-token">API token</label>
            <input id="signin-token" name="token" type="password" required autoComplete="off" spellCheck={false} />
          </div>
          <Alert>{error}</Alert>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
