// The sign-in endpoints under /t/{slug}/auth/: JSON in, JSON or problem JSON
// out. Problems become ApiError with the server's stable `code`
// (invalid_credentials, email_not_verified, rate_limited, …), its `detail`
// as the message, and a 429's Retry-After in seconds. Who is signed in is
// not kept here: src/auth/session.ts owns that.
import { ApiError } from './client';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: string;
}

export interface SessionInfo {
  id: string;
  amr: string[] | null;
  authTime: string;
  expiresAt: string;
}

/** The answer of `POST signin` and `GET session`. */
export interface SignedIn {
  user: SessionUser;
  session: SessionInfo;
  csrfToken: string;
}

/** One row of `GET sessions`. */
export interface SessionRow {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  amr: string[] | null;
  authTime: string;
}

/** The body of a 202: the same whether or not an account exists. */
export interface Accepted {
  status?: string;
  message?: string;
}

interface Problem {
  status?: number;
  detail?: string;
  title?: string;
  code?: string;
}

export function authPath(slug: string, endpoint: string): string {
  return `/t/${encodeURIComponent(slug)}/auth/${endpoint}`;
}

/** Reads Retry-After (seconds or an HTTP date) as whole seconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "Try again in 15 minutes (at 21:35)." from a number of seconds. */
export function retryMessage(seconds: number, now = new Date()): string {
  const at = new Date(now.getTime() + seconds * 1000);
  const clock = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  let wait: string;
  if (seconds < 60) wait = `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  else {
    const minutes = Math.ceil(seconds / 60);
    wait = `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  }
  return `Try again in ${wait} (at ${clock}).`;
}

const fallbackMessages: Record<string, string> = {
  csrf: 'This page is out of date. Reload it and try again.',
  no_session: 'Your session has ended. Sign in again.',
  not_found: 'No such workspace.',
};

/** The server's details are lower-case fragments; shown, they read as sentences. */
function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: object;
  csrfToken?: string;
  signal?: AbortSignal;
}

/** Calls one sign-in endpoint; returns its JSON body (undefined for 204). */
export async function authRequest<T>(slug: string, endpoint: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'POST';
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.csrfToken) headers['X-CSRF-Token'] = options.csrfToken;
  let response: Response;
  try {
    response = await fetch(authPath(slug, endpoint), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('Could not reach the server. Check your connection and try again.', 'NETWORK');
  }

  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return body as T;

  const problem = (body ?? {}) as Problem;
  const code = problem.code || (response.status === 429 ? 'rate_limited' : `http_${response.status}`);
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  const message =
    code === 'rate_limited'
      ? `Too many attempts. ${retryAfter === undefined ? 'Try again later.' : retryMessage(retryAfter)}`
      : sentence(problem.detail || fallbackMessages[code] || `The server answered ${response.status}.`);
  throw new ApiError(message, code, { status: response.status, retryAfter });
}

/**
 * True when a signed-in request failed because the session is gone (ended,
 * revoked, expired), as opposed to a wrong password re-entered to confirm.
 */
export function isSessionEnded(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401 && err.code !== 'invalid_credentials';
}

/** The endpoints, one function each, so pages never spell a path. */
export const authApi = {
  signUp: (slug: string, body: { email: string; password: string; name: string }) =>
    authRequest<Accepted>(slug, 'signup', { body }),
  verifyEmail: (slug: string, token: string) => authRequest<unknown>(slug, 'verify-email', { body: { token } }),
  resendVerification: (slug: string, email: string) =>
    authRequest<Accepted>(slug, 'resend-verification', { body: { email } }),
  signIn: (slug: string, body: { email: string; password: string }) => authRequest<SignedIn>(slug, 'signin', { body }),
  forgotPassword: (slug: string, email: string) => authRequest<Accepted>(slug, 'forgot-password', { body: { email } }),
  resetPassword: (slug: string, token: string, newPassword: string) =>
    authRequest<unknown>(slug, 'reset-password', { body: { token, newPassword } }),
  confirmEmail: (slug: string, token: string, csrfToken?: string) =>
    authRequest<unknown>(slug, 'confirm-email', { body: { token }, csrfToken }),
  acceptInvitation: (slug: string, body: { token: string; password: string; name: string }) =>
    authRequest<Partial<SignedIn> | undefined>(slug, 'accept-invitation', { body }),
  session: (slug: string) => authRequest<SignedIn>(slug, 'session', { method: 'GET' }),
  sessions: (slug: string) => authRequest<{ sessions: SessionRow[] }>(slug, 'sessions', { method: 'GET' }),
  revokeSession: (slug: string, csrfToken: string, id: string) =>
    authRequest<unknown>(slug, 'sessions/revoke', { body: { id }, csrfToken }),
  revokeOtherSessions: (slug: string, csrfToken: string) =>
    authRequest<unknown>(slug, 'sessions/revoke', { body: { others: true }, csrfToken }),
  signOut: (slug: string, csrfToken: string) => authRequest<undefined>(slug, 'signout', { csrfToken }),
  changePassword: (slug: string, csrfToken: string, body: { password: string; newPassword: string }) =>
    authRequest<{ csrfToken?: string }>(slug, 'change-password', { body, csrfToken }),
  changeEmail: (slug: string, csrfToken: string, body: { newEmail: string; password: string }) =>
    authRequest<Accepted>(slug, 'change-email', { body, csrfToken }),
  deleteAccount: (slug: string, csrfToken: string, password: string) =>
    authRequest<undefined>(slug, 'delete-account', { body: { password }, csrfToken }),
};
