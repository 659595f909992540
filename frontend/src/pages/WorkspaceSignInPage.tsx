import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { signInPath, type SignInState } from '../api/hooks';
import { lastWorkspace } from '../auth/session';
import { Alert } from '../components/Feedback';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** /signin: which workspace? Then that workspace's own sign-in page. */
export function WorkspaceSignInPage() {
  const navigate = useNavigate();
  const state = (useLocation().state ?? {}) as SignInState;
  const [slug, setSlug] = useState(state.slug ?? lastWorkspace());
  const [error, setError] = useState<string | undefined>(state.message);

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const wanted = slug.trim().toLowerCase();
    if (!slugPattern.test(wanted)) {
      setError('A workspace name is lower-case letters, digits and hyphens, like "acme".');
      return;
    }
    navigate(signInPath(wanted));
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
        <form onSubmit={handleSubmit} noValidate>
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
              aria-describedby="signin-workspace-hint"
              value={slug}
              onChange={(e) => setSlug(e.target.value)}
              autoFocus
            />
            <small id="signin-workspace-hint" className="muted">
              Your workspace's short name, as in <code>/t/acme/…</code>
            </small>
          </div>
          <Alert>{error}</Alert>
          <button type="submit">Continue</button>
        </form>
        <nav className="hosted-links" aria-label="More">
          <Link to="/signin/token" state={{ slug: slug.trim() } satisfies SignInState}>
            Sign in with an API token
          </Link>
        </nav>
      </div>
    </main>
  );
}
