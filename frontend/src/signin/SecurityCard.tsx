import { Link } from 'react-router';
import { Alert, Status } from '../components/Feedback';
import { useLinkResult, useSocialProviders } from './social';

/**
 * On My account: the way to the Security page, and what linking a social
 * account came back with (the server lands a link here, with ?linked= or
 * ?error=).
 */
export function SecurityCard({ slug }: { slug: string }) {
  const social = useSocialProviders(slug);
  const result = useLinkResult(social.messages, social.providers);
  return (
    <section className="card" aria-labelledby="security-card-title">
      <h2 id="security-card-title">Security</h2>
      <Alert>{result.error}</Alert>
      <Status>{result.linked}</Status>
      <p>
        Passkeys, your authenticator app, recovery codes and linked accounts.{' '}
        <Link to={`/t/${encodeURIComponent(slug)}/security`}>Manage how you sign in</Link>
      </p>
    </section>
  );
}
