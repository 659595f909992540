import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { authApi, isPending, passkeyApi } from '../api/auth';
import { ApiError } from '../api/client';
import { useAction } from '../api/hooks';
import { adoptSession } from '../auth/session';
import { createPasskey, isPasskeyAbort, passkeyErrorMessage, passkeysSupported } from '../auth/webauthn';
import { Field, passwordHint } from '../components/Field';
import { Alert } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** /t/:slug/accept-invitation?token=…: choose a name and password, and join. */
export function AcceptInvitationPage() {
  const { slug = '' } = useParams();
  const token = useSearchParams()[0].get('token') ?? '';
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [joined, setJoined] = useState(false);
  const accept = useAction();
  const withPasskey = useAction();
  const [passkeyError, setPasskeyError] = useState<string>();
  const t = encodeURIComponent(slug);

  // A passkey-only account: the passkey, not a password, is how this
  // person signs in (and it is two factors on its own).
  async function joinWithPasskey() {
    setPasskeyError(undefined);
    accept.clear();
    await withPasskey.run(async () => {
      try {
        const options = await passkeyApi.invitationBegin(slug, { token, name: name.trim(), passkeyName: '' });
        const credential = await createPasskey(options);
        const answer = await passkeyApi.invitationFinish(slug, credential);
        if (!isPending(answer) && adoptSession(slug, answer)) navigate(`/w/${t}`, { replace: true });
        else setJoined(true);
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

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await accept.run(async () => {
      const answer = await authApi.acceptInvitation(slug, { token, password, name: name.trim() });
      setPassword('');
      // If the server signed us in on the way, go straight in.
      if (adoptSession(slug, answer)) navigate(`/w/${t}`, { replace: true });
      else setJoined(true);
    });
  }

  if (joined) {
    return (
      <HostedFrame slug={slug} title="Welcome aboard">
        <p role="status">You have joined the workspace. Sign in with your email address and new password.</p>
        <Link className="button" to={`/t/${t}/signin`}>
          Sign in
        </Link>
      </HostedFrame>
    );
  }

  const failure = accept.failure ?? withPasskey.failure;
  const badLink = failure instanceof ApiError && failure.code === 'invalid_link';
  return (
    <HostedFrame slug={slug} title="Accept your invitation" links={<Link to={`/t/${t}/signin`}>Sign in instead</Link>}>
      {!token ? (
        <Alert>This link is incomplete: open the whole link from the email.</Alert>
      ) : (
        <form onSubmit={handleSubmit} aria-busy={accept.busy} aria-label="Accept your invitation">
          <Field
            label="Your name"
            name="name"
            autoComplete="name"
            autoFocus
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <Field
            label="Choose a password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            hint={passwordHint}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <Alert>{accept.error}</Alert>
          {badLink && <p className="muted">Ask whoever invited you to send a new invitation.</p>}
          <button type="submit" disabled={accept.busy || withPasskey.busy}>
            {accept.busy ? 'Joining…' : 'Join the workspace'}
          </button>
          {passkeysSupported() && (
            <div className="other-signins">
              <p className="divider" aria-hidden="true">
                <span>or</span>
              </p>
              <button
                type="button"
                className="secondary wide"
                disabled={accept.busy || withPasskey.busy}
                onClick={() => void joinWithPasskey()}
              >
                {withPasskey.busy ? 'Waiting for your device…' : 'Join with a passkey instead (no password)'}
              </button>
              <Alert>{withPasskey.error ?? passkeyError}</Alert>
            </div>
          )}
        </form>
      )}
    </HostedFrame>
  );
}
