import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { authApi } from '../api/auth';
import { errorMessage, useAction } from '../api/hooks';
import { useSpendLink } from '../auth/links';
import { Field } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** /t/:slug/verify-email?token=…: posts the token as soon as the page opens. */
export function VerifyEmailPage() {
  const { slug = '' } = useParams();
  const token = useSearchParams()[0].get('token');
  const result = useSpendLink(token ? `verify-email:${slug}:${token}` : null, () => authApi.verifyEmail(slug, token ?? ''));
  const t = encodeURIComponent(slug);

  if (!token) {
    return (
      <HostedFrame slug={slug} title="Verify your email address">
        <Alert>This link is incomplete: open the whole link from the email.</Alert>
        <ResendForm slug={slug} />
      </HostedFrame>
    );
  }
  if (result.state === 'pending') {
    return (
      <HostedFrame slug={slug} title="Verify your email address">
        <p role="status">Verifying your address…</p>
      </HostedFrame>
    );
  }
  if (result.state === 'failed') {
    return (
      <HostedFrame slug={slug} title="Verify your email address" links={<Link to={`/t/${t}/signin`}>Sign in</Link>}>
        <Alert>{errorMessage(result.error)}</Alert>
        <ResendForm slug={slug} />
      </HostedFrame>
    );
  }
  return (
    <HostedFrame slug={slug} title="Address verified">
      <p role="status">Your email address is verified. You can sign in now.</p>
      <Link className="button" to={`/t/${t}/signin`}>
        Sign in
      </Link>
    </HostedFrame>
  );
}

function ResendForm({ slug }: { slug: string }) {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState('');
  const resend = useAction();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await resend.run(async () => {
      const answer = await authApi.resendVerification(slug, email.trim());
      setSent(answer?.message ?? 'If that address has an unverified account, we sent it a new link.');
    });
  }

  return (
    <form onSubmit={handleSubmit} aria-label="Send a new link">
      <p>Need a new link? Enter your address:</p>
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="username"
        required
        spellCheck={false}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <Alert>{resend.error}</Alert>
      <Status>{sent}</Status>
      <button type="submit" disabled={resend.busy}>
        Send a new link
      </button>
    </form>
  );
}
