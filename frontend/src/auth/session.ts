// Who is signed in, per workspace: the one place that knows.
//
// A person signs in with email and password: the server sets an HttpOnly
// session cookie, and this module keeps only the session's CSRF token (in
// memory, never stored), restoring it from `GET session` after a reload.
// Scripts and operators may instead sign in with an API token, kept in
// sessionStorage only (gone when the tab closes). Neither secret is ever
// logged or rendered. The GraphQL client sends X-CSRF-Token or
// Authorization accordingly (credentialsOf).
import { useEffect, useState, useSyncExternalStore } from 'react';
import { authApi, isPending, type PendingSignIn, type SessionUser, type SignedIn, type SignInAnswer } from '../api/auth';
import { ApiError, execute, type Credentials } from '../api/client';
import { graphql } from '../gql';

export interface PasswordSession {
  kind: 'password';
  slug: string;
  csrfToken: string;
  user: SessionUser;
}

export interface TokenSession {
  kind: 'token';
  slug: string;
  token: string;
}

export type Session = PasswordSession | TokenSession;

/** sessionStorage key of the API-token session. */
export const storageKey = 'mandate.session';
/** localStorage key of the last workspace signed in to (a slug, not a secret). */
export const lastWorkspaceKey = 'mandate.lastWorkspace';

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

const passwordSessions = new Map<string, PasswordSession>();
const restoring = new Map<string, Promise<Session | null>>();
const listeners = new Set<() => void>();
let version = 0;

function changed() {
  version++;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function tokenSession(): TokenSession | null {
  const raw = sessionStorage.getItem(storageKey);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<TokenSession>;
    if (typeof value.slug === 'string' && typeof value.token === 'string' && value.slug && value.token) {
      return { kind: 'token', slug: value.slug, token: value.token };
    }
  } catch {
    // A corrupt entry is the same as none.
  }
  sessionStorage.removeItem(storageKey);
  return null;
}

/**
 * The session for a workspace (a password session first, then an API
 * token), or, without a slug, any session this tab has.
 */
export function getSession(slug?: string): Session | null {
  const token = tokenSession();
  if (slug === undefined) return token ?? passwordSessions.values().next().value ?? null;
  return passwordSessions.get(slug) ?? (token?.slug === slug ? token : null);
}

/** getSession as React state: re-renders when a session starts or changes. */
export function useSession(slug: string): Session | null {
  useSyncExternalStore(subscribe, () => version);
  return getSession(slug);
}

export interface RestoredSession {
  session: Session | null;
  /** True until the server has said whether the cookie holds a session. */
  loading: boolean;
  error: unknown;
}

/** useSession, asking the server once when this tab knows of no session. */
export function useRestoredSession(slug: string): RestoredSession {
  const session = useSession(slug);
  const [checked, setChecked] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (session) return;
    let current = true;
    restoreSession(slug).then(
      () => current && setChecked(slug),
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setChecked(slug);
      },
    );
    return () => {
      current = false;
    };
  }, [slug, session]);
  return { session, loading: !session && checked !== slug, error: session ? undefined : error };
}

export function credentialsOf(session: Session): Credentials {
  return session.kind === 'token'
    ? { slug: session.slug, token: session.token }
    : { slug: session.slug, csrfToken: session.csrfToken };
}

export function lastWorkspace(): string {
  try {
    return localStorage.getItem(lastWorkspaceKey) ?? '';
  } catch {
    return '';
  }
}

function remember(slug: string) {
  try {
    localStorage.setItem(lastWorkspaceKey, slug);
  } catch {
    // Private modes may refuse storage; only the prefill is lost.
  }
}

function keep(slug: string, answer: SignedIn): PasswordSession {
  const session: PasswordSession = { kind: 'password', slug, csrfToken: answer.csrfToken, user: answer.user };
  passwordSessions.set(slug, session);
  if (tokenSession()?.slug === slug) sessionStorage.removeItem(storageKey);
  remember(slug);
  changed();
  return session;
}

/**
 * The session for slug, asking the server (`GET session`) when this tab
 * holds none: the cookie outlives a reload, the CSRF token does not.
 * Resolves null when nobody is signed in there.
 */
export function restoreSession(slug: string): Promise<Session | null> {
  const known = getSession(slug);
  if (known) return Promise.resolve(known);
  let pending = restoring.get(slug);
  if (!pending) {
    pending = authApi
      .session(slug)
      .then((answer) => (answer?.csrfToken ? keep(slug, answer) : null))
      .catch((err: unknown) => {
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
        throw err;
      })
      .finally(() => restoring.delete(slug));
    restoring.set(slug, pending);
  }
  return pending;
}

/** Asks the server again (after the profile changed), when signed in with a password. */
export function refreshSession(slug: string): Promise<Session | null> {
  passwordSessions.delete(slug);
  return restoreSession(slug);
}

/**
 * Keeps the session a sign-in step answered, or passes on the step still
 * due (a second factor, or enrolling one): the browser then holds only a
 * pending-sign-in cookie.
 */
export function afterSignInStep(slug: string, answer: SignInAnswer): PasswordSession | PendingSignIn {
  if (isPending(answer)) return answer;
  return keep(slug, answer);
}

/**
 * Email and password sign-in; throws ApiError with the server's code.
 * Resolves the session, or the second step the server asks for.
 */
export async function signInWithPassword(slug: string, email: string, password: string): Promise<PasswordSession | PendingSignIn> {
  const answer = await authApi.signIn(slug, { email: email.trim(), password });
  return afterSignInStep(slug, answer);
}

/** Keeps the session a flow (accept-invitation) started, if it answered one. */
export function adoptSession(slug: string, answer: Partial<SignedIn> | undefined): PasswordSession | null {
  if (!answer?.csrfToken || !answer.user) return null;
  return keep(slug, answer as SignedIn);
}

/** A password change starts a new session id and CSRF token. */
export function replaceCsrfToken(slug: string, csrfToken: string) {
  const session = passwordSessions.get(slug);
  if (!session) return;
  passwordSessions.set(slug, { ...session, csrfToken });
  changed();
}

/**
 * Checks an API token against the workspace and, if the server accepts it,
 * keeps it for this tab. Returns the session (with the workspace's
 * canonical slug); throws ApiError otherwise.
 */
export async function signInWithToken(slug: string, token: string): Promise<TokenSession> {
  const candidate = { slug: slug.trim(), token: token.trim() };
  if (!candidate.slug || !candidate.token) {
    throw new ApiError('Enter a workspace and an API token.', 'BAD_USER_INPUT');
  }
  const { viewer } = await execute(SignInViewerQuery, {}, candidate);
  const session: TokenSession = { kind: 'token', slug: viewer.tenant.slug || candidate.slug, token: candidate.token };
  sessionStorage.setItem(storageKey, JSON.stringify({ slug: session.slug, token: session.token }));
  // One sign-in per workspace per tab: the token replaces a password session.
  passwordSessions.delete(session.slug);
  remember(session.slug);
  changed();
  return session;
}

/**
 * Drops what this tab knows about slug's session, without asking the
 * server. Pages are not re-rendered for it: whoever ends a session goes
 * somewhere next (the sign-in page, with a message), and a re-render first
 * would redirect without that message.
 */
export function forgetSession(slug: string) {
  passwordSessions.delete(slug);
  if (tokenSession()?.slug === slug) sessionStorage.removeItem(storageKey);
}

/** Drops every session this tab knows (tests, and nothing else). */
export function forgetAllSessions() {
  passwordSessions.clear();
  restoring.clear();
  sessionStorage.removeItem(storageKey);
}

/**
 * Signs out of slug: ends the server session of a password sign-in (the
 * cookie is cleared by the answer), forgets an API token.
 */
export async function signOut(slug: string): Promise<void> {
  const session = passwordSessions.get(slug);
  if (session) {
    try {
      await authApi.signOut(slug, session.csrfToken);
    } catch (err) {
      // Already ended elsewhere is signed out all the same.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
  }
  forgetSession(slug);
}
