// Who is signed in to the dashboard: one workspace slug and one API token,
// kept in sessionStorage only (gone when the tab closes) and never logged or
// rendered. Password sign-in will replace signIn; the rest of the app only
// uses getSession, signIn and signOut.
import { ApiError, execute, type Credentials } from '../api/client';
import { graphql } from '../gql';

export type Session = Credentials;

export const storageKey = 'mandate.session';

export const SignInViewerQuery = graphql(`
  query SignInViewer {
    viewer {
      kind
      label
      role
      tenant {
        slug
        name
      }
    }
  }
`);

export function getSession(): Session | null {
  const raw = sessionStorage.getItem(storageKey);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.slug === 'string' && typeof value.token === 'string' && value.slug && value.token) {
      return { slug: value.slug, token: value.token };
    }
  } catch {
    // A corrupt entry is the same as none.
  }
  sessionStorage.removeItem(storageKey);
  return null;
}

/**
 * Checks the token against the workspace and, if the server accepts it,
 * keeps it for this tab. Returns the session (with the workspace's
 * canonical slug); throws ApiError otherwise.
 */
export async function signIn(slug: string, token: string): Promise<Session> {
  const candidate = { slug: slug.trim(), token: token.trim() };
  if (!candidate.slug || !candidate.token) {
    throw new ApiError('Enter a workspace and an API token.', 'BAD_USER_INPUT');
  }
  const { viewer } = await execute(SignInViewerQuery, {}, candidate);
  const session = { slug: viewer.tenant.slug || candidate.slug, token: candidate.token };
  sessionStorage.setItem(storageKey, JSON.stringify(session));
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(storageKey);
}
