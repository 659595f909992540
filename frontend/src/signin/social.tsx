import { useEffect, useState } from 'react';
import { useLocation } from 'react-router';
import { socialApi, type SocialProvider } from '../api/auth';

/** What the sign-in page shows for the error codes a federated sign-in lands on, unless the server says better. */
export const socialErrorMessages: Record<string, string> = {
  access_denied: 'The sign-in was cancelled at the provider.',
  provider_error: 'The provider could not sign you in. Try again.',
  provider_unavailable: 'The provider cannot be reached right now. Try again later.',
  invalid_state: 'This sign-in expired, was already used, or was started in another browser. Start again.',
  unknown_provider: 'This sign-in provider is not available.',
  invalid_token: 'The provider’s answer could not be verified, so you were not signed in.',
  no_email: 'The provider did not share an email address, which a new account needs.',
  link_required:
    'An account with this email address already exists. Sign in to it, then link the provider from your account’s Security page.',
  no_account: 'No account is linked to this identity. Sign in another way, then link the provider from your account’s Security page.',
  account_disabled: 'This account is disabled. Ask an admin of the workspace.',
  linked_elsewhere: 'This identity is already linked to another account.',
  already_linked: 'Your account is already linked to another identity at this provider. Unlink it first.',
  internal: 'Something went wrong. Try again.',
};

export interface SocialState {
  providers: SocialProvider[];
  messages: Record<string, string>;
  loaded: boolean;
}

/** The workspace's enabled social providers (no session needed); none when the list cannot be had. */
export function useSocialProviders(slug: string): SocialState {
  const [state, setState] = useState<SocialState>({ providers: [], messages: socialErrorMessages, loaded: false });
  useEffect(() => {
    let current = true;
    socialApi.providers(slug).then(
      (answer) => {
        if (!current) return;
        setState({
          providers: Array.isArray(answer?.providers) ? answer.providers : [],
          messages: { ...socialErrorMessages, ...(answer?.errors ?? {}) },
          loaded: true,
        });
      },
      () => current && setState((s) => ({ ...s, loaded: true })),
    );
    return () => {
      current = false;
    };
  }, [slug]);
  return state;
}

/** The message for a federated sign-in's error code, naming the provider when known. */
export function socialErrorMessage(code: string, messages: Record<string, string>, provider?: string | null): string {
  const text = messages[code] ?? socialErrorMessages[code] ?? 'The sign-in with that provider did not work. Try again.';
  return provider ? `${text} (${provider})` : text;
}

/** One link per provider: each starts the provider's sign-in in this window. */
export function SocialButtons({ slug, providers, returnTo }: { slug: string; providers: SocialProvider[]; returnTo?: string }) {
  if (providers.length === 0) return null;
  return (
    <ul className="social-buttons" aria-label="Sign in with another account">
      {providers.map((p) => (
        <li key={p.slug}>
          <a className={`button secondary-button social-${p.kind}`} href={socialApi.startURL(slug, p.slug, returnTo)}>
            Sign in with {p.displayName}
          </a>
        </li>
      ))}
    </ul>
  );
}

/**
 * What a link attempt came back with (?linked=provider or ?error=code on
 * the account pages), for the page to show once.
 */
export function useLinkResult(messages: Record<string, string>, providers: SocialProvider[]): { error?: string; linked?: string } {
  const query = new URLSearchParams(useLocation().search);
  const error = query.get('error');
  const linked = query.get('linked');
  const name = (slug: string | null) => (slug ? (providers.find((p) => p.slug === slug)?.displayName ?? slug) : null);
  if (error) return { error: socialErrorMessage(error, messages, name(query.get('provider'))) };
  if (linked) return { linked: `Linked your ${name(linked)} account: you can sign in with it now.` };
  return {};
}
