import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { authApi } from '../api/auth';
import { ApiError } from '../api/client';
import { useAction } from '../api/hooks';
import { adoptSession } from '../auth/session';
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
  const t = encodeURIComponent(slug);

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

  const badLink = accept.failure instanceof ApiError && accept.failure.code === 'invalid_link';
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
          <button type="submit" disabled={accept.busy}>
            {accept.busy ? 'Joining…' : 'Join the workspace'}
          </button>
        </form>
      )}
    </HostedFrame>
  );
}
