import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import {
  authApi,
  isPending,
  passkeyApi,
  type PendingSignIn,
  type SignInAnswer,
  type SignedInWithCodes,
} from '../api/auth';
import { ApiError } from '../api/client';
import { errorMessage, useAction, type SignInState } from '../api/hooks';
import { loadPage } from '../auth/redirect';
import { adoptSession, useRestoredSession, type PasswordSession } from '../auth/session';
import {
  cancelPasskeyRequest,
  conditionalMediationAvailable,
  getPasskey,
  isPasskeyAbort,
  passkeyErrorMessage,
  passkeysSupported,
} from '../auth/webauthn';
import { Field } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';
import { EnrollStep } from '../signin/EnrollStep';
import { RecoveryCodesOnce } from '../signin/RecoveryCodesOnce';
import { SecondFactorStep } from '../signin/SecondFactorStep';
import { SocialButtons, socialErrorMessage, useSocialProviders } from '../signin/social';
import { StepUpForm, type StepUpMethods } from '../signin/StepUpForm';
import { useOwnStepUpMethods } from '../signin/useStepUp';

/** The pages of a workspace a sign-in may come back to inside the app. */
function appPages(slug: string): string[] {
  const t = encodeURIComponent(slug);
  return [`/w/${t}`, `/t/${t}/account`, `/t/${t}/security`];
}

/** Where to go after signing in: a page of this workspace, else its dashboard. */
export function afterSignIn(slug: string, next: string | undefined | null): string {
  const mine = appPages(slug);
  if (next && !next.includes('//') && !next.includes('\\') && mine.some((p) => next === p || next.startsWith(`${p}/`) || next.startsWith(`${p}?`))) {
    return next;
  }
  return mine[0]!;
}

/** return_to naming a page of the app itself (a federated sign-in's way back), or null. */
export function appReturn(slug: string, returnTo: string | null): string | null {
  if (!returnTo) return null;
  const target = afterSignIn(slug, returnTo);
  return target === returnTo ? target : null;
}

/**
 * Where the server asked to come back to after signing in: the issuer's
 * authorize or device page, or the page that links a social account, in
 * this workspace, never anywhere else.
 */
export function issuerReturn(slug: string, returnTo: string | null): string | null {
  if (!returnTo) return null;
  const base = `/t/${encodeURIComponent(slug)}/`;
  const ok =
    returnTo === `${base}device` ||
    [`${base}oauth2/authorize?`, `${base}device?`].some((p) => returnTo.startsWith(p)) ||
    new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}auth/social/[a-z0-9-]+/link(\\?|$)`).test(returnTo);
  if (!ok) return null;
  if (returnTo.includes('//') || returnTo.includes('\\')) return null;
  return returnTo;
}

type Step =
  | { kind: 'credentials' }
  | { kind: 'loading' }
  | { kind: 'mfa'; pending: PendingSignIn }
  | { kind: 'enroll'; pending: PendingSignIn }
  | { kind: 'codes'; codes: string[] };

const titles: Record<Step['kind'], string> = {
  credentials: 'Sign in',
  loading: 'Sign in',
  mfa: 'Two-step verification',
  enroll: 'Set up two-step verification',
  codes: 'Two-step verification is on',
};

/** How long an autofill passkey request waits before it starts afresh (the server's ceremony lasts 5 minutes). */
const conditionalRefreshMs = 4 * 60 * 1000;

/**
 * /t/:slug/signin: email and password, a passkey (button or the email
 * field's autofill), or a social provider; then the second step or the
 * enrollment the workspace asks for. With ?step_up=mfa|login (sent by the
 * issuer or the account pages) a signed-in person confirms it is them
 * instead, then goes back to return_to.
 */
export function SignInPage() {
  const { slug = '' } = useParams();
  const stepUp = new URLSearchParams(useLocation().search).get('step_up');
  const [signInAnyway, setSignInAnyway] = useState(false);
  if (stepUp && !signInAnyway) return <StepUpGate slug={slug} mode={stepUp} onSignInAnyway={() => setSignInAnyway(true)} />;
  return <SignInFlow slug={slug} />;
}

/** A step-up needs the signed-in session; without one, a plain sign-in does. */
function StepUpGate({ slug, mode, onSignInAnyway }: { slug: string; mode: string; onSignInAnyway: () => void }) {
  const { session, loading } = useRestoredSession(slug);
  if (loading) {
    return (
      <HostedFrame slug={slug} title="Confirm it is you">
        <p role="status">Loading…</p>
      </HostedFrame>
    );
  }
  if (session?.kind === 'password') return <StepUpPage slug={slug} session={session} mode={mode} onSignInAnyway={onSignInAnyway} />;
  return <SignInFlow slug={slug} />;
}

/** Leaves the sign-in page for return_to (a full load of a server page) or a page of the app. */
function useLeave(slug: string) {
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? {}) as SignInState;
  const raw = new URLSearchParams(location.search).get('return_to');
  const server = issuerReturn(slug, raw);
  const app = appReturn(slug, raw) ?? state.next;
  const leave = useCallback(() => {
    if (server) {
      loadPage(server);
      return;
    }
    navigate(afterSignIn(slug, app), { replace: true });
  }, [server, app, navigate, slug]);
  return { leave, target: server ?? afterSignIn(slug, app) };
}

function SignInFlow({ slug }: { slug: string }) {
  const location = useLocation();
  const state = (location.state ?? {}) as SignInState;
  const query = new URLSearchParams(location.search);
  const resumeStep = query.get('step');
  const { leave, target } = useLeave(slug);
  const social = useSocialProviders(slug);
  const [step, setStep] = useState<Step>(resumeStep === 'mfa' || resumeStep === 'enroll' ? { kind: 'loading' } : { kind: 'credentials' });
  const [email, setEmail] = useState(state.email ?? query.get('login_hint') ?? '');
  const [password, setPassword] = useState('');
  const errorCode = query.get('error');
  const [notice, setNotice] = useState<string | undefined>(state.message);
  const [status, setStatus] = useState(state.notice ?? '');
  const [passkeyError, setPasskeyError] = useState<string>();
  const [conditionalRound, setConditionalRound] = useState(0);
  const signIn = useAction();
  const resend = useAction();
  const passkey = useAction();
  const t = encodeURIComponent(slug);

  const handleAnswer = useCallback(
    (answer: SignInAnswer & { recoveryCodes?: string[] }) => {
      setPassword('');
      if (isPending(answer)) {
        setStep({ kind: answer.status === 'mfa_required' ? 'mfa' : 'enroll', pending: answer });
        return;
      }
      adoptSession(slug, answer);
      const codes = (answer as SignedInWithCodes).recoveryCodes;
      if (codes && codes.length > 0) {
        setStep({ kind: 'codes', codes });
        return;
      }
      leave();
    },
    [slug, leave],
  );

  // The autofill request's begin, while it is on its way: a button's
  // ceremony waits for it, or the two would race for the ceremony cookie.
  const conditionalBegin = useRef<Promise<unknown> | null>(null);
  const answerRef = useRef(handleAnswer);
  answerRef.current = handleAnswer;

  const restart = useCallback((message: string) => {
    setStep({ kind: 'credentials' });
    setNotice(message);
  }, []);

  // Back from a federated sign-in that needs a second step: the pending
  // sign-in is the browser's cookie; ask what it needs.
  useEffect(() => {
    if (resumeStep !== 'mfa' && resumeStep !== 'enroll') return;
    let current = true;
    authApi.pending(slug).then(
      (pending) => current && setStep({ kind: pending.status === 'mfa_required' ? 'mfa' : 'enroll', pending }),
      (err: unknown) => {
        if (!current) return;
        setStep({ kind: 'credentials' });
        setNotice(errorMessage(err));
      },
    );
    return () => {
      current = false;
    };
  }, [slug, resumeStep]);

  // Passkeys in the email field's autofill (conditional mediation): a
  // request waits in the background while the form is shown; picking a
  // passkey there signs in. A button's request replaces it.
  const onCredentials = step.kind === 'credentials';
  useEffect(() => {
    if (!onCredentials) return;
    let live = true;
    const refresh = setTimeout(() => live && setConditionalRound((n) => n + 1), conditionalRefreshMs);
    const starting = (async () => {
      if (!(await conditionalMediationAvailable()) || !live) return undefined;
      return passkeyApi.loginBegin(slug);
    })();
    conditionalBegin.current = starting.catch(() => undefined);
    void (async () => {
      try {
        // A background request that cannot start says nothing: the button still works.
        const options = await starting.catch(() => undefined);
        if (!options || !live) return;
        let credential: object;
        try {
          credential = await getPasskey(options, { conditional: true });
        } catch {
          // The autofill request ended without a pick (replaced, aborted,
          // or refused by the browser): nothing to tell the person.
          return;
        }
        if (!live) return;
        setPasskeyError(undefined);
        answerRef.current(await passkeyApi.loginFinish(slug, credential));
      } catch (err) {
        if (!live || isPasskeyAbort(err)) return;
        if (err instanceof ApiError && err.code === 'passkey_ceremony_expired') {
          setConditionalRound((n) => n + 1);
          return;
        }
        setPasskeyError(passkeyErrorMessage(err) ?? errorMessage(err));
      }
    })();
    return () => {
      live = false;
      clearTimeout(refresh);
      cancelPasskeyRequest();
    };
  }, [slug, onCredentials, conditionalRound]);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setNotice(undefined);
    setStatus('');
    setPasskeyError(undefined);
    await signIn.run(async () => {
      handleAnswer(await authApi.signIn(slug, { email: email.trim(), password }));
    });
  }

  async function signInWithPasskey() {
    setNotice(undefined);
    setStatus('');
    setPasskeyError(undefined);
    signIn.clear();
    await passkey.run(async () => {
      try {
        await conditionalBegin.current;
        const options = await passkeyApi.loginBegin(slug);
        const credential = await getPasskey(options);
        handleAnswer(await passkeyApi.loginFinish(slug, credential));
      } catch (err) {
        // The autofill request was cancelled for this one: start it again.
        setConditionalRound((n) => n + 1);
        if (isPasskeyAbort(err)) return;
        const message = passkeyErrorMessage(err);
        if (message) {
          setPasskeyError(message);
          return;
        }
        throw err;
      }
    });
  }

  const unverified = signIn.failure instanceof ApiError && signIn.failure.code === 'email_not_verified';
  const federatedError = errorCode ? socialErrorMessage(errorCode, social.messages, providerName(query.get('provider'), social.providers)) : undefined;
  const startOver = (
    <button type="button" className="link-button" onClick={() => restart('')}>
      Start over
    </button>
  );

  if (step.kind === 'loading') {
    return (
      <HostedFrame slug={slug} title={titles.loading}>
        <p role="status">Loading…</p>
      </HostedFrame>
    );
  }
  if (step.kind === 'mfa') {
    return (
      <HostedFrame slug={slug} title={titles.mfa} links={startOver}>
        <SecondFactorStep slug={slug} pending={step.pending} onAnswer={handleAnswer} onRestart={restart} />
      </HostedFrame>
    );
  }
  if (step.kind === 'enroll') {
    return (
      <HostedFrame slug={slug} title={titles.enroll} links={startOver}>
        <EnrollStep slug={slug} pending={step.pending} onAnswer={handleAnswer} onRestart={restart} />
      </HostedFrame>
    );
  }
  if (step.kind === 'codes') {
    return (
      <HostedFrame slug={slug} title={titles.codes}>
        <p>Your authenticator app is set up and you are signed in.</p>
        <RecoveryCodesOnce codes={step.codes} onDone={leave} />
      </HostedFrame>
    );
  }

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
      <Alert>{federatedError}</Alert>
      <form onSubmit={handleSubmit} aria-busy={signIn.busy} aria-label="Sign in">
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username webauthn"
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
        <button type="submit" disabled={signIn.busy || passkey.busy}>
          {signIn.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {(passkeysSupported() || social.providers.length > 0) && (
        <div className="other-signins">
          <p className="divider" aria-hidden="true">
            <span>or</span>
          </p>
          {passkeysSupported() && (
            <button type="button" className="secondary wide" onClick={() => void signInWithPasskey()} disabled={passkey.busy || signIn.busy}>
              {passkey.busy ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
            </button>
          )}
          <Alert>{passkey.error ?? passkeyError}</Alert>
          <SocialButtons slug={slug} providers={social.providers} returnTo={target} />
        </div>
      )}
    </HostedFrame>
  );
}

function providerName(provider: string | null, providers: { slug: string; displayName: string }[]): string | null {
  if (!provider) return null;
  return providers.find((p) => p.slug === provider)?.displayName ?? null;
}

/** Which ways of confirming to offer for step_up=mfa (the issuer names them) or step_up=login (the person's own). */
function useStepUpMethods(slug: string, mode: string, named: string[]): StepUpMethods | undefined {
  const own = useOwnStepUpMethods(slug, mode !== 'mfa');
  if (mode === 'mfa') return { totp: named.includes('totp'), passkey: named.includes('passkey') };
  return own;
}

/** ?step_up=…: the signed-in person confirms it is them, then goes back to return_to. */
function StepUpPage({
  slug,
  session,
  mode,
  onSignInAnyway,
}: {
  slug: string;
  session: PasswordSession;
  mode: string;
  onSignInAnyway: () => void;
}) {
  const query = new URLSearchParams(useLocation().search);
  const named = (query.get('methods') ?? '').split(/\s+/).filter(Boolean);
  const methods = useStepUpMethods(slug, mode, named);
  const { leave } = useLeave(slug);
  const offered = methods && (methods.password || methods.totp || methods.passkey);
  const returnTo = useRef(query.get('return_to'));

  return (
    <HostedFrame
      slug={slug}
      title="Confirm it is you"
      links={
        <button type="button" className="link-button" onClick={onSignInAnyway}>
          Sign in as someone else
        </button>
      }
    >
      <p>
        {mode === 'mfa'
          ? 'This app asks for a second step: confirm with your authenticator app or a passkey.'
          : 'Sign in again to continue.'}{' '}
        Signed in as <strong>{session.user.email}</strong>.
      </p>
      {!methods && <p role="status">Loading…</p>}
      {methods && !offered && (
        <Alert>You have no second factor to confirm with. Set one up on your Security page first.</Alert>
      )}
      {methods && offered && (
        <StepUpForm
          slug={slug}
          methods={methods}
          email={session.user.email}
          onDone={leave}
          onCancel={returnTo.current ? undefined : leave}
        />
      )}
    </HostedFrame>
  );
}
