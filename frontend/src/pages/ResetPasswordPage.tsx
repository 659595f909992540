import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { authApi } from '../api/auth';
import { ApiError } from '../api/client';
import { useAction } from '../api/hooks';
import { forgetSession } from '../auth/session';
import { Field, passwordHint } from '../components/Field';
import { Alert } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** /t/:slug/reset-password?token=…: a new password; every session of the account ends. */
export function ResetPasswordPage() {
  const { slug = '' } = useParams();
  const token = useSearchParams()[0].get('token') ?? '';
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const reset = useAction();
  const t = encodeURIComponent(slug);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await reset.run(async () => {
      await authApi.resetPassword(slug, token, password);
      setPassword('');
      forgetSession(slug);
      setDone(true);
    });
  }

  if (done) {
    return (
      <HostedFrame slug={slug} title="Password changed">
        <p role="status">Your password is changed, and every session of your account was signed out.</p>
        <Link className="button" to={`/t/${t}/signin`}>
          Sign in
        </Link>
      </HostedFrame>
    );
  }

  const badLink = reset.failure instanceof ApiError && reset.failure.code === 'invalid_link';
  return (
    <HostedFrame slug={slug} title="Choose a new password" links={<Link to={`/t/${t}/signin`}>Back to sign in</Link>}>
      {!token ? (
        <Alert>This link is incomplete: open the whole link from the email.</Alert>
      ) : (
        <form onSubmit={handleSubmit} aria-busy={reset.busy} aria-label="Choose a new password">
          <Field
            label="New password"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            autoFocus
            hint={passwordHint}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <Alert>{reset.error}</Alert>
          <button type="submit" disabled={reset.busy}>
            {reset.busy ? 'Saving…' : 'Set the new password'}
          </button>
        </form>
      )}
      {(badLink || !token) && (
        <p>
          <Link to={`/t/${t}/forgot-password`}>Ask for a new link</Link>
        </p>
      )}
    </HostedFrame>
  );
}
