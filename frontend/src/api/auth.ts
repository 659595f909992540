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

/**
 * The answer of a first sign-in step when a second one is due: the
 * browser holds a pending-sign-in cookie, not a session. `methods` lists
 * what completes it (totp, recovery, passkey); enrollment_required means
 * the workspace requires a second factor the person has yet to set up.
 */
export interface PendingSignIn {
  status: 'mfa_required' | 'enrollment_required';
  methods: string[];
  amr: string[] | null;
  email: string;
}

/** What a sign-in step answers: a session, or the step still due. */
export type SignInAnswer = SignedIn | PendingSignIn;

export function isPending(answer: SignInAnswer | undefined | null): answer is PendingSignIn {
  return !!answer && 'status' in answer && (answer.status === 'mfa_required' || answer.status === 'enrollment_required');
}

/** A session answer that also carries the recovery codes of an enrollment at sign-in. */
export type SignedInWithCodes = SignedIn & { recoveryCodes?: string[] };

/** What an authenticator app needs: shown once, until confirmed. */
export interface TOTPEnrollment {
  otpauthURI: string;
  /** A data: URL of a PNG image. */
  qrCodePNG: string;
  secret: string;
}

export interface RecoveryCodes {
  recoveryCodes: string[];
}

/** `GET mfa`: the signed-in person's second factors and session. */
export interface MFAStatus {
  totp: { enabled: boolean; confirmedAt: string | null };
  recoveryCodesRemaining: number;
  recentlyAuthenticated: boolean;
  stepUpMinutes: number;
  mfaRequired: boolean;
  /** Whether the person has a password to re-enter (not a passkey-only or federated-only account). */
  hasPassword: boolean;
  session: { amr: string[] | null; authTime: string };
}

/** One of the signed-in person's passkeys (never its key). */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** platform, cross-platform, or empty. */
  attachment: string;
  /** Synced: the platform may copy it to the person's other devices. */
  backupEligible: boolean;
  backupState: boolean;
  transports: string[];
  cloneWarning: boolean;
}

/** A WebAuthn ceremony's options, as the server's begin answers them. */
export interface PasskeyOptions<T = Record<string, unknown>> {
  publicKey: T;
  mediation?: string;
}

/** An enabled social provider: one button on the sign-in page. */
export interface SocialProvider {
  slug: string;
  displayName: string;
  kind: string;
}

export interface SocialProviders {
  providers: SocialProvider[];
  /** The text to show for each error code a federated sign-in lands on. */
  errors?: Record<string, string>;
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
  signIn: (slug: string, body: { email: string; password: string }) => authRequest<SignInAnswer>(slug, 'signin', { body }),
  pending: (slug: string) => authRequest<PendingSignIn>(slug, 'pending', { method: 'GET' }),
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

type Credential = object;

/**
 * Second factors: the second step of a sign-in (public, on the pending
 * cookie), enrollment during a sign-in, the signed-in person's own
 * authenticator app and recovery codes, and step-up of a session. A
 * step-up answers the new session (cookie and CSRF token).
 */
export const mfaApi = {
  status: (slug: string) => authRequest<MFAStatus>(slug, 'mfa', { method: 'GET' }),
  beginTOTP: (slug: string, csrfToken: string) => authRequest<TOTPEnrollment>(slug, 'mfa/totp/begin', { csrfToken }),
  confirmTOTP: (slug: string, csrfToken: string, code: string) =>
    authRequest<RecoveryCodes>(slug, 'mfa/totp/confirm', { body: { code }, csrfToken }),
  disableTOTP: (slug: string, csrfToken: string) => authRequest<undefined>(slug, 'mfa/totp/disable', { csrfToken }),
  regenerateRecoveryCodes: (slug: string, csrfToken: string) =>
    authRequest<RecoveryCodes>(slug, 'mfa/recovery/regenerate', { csrfToken }),
  enrollBeginTOTP: (slug: string) => authRequest<TOTPEnrollment>(slug, 'mfa/enroll/totp/begin'),
  enrollConfirmTOTP: (slug: string, code: string) =>
    authRequest<SignedInWithCodes>(slug, 'mfa/enroll/totp/confirm', { body: { code } }),
  signInTOTP: (slug: string, code: string) => authRequest<SignInAnswer>(slug, 'mfa/totp', { body: { code } }),
  signInRecovery: (slug: string, code: string) => authRequest<SignInAnswer>(slug, 'mfa/recovery', { body: { code } }),
  stepUpTOTP: (slug: string, csrfToken: string, code: string) =>
    authRequest<SignedIn>(slug, 'step-up/totp', { body: { code }, csrfToken }),
  stepUpPassword: (slug: string, csrfToken: string, password: string) =>
    authRequest<SignedIn>(slug, 'step-up/password', { body: { password }, csrfToken }),
};

/**
 * Passkey ceremonies: each begin answers the options for
 * navigator.credentials and sets a cookie naming the ceremony; each
 * finish posts the credential as the browser returned it, in JSON.
 */
export const passkeyApi = {
  list: (slug: string) => authRequest<{ passkeys: PasskeyInfo[] }>(slug, 'passkeys', { method: 'GET' }),
  /** Signed in (csrfToken), or during a sign-in that requires enrollment (no csrfToken). */
  registerBegin: (slug: string, name: string, csrfToken?: string) =>
    authRequest<PasskeyOptions>(slug, 'passkeys/register/begin', { body: { name }, csrfToken }),
  registerFinish: (slug: string, credential: Credential, csrfToken?: string) =>
    authRequest<{ passkey: PasskeyInfo } & Partial<SignedIn>>(slug, 'passkeys/register/finish', { body: credential, csrfToken }),
  loginBegin: (slug: string) => authRequest<PasskeyOptions>(slug, 'passkeys/login/begin'),
  loginFinish: (slug: string, credential: Credential) =>
    authRequest<SignInAnswer>(slug, 'passkeys/login/finish', { body: credential }),
  secondFactorBegin: (slug: string) => authRequest<PasskeyOptions>(slug, 'passkeys/second-factor/begin'),
  secondFactorFinish: (slug: string, credential: Credential) =>
    authRequest<SignInAnswer>(slug, 'passkeys/second-factor/finish', { body: credential }),
  stepUpBegin: (slug: string, csrfToken: string) => authRequest<PasskeyOptions>(slug, 'passkeys/step-up/begin', { csrfToken }),
  stepUpFinish: (slug: string, csrfToken: string, credential: Credential) =>
    authRequest<SignedIn>(slug, 'passkeys/step-up/finish', { body: credential, csrfToken }),
  rename: (slug: string, csrfToken: string, id: string, name: string) =>
    authRequest<{ passkey: PasskeyInfo }>(slug, 'passkeys/rename', { body: { id, name }, csrfToken }),
  remove: (slug: string, csrfToken: string, id: string) =>
    authRequest<undefined>(slug, 'passkeys/remove', { body: { id }, csrfToken }),
  invitationBegin: (slug: string, body: { token: string; name: string; passkeyName: string }) =>
    authRequest<PasskeyOptions>(slug, 'passkeys/invitation/begin', { body }),
  invitationFinish: (slug: string, credential: Credential) =>
    authRequest<SignInAnswer>(slug, 'passkeys/invitation/finish', { body: credential }),
};

/** Social sign-in: the buttons, and where each one goes (a full page load). */
export const socialApi = {
  providers: (slug: string) => authRequest<SocialProviders>(slug, 'social/providers', { method: 'GET' }),
  startURL: (slug: string, provider: string, returnTo?: string) =>
    `${authPath(slug, `social/${encodeURIComponent(provider)}/start`)}${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`,
  linkURL: (slug: string, provider: string, returnTo?: string) =>
    `${authPath(slug, `social/${encodeURIComponent(provider)}/link`)}${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`,
};

/** True when the server asks the session to authenticate again first. */
export function isStepUpRequired(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.code === 'step_up_required' || err.code === 'STEP_UP_REQUIRED') return true;
  // GraphQL resolvers that pass the sign-in error through keep its message
  // under FORBIDDEN: recognised until they carry the code.
  return err.code === 'FORBIDDEN' && /^confirm it is you/i.test(err.message);
}
