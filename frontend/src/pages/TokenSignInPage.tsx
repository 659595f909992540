import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { errorMessage, type SignInState } from '../api/hooks';
import { lastWorkspace, signInWithToken } from '../auth/session';
import { Alert, Status } from '../components/Feedback';

/** /signin/token: for scripts and operators, a workspace slug and an API token. */
export function TokenSignInPage() {
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
      const session = await signInWithToken(String(form.get('workspace') ?? ''), String(form.get('token') ?? ''));
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
          Sign in with an API token
        </h1>
        <p className="muted">For scripts and operators: the workspace's slug and an API token.</p>
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
              defaultValue={state.slug ?? lastWorkspace()}
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor="signin-token">API token</label>
            <input id="signin-token" name="token" type="password" required autoComplete="off" spellCheck={false} />
          </div>
          <Alert>{error}</Alert>
          {!error && state.notice && <Status>{state.notice}</Status>}
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <nav className="hosted-links" aria-label="More">
          <Link to="/signin">Sign in with email and password</Link>
        </nav>
      </div>
    </main>
  );
}
