import { useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { authApi } from '../api/auth';
import { useAction, type SignInState } from '../api/hooks';
import { Field } from '../components/Field';
import { Alert } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** /t/:slug/forgot-password: mails a reset link; the answer never says whether the account exists. */
export function ForgotPasswordPage() {
  const { slug = '' } = useParams();
  const state = (useLocation().state ?? {}) as SignInState;
  const [email, setEmail] = useState(state.email ?? '');
  const [sent, setSent] = useState<string>();
  const send = useAction();
  const t = encodeURIComponent(slug);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await send.run(async () => {
      const answer = await authApi.forgotPassword(slug, email.trim());
      setSent(answer?.message ?? 'If that address has an account, we sent it a link to reset the password.');
    });
  }

  return (
    <HostedFrame slug={slug} title="Reset your password" links={<Link to={`/t/${t}/signin`}>Back to sign in</Link>}>
      {sent ? (
        <p role="status">{sent}</p>
      ) : (
        <form onSubmit={handleSubmit} aria-busy={send.busy} aria-label="Reset your password">
          <p className="muted">We will email you a link to choose a new password.</p>
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
          <Alert>{send.error}</Alert>
          <button type="submit" disabled={send.busy}>
            {send.busy ? 'Sending…' : 'Send the link'}
          </button>
        </form>
      )}
    </HostedFrame>
  );
}
