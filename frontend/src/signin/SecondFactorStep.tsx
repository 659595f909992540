import { useState, type FormEvent } from 'react';
import { mfaApi, passkeyApi, type PendingSignIn, type SignInAnswer } from '../api/auth';
import { ApiError } from '../api/client';
import { useAction } from '../api/hooks';
import { getPasskey, isPasskeyAbort, passkeyErrorMessage, passkeysSupported } from '../auth/webauthn';
import { Alert } from '../components/Feedback';
import { CodeField, cleanCode } from './CodeField';

interface StepProps {
  slug: string;
  pending: PendingSignIn;
  onAnswer: (answer: SignInAnswer) => void;
  /** The pending sign-in is gone (expired, used): start again, saying why. */
  onRestart: (message: string) => void;
}

/** Runs a step of a pending sign-in; an expired one sends the person back to the start. */
export async function pendingStep<T>(run: () => Promise<T>, onRestart: (message: string) => void): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no_pending_signin') {
      onRestart(err.message);
      return undefined;
    }
    throw err;
  }
}

/**
 * The second step after a password (or a federated sign-in): a code from
 * the authenticator app, a recovery code, or a passkey — whichever the
 * server says the person has.
 */
export function SecondFactorStep({ slug, pending, onAnswer, onRestart }: StepProps) {
  const hasTOTP = pending.methods.includes('totp');
  const hasRecovery = pending.methods.includes('recovery');
  const hasPasskey = pending.methods.includes('passkey') && passkeysSupported();
  const [mode, setMode] = useState<'totp' | 'recovery' | undefined>(hasTOTP ? 'totp' : hasRecovery && !hasPasskey ? 'recovery' : undefined);
  const [code, setCode] = useState('');
  const verify = useAction();
  const [passkeyError, setPasskeyError] = useState<string>();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setPasskeyError(undefined);
    await verify.run(async () => {
      const value = mode === 'recovery' ? code.trim() : cleanCode(code);
      const answer = await pendingStep(
        () => (mode === 'recovery' ? mfaApi.signInRecovery(slug, value) : mfaApi.signInTOTP(slug, value)),
        onRestart,
      );
      setCode('');
      if (answer) onAnswer(answer);
    });
  }

  async function usePasskey() {
    setPasskeyError(undefined);
    await verify.run(async () => {
      try {
        const answer = await pendingStep(async () => {
          const options = await passkeyApi.secondFactorBegin(slug);
          const credential = await getPasskey(options);
          return passkeyApi.secondFactorFinish(slug, credential);
        }, onRestart);
        if (answer) onAnswer(answer);
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
    <div className="second-factor">
      <p>
        Signing in as <strong>{pending.email}</strong>.{' '}
        {mode === 'totp'
          ? 'Enter the code from your authenticator app.'
          : mode === 'recovery'
            ? 'Enter one of your recovery codes.'
            : 'Confirm with your passkey.'}
      </p>
      {mode && (
        <form onSubmit={handleSubmit} aria-label="Second step" aria-busy={verify.busy}>
          <CodeField key={mode} recovery={mode === 'recovery'} value={code} onChange={setCode} />
          <Alert>{verify.error}</Alert>
          <button type="submit" disabled={verify.busy}>
            {verify.busy ? 'Checking…' : 'Verify'}
          </button>
        </form>
      )}
      {!mode && <Alert>{verify.error}</Alert>}
      <div className="other-ways">
        {hasPasskey && (
          <button type="button" className={mode ? 'secondary' : undefined} onClick={() => void usePasskey()} disabled={verify.busy}>
            Use a passkey
          </button>
        )}
        {hasTOTP && mode !== 'totp' && (
          <button type="button" className="link-button" onClick={() => { setMode('totp'); setCode(''); verify.clear(); }}>
            Use your authenticator app
          </button>
        )}
        {hasRecovery && mode !== 'recovery' && (
          <button type="button" className="link-button" onClick={() => { setMode('recovery'); setCode(''); verify.clear(); }}>
            Use a recovery code
          </button>
        )}
      </div>
      <Alert>{passkeyError}</Alert>
    </div>
  );
}
