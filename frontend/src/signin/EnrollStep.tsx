import { useState, type FormEvent } from 'react';
import { mfaApi, passkeyApi, type PendingSignIn, type SignInAnswer, type TOTPEnrollment } from '../api/auth';
import { useAction } from '../api/hooks';
import { createPasskey, isPasskeyAbort, passkeyErrorMessage, passkeysSupported } from '../auth/webauthn';
import { Field } from '../components/Field';
import { Alert } from '../components/Feedback';
import { pendingStep } from './SecondFactorStep';
import { TOTPSetup } from './TOTPSetup';

interface EnrollStepProps {
  slug: string;
  pending: PendingSignIn;
  onAnswer: (answer: SignInAnswer & { recoveryCodes?: string[] }) => void;
  onRestart: (message: string) => void;
}

/**
 * The workspace requires a second factor and the person has none: set up
 * an authenticator app (QR code, then a code from it) or a passkey, and
 * the sign-in completes.
 */
export function EnrollStep({ slug, pending, onAnswer, onRestart }: EnrollStepProps) {
  const [choice, setChoice] = useState<'app' | 'passkey'>();
  const [enrollment, setEnrollment] = useState<TOTPEnrollment>();
  const [passkeyName, setPasskeyName] = useState('');
  const [passkeyError, setPasskeyError] = useState<string>();
  const begin = useAction();
  const confirm = useAction();
  const canPasskey = passkeysSupported();

  async function chooseApp() {
    setChoice('app');
    setPasskeyError(undefined);
    await begin.run(async () => {
      const e = await pendingStep(() => mfaApi.enrollBeginTOTP(slug), onRestart);
      if (e) setEnrollment(e);
    });
  }

  async function confirmApp(code: string) {
    await confirm.run(async () => {
      const answer = await pendingStep(() => mfaApi.enrollConfirmTOTP(slug, code), onRestart);
      if (answer) onAnswer(answer);
    });
  }

  async function registerPasskey(event: FormEvent) {
    event.preventDefault();
    setPasskeyError(undefined);
    await begin.run(async () => {
      try {
        const answer = await pendingStep(async () => {
          const options = await passkeyApi.registerBegin(slug, passkeyName.trim());
          const credential = await createPasskey(options);
          return passkeyApi.registerFinish(slug, credential);
        }, onRestart);
        if (answer) onAnswer(answer as SignInAnswer);
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
    <div className="enroll">
      <p>
        This workspace requires a second step when you sign in. Set one up for{' '}
        <strong>{pending.email}</strong> to continue.
      </p>
      {choice === undefined && (
        <div className="choices">
          <button type="button" onClick={() => void chooseApp()}>
            Set up an authenticator app
          </button>
          {canPasskey && (
            <button type="button" className="secondary" onClick={() => setChoice('passkey')}>
              Create a passkey
            </button>
          )}
        </div>
      )}
      {choice === 'app' && (
        <>
          {begin.busy && <p role="status">Preparing…</p>}
          <Alert>{begin.error}</Alert>
          {enrollment && (
            <TOTPSetup
              enrollment={enrollment}
              busy={confirm.busy}
              error={confirm.error}
              onConfirm={confirmApp}
              onCancel={() => { setChoice(undefined); setEnrollment(undefined); confirm.clear(); }}
            />
          )}
        </>
      )}
      {choice === 'passkey' && (
        <form onSubmit={registerPasskey} aria-label="Create a passkey" aria-busy={begin.busy}>
          <p className="muted">
            A passkey signs you in with your device’s screen lock (fingerprint, face or PIN), or a security key.
          </p>
          <Field
            label="Name for this passkey"
            name="passkeyName"
            autoComplete="off"
            maxLength={100}
            placeholder="Work laptop"
            value={passkeyName}
            onChange={(e) => setPasskeyName(e.target.value)}
          />
          <Alert>{begin.error ?? passkeyError}</Alert>
          <div className="inline">
            <button type="submit" disabled={begin.busy}>
              {begin.busy ? 'Waiting for your device…' : 'Create the passkey'}
            </button>
            <button type="button" className="secondary" onClick={() => { setChoice(undefined); begin.clear(); }} disabled={begin.busy}>
              Back
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
