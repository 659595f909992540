import { Navigate, NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { useQuery, type SignInState } from '../api/hooks';
import { getSession, signOut } from '../auth/session';
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

/** The frame of every /w/:slug page: who is signed in, the nav, sign-out. */
export function WorkspaceLayout() {
  const { slug = '' } = useParams();
  const session = getSession();
  if (!session || session.slug !== slug) {
    const state: SignInState = { slug };
    return <Navigate to="/signin" replace state={state} />;
  }
  return <SignedInLayout slug={slug} />;
}

function SignedInLayout({ slug }: { slug: string }) {
  const navigate = useNavigate();
  const { data, error } = useQuery(WorkspaceViewerQuery, {});
  const base = `/w/${encodeURIComponent(slug)}`;
  const viewer = data?.viewer;

  function handleSignOut() {
    signOut();
    navigate('/signin', { replace: true, state: { slug } satisfies SignInState });
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
              <NavLink to={`${base}/audit`}>Audit log</NavLink>
            </li>
          </ul>
        </nav>
        <div className="whoami">
          {viewer && (
            <span>
              {viewer.label} <span className="badge">{viewer.role}</span>
            </span>
          )}
          <button type="button" className="secondary" onClick={handleSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
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
