import { useState, type FormEvent } from 'react';
import { mfaApi, passkeyApi, type SignedIn } from '../api/auth';
import { ApiError } from '../api/client';
import { useAction } from '../api/hooks';
import { adoptSession, getSession } from '../auth/session';
import { getPasskey, isPasskeyAbort, passkeyErrorMessage, passkeysSupported } from '../auth/webauthn';
import { Field } from '../components/Field';
import { Alert } from '../components/Feedback';
import { CodeField, cleanCode } from './CodeField';

/** What a step-up may be done with. */
export interface StepUpMethods {
  password?: boolean;
  totp?: boolean;
  passkey?: boolean;
}

interface StepUpFormProps {
  slug: string;
  methods: StepUpMethods;
  /** Called with the new session (its cookie and CSRF token already kept). */
  onDone: (answer: SignedIn) => void;
  onCancel?: () => void;
  /** The email, for password managers. */
  email?: string;
}

/** The CSRF token of the signed-in session, read at the moment it is needed. */
export function currentCsrf(slug: string): string {
  const session = getSession(slug);
  if (session?.kind !== 'password') throw new ApiError('Your session has ended. Sign in again.', 'no_session', { status: 401 });
  return session.csrfToken;
}

type Mode = 'password' | 'totp';

/**
 * Re-authenticates a signed-in session (a password, a code from the
 * authenticator app, or a passkey). The server answers a new session: it
 * replaces the old one here, so whatever is retried next sends the new
 * CSRF token.
 */
export function StepUpForm({ slug, methods, onDone, onCancel, email }: StepUpFormProps) {
  const canPasskey = !!methods.passkey && passkeysSupported();
  const [mode, setMode] = useState<Mode | undefined>(methods.password ? 'password' : methods.totp ? 'totp' : undefined);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const action = useAction();
  const [passkeyError, setPasskeyError] = useState<string>();

  function finish(answer: SignedIn) {
    adoptSession(slug, answer);
    onDone(answer);
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setPasskeyError(undefined);
    await action.run(async () => {
      const csrf = currentCsrf(slug);
      const answer =
        mode === 'totp' ? await mfaApi.stepUpTOTP(slug, csrf, cleanCode(code)) : await mfaApi.stepUpPassword(slug, csrf, password);
      setPassword('');
      setCode('');
      finish(answer);
    });
  }

  async function usePasskey() {
    setPasskeyError(undefined);
    await action.run(async () => {
      try {
        const options = await passkeyApi.stepUpBegin(slug, currentCsrf(slug));
        const credential = await getPasskey(options);
        finish(await passkeyApi.stepUpFinish(slug, currentCsrf(slug), credential));
      } catch (err) {
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

  return (
    <div className="step-up">
      {mode && (
        <form onSubmit={handleSubmit} aria-label="Confirm it is you" aria-busy={action.busy}>
          {mode === 'password' ? (
            <>
              {email && <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />}
              <Field
                label="Your password"
                name="password"
                type="password"
                autoComplete="current-password"
                required
                autoFocus
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </>
          ) : (
            <CodeField value={code} onChange={setCode} />
          )}
          <Alert>{action.error}</Alert>
          <div className="inline">
            <button type="submit" disabled={action.busy}>
              {action.busy ? 'Checking…' : 'Confirm'}
            </button>
            {onCancel && (
              <button type="button" className="secondary" onClick={onCancel} disabled={action.busy}>
                Cancel
              </button>
            )}
          </div>
        </form>
      )}
      {!mode && <Alert>{action.error}</Alert>}
      <div className="other-ways">
        {mode !== 'totp' && methods.totp && (
          <button type="button" className="link-button" onClick={() => setMode('totp')}>
            Use a code from your authenticator app
          </button>
        )}
        {mode !== 'password' && methods.password && (
          <button type="button" className="link-button" onClick={() => setMode('password')}>
            Use your password
          </button>
        )}
        {canPasskey && (
          <button type="button" className="secondary" onClick={() => void usePasskey()} disabled={action.busy}>
            Use a passkey
          </button>
        )}
        {!mode && onCancel && (
          <button type="button" className="secondary" onClick={onCancel} disabled={action.busy}>
            Cancel
          </button>
        )}
      </div>
      <Alert>{passkeyError}</Alert>
    </div>
  );
}
