import { useState } from 'react';
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { errorMessage, signInPath, useQuery, type SignInState } from '../api/hooks';
import { signOut, useRestoredSession, type Session } from '../auth/session';
import { Alert } from '../components/Feedback';
import { graphql } from '../gql';
import { ViewerContext } from './viewer';

export const WorkspaceViewerQuery = graphql(`
  query WorkspaceViewer {
    viewer {
      kind
      id
      label
      role
      tenant {
        id
        slug
        name
      }
    }
  }
`);

/**
 * The frame of every /w/:slug page: who is signed in, the nav, sign-out.
 * After a reload the session is restored from the cookie; with none, the
 * workspace's sign-in page.
 */
export function WorkspaceLayout() {
  const { slug = '' } = useParams();
  const { pathname } = useLocation();
  const { session, loading, error } = useRestoredSession(slug);
  if (!session) {
    if (loading || error) {
      return (
        <main id="main">
          {error ? <Alert>{errorMessage(error)}</Alert> : <p className="muted">Loading…</p>}
        </main>
      );
    }
    const state: SignInState = { next: pathname };
    return <Navigate to={signInPath(slug)} replace state={state} />;
  }
  return <SignedInLayout slug={slug} session={session} />;
}

function SignedInLayout({ slug, session }: { slug: string; session: Session }) {
  const navigate = useNavigate();
  const { data, error } = useQuery(WorkspaceViewerQuery, {});
  const [signOutError, setSignOutError] = useState<string>();
  const base = `/w/${encodeURIComponent(slug)}`;
  const viewer = data?.viewer;
  const admin = viewer?.role === 'owner' || viewer?.role === 'admin';

  async function handleSignOut() {
    setSignOutError(undefined);
    try {
      await signOut(slug);
      const state: SignInState = { notice: 'You are signed out.' };
      if (session.kind === 'token') navigate('/signin/token', { replace: true, state: { ...state, slug } });
      else navigate(signInPath(slug), { replace: true, state });
    } catch (err) {
      setSignOutError(errorMessage(err));
    }
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>
          <span>Mandate</span>
          <span className="workspace-name">{viewer?.tenant.name ?? slug}</span>
        </div>
        <nav aria-label="Workspace">
          <ul>
            <li>
              <NavLink to={base} end>
                Overview
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/members`}>Members</NavLink>
            </li>
            <li>
              <NavLink to={`${base}/tokens`}>API tokens</NavLink>
            </li>
            <li>
              <NavLink to={`${base}/agents`}>Agents</NavLink>
            </li>
            <li>
              <NavLink to={`${base}/approvals`}>Approvals</NavLink>
            </li>
            {admin && (
              <>
                <li>
                  <NavLink to={`${base}/applications`}>Applications</NavLink>
                </li>
                <li>
                  <NavLink to={`${base}/signing-keys`}>Signing keys</NavLink>
                </li>
                <li>
                  <NavLink to={`${base}/scopes`}>Scopes</NavLink>
                </li>
                <li>
                  <NavLink to={`${base}/sign-in`}>Sign-in</NavLink>
                </li>
                <li>
                  <NavLink to={`${base}/webhooks`}>Webhooks</NavLink>
                </li>
                <li>
                  <NavLink to={`${base}/vault`}>Vault</NavLink>
                </li>
                <li>
                  <NavLink to={`${base}/tools`}>Tools</NavLink>
                </li>
              </>
            )}
            <li>
              <NavLink to={`${base}/audit`}>Audit log</NavLink>
            </li>
            {admin && (
              <li>
                <NavLink to={`${base}/outbox`}>Dev outbox</NavLink>
              </li>
            )}
            {session.kind === 'password' && (
              <>
                <li>
                  <Link to={`/t/${encodeURIComponent(slug)}/account`}>My account</Link>
                </li>
                <li>
                  <Link to={`/t/${encodeURIComponent(slug)}/security`}>Security</Link>
                </li>
              </>
            )}
          </ul>
        </nav>
        <div className="whoami">
          {viewer && (
            <span>
              {viewer.label} <span className="badge">{viewer.role ?? viewer.kind}</span>
            </span>
          )}
          <button type="button" className="secondary" onClick={() => void handleSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Alert>{signOutError}</Alert>
        {error && <Alert>{error}</Alert>}
        {viewer && (
          <ViewerContext.Provider value={viewer}>
            <Outlet />
          </ViewerContext.Provider>
        )}
        {!viewer && !error && <p className="muted">Loading…</p>}
      </main>
    </div>
  );
}
