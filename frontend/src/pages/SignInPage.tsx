import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { authApi } from '../api/auth';
import { ApiError } from '../api/client';
import { useAction, type SignInState } from '../api/hooks';
import { signInWithPassword } from '../auth/session';
import { Field } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** Where to go after signing in: a page of this workspace, else its dashboard. */
export function afterSignIn(slug: string, next: string | undefined): string {
  const mine = [`/w/${encodeURIComponent(slug)}`, `/t/${encodeURIComponent(slug)}/account`];
  if (next && mine.some((p) => next === p || next.startsWith(`${p}/`))) return next;
  return mine[0]!;
}

/**
 * Where the issuer asked to come back to after signing in: its own
 * authorize or device page in this workspace, never anywhere else.
 */
export function issuerReturn(slug: string, returnTo: string | null): string | null {
  if (!returnTo) return null;
  const base = `/t/${encodeURIComponent(slug)}/`;
  const ok = returnTo === `${base}device` || [`${base}oauth2/authorize?`, `${base}device?`].some((p) => returnTo.startsWith(p));
  if (!ok) return null;
  if (returnTo.includes('//') || returnTo.includes('\\')) return null;
  return returnTo;
}

/** /t/:slug/signin: email and password. */
export function SignInPage() {
  const { slug = '' } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? {}) as SignInState;
  const query = new URLSearchParams(location.search);
  const returnTo = issuerReturn(slug, query.get('return_to'));
  const [email, setEmail] = useState(state.email ?? query.get('login_hint') ?? '');
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState(state.message);
  const signIn = useAction();
  const resend = useAction();
  const [status, setStatus] = useState(state.notice ?? '');
  const t = encodeURIComponent(slug);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setNotice(undefined);
    setStatus('');
    await signIn.run(async () => {
      await signInWithPassword(slug, email, password);
      if (returnTo) {
        window.location.assign(returnTo);
        return;
      }
      navigate(afterSignIn(slug, state.next), { replace: true });
    });
  }

  const unverified = signIn.failure instanceof ApiError && signIn.failure.code === 'email_not_verified';

  return (
    <HostedFrame
      slug={slug}
      title="Sign in"
      links={
        <>
          <Link to={`/t/${t}/forgot-password`} state={{ email } satisfies SignInState}>
            Forgot your password?
          </Link>
          <Link to={`/t/${t}/signup`}>Create an account</Link>
          <Link to="/signin/token" state={{ slug } satisfies SignInState}>
            Sign in with an API token
          </Link>
        </>
      }
    >
      <form onSubmit={handleSubmit} aria-busy={signIn.busy} aria-label="Sign in">
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          spellCheck={false}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Alert>{signIn.error ?? notice}</Alert>
        {unverified && (
          <p>
            <button
              type="button"
              className="secondary"
              disabled={resend.busy}
              onClick={() =>
                void resend.run(async () => {
                  const answer = await authApi.resendVerification(slug, email.trim());
                  setStatus(answer?.message ?? 'We sent you a new link.');
                })
              }
            >
              Send the verification link again
            </button>
          </p>
        )}
        <Status>{status}</Status>
        <Alert>{resend.error}</Alert>
        <button type="submit" disabled={signIn.busy}>
          {signIn.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </HostedFrame>
  );
}
