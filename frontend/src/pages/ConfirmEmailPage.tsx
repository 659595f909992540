import { Link, useParams, useSearchParams } from 'react-router';
import { authApi } from '../api/auth';
import { errorMessage } from '../api/hooks';
import { useSpendLink } from '../auth/links';
import { getSession, refreshSession } from '../auth/session';
import { Alert } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** /t/:slug/confirm-email?token=…: makes the new address the sign-in address. */
export function ConfirmEmailPage() {
  const { slug = '' } = useParams();
  const token = useSearchParams()[0].get('token');
  const result = useSpendLink(token ? `confirm-email:${slug}:${token}` : null, async () => {
    const session = getSession(slug);
    await authApi.confirmEmail(slug, token ?? '', session?.kind === 'password' ? session.csrfToken : undefined);
    // The profile this tab holds names the old address.
    await refreshSession(slug).catch(() => null);
  });
  const t = encodeURIComponent(slug);

  if (!token) {
    return (
      <HostedFrame slug={slug} title="Confirm your new address">
        <Alert>This link is incomplete: open the whole link from the email.</Alert>
      </HostedFrame>
    );
  }
  if (result.state === 'pending') {
    return (
      <HostedFrame slug={slug} title="Confirm your new address">
        <p role="status">Confirming your new address…</p>
      </HostedFrame>
    );
  }
  if (result.state === 'failed') {
    return (
      <HostedFrame slug={slug} title="Confirm your new address" links={<Link to={`/t/${t}/account`}>My account</Link>}>
        <Alert>{errorMessage(result.error)}</Alert>
        <p className="muted">You can ask for a new link from My account.</p>
      </HostedFrame>
    );
  }
  return (
    <HostedFrame slug={slug} title="Address changed">
      <p role="status">Your new address is confirmed: use it to sign in from now on.</p>
      <Link className="button" to={`/t/${t}/account`}>
        My account
      </Link>
    </HostedFrame>
  );
}
