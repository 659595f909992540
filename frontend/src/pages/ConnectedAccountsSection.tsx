import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { authPath } from '../api/auth';
import { useAction, useApi, useQuery } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { graphql } from '../gql';
import type { ConnectedAccountsQuery } from '../gql/graphql';
import { useSocialProviders } from '../signin/social';

export const ConnectedAccountsDocument = graphql(`
  query ConnectedAccounts {
    connectedAccounts {
      id
      provider
      scopes
      expiresAt
      createdAt
      lastUsedAt
    }
  }
`);

export const DisconnectAccountMutation = graphql(`
  mutation DisconnectAccount($provider: String!) {
    disconnectAccount(provider: $provider) {
      id
      provider
    }
  }
`);

type Connection = ConnectedAccountsQuery['connectedAccounts'][number];

/** Where the browser goes to connect an account at provider (GET, like linking). */
export function connectURL(slug: string, provider: string, returnTo: string): string {
  return `${authPath(slug, `social/${encodeURIComponent(provider)}/connect`)}?return_to=${encodeURIComponent(returnTo)}`;
}

/**
 * The person's connected accounts: accounts at the workspace's providers
 * that agents acting for them may use through the tool gateway. Their
 * tokens stay in the vault; this lists metadata only.
 */
export function ConnectedAccountsSection({ slug }: { slug: string }) {
  const q = useQuery(ConnectedAccountsDocument, {});
  const { providers } = useSocialProviders(slug);
  const [params] = useSearchParams();
  const [notice, setNotice] = useState('');
  const list = q.data?.connectedAccounts ?? [];
  const t = encodeURIComponent(slug);
  const name = (p: string) => providers.find((x) => x.slug === p)?.displayName ?? p;
  const connectable = providers.filter((p) => !list.some((c) => c.provider === p.slug));
  const connected = params.get('connected');

  if (providers.length === 0 && list.length === 0 && !q.error) return null;

  return (
    <section aria-labelledby="connected-title">
      <h2 id="connected-title">Connected accounts</h2>
      <p className="muted">Accounts agents acting for you may use through the tool gateway. Their tokens never leave the server.</p>
      <Alert>{q.error}</Alert>
      <Status>{notice || (connected ? `Connected your ${name(connected)} account.` : '')}</Status>
      <div className="table-wrap">
        <table>
          <caption>
            {q.loading && !q.data
              ? 'Loading connected accounts…'
              : list.length === 0
                ? 'No connected accounts.'
                : `${list.length} connected ${list.length === 1 ? 'account' : 'accounts'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Scopes</th>
              <th scope="col">Connected</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <ConnectionRow
                key={c.id}
                connection={c}
                name={name(c.provider)}
                onDisconnected={async () => {
                  setNotice(`Disconnected your ${name(c.provider)} account.`);
                  await q.refetch();
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {connectable.length > 0 && (
        <ul className="inline-list" aria-label="Connect an account">
          {connectable.map((p) => (
            <li key={p.slug}>
              <a className="button" href={connectURL(slug, p.slug, `/t/${t}/security?connected=${encodeURIComponent(p.slug)}`)}>
                Connect {p.displayName}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ConnectionRow({ connection, name, onDisconnected }: { connection: Connection; name: string; onDisconnected: () => Promise<void> }) {
  const run = useApi();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);

  async function disconnect() {
    const ok = await action.run(async () => {
      await run(DisconnectAccountMutation, { provider: connection.provider });
    });
    if (ok) {
      setConfirming(false);
      await onDisconnected();
    }
  }

  return (
    <tr data-connection={connection.provider}>
      <td>{name}</td>
      <td>{connection.scopes.length ? connection.scopes.join(' ') : <span className="muted">—</span>}</td>
      <td>
        <DateTime value={connection.createdAt} />
      </td>
      <td>
        <DateTime value={connection.lastUsedAt} empty="Never" />
      </td>
      <td>
        {confirming ? (
          <div className="inline confirm" role="group" aria-label={`Confirm disconnecting ${name}`}>
            <span>Disconnect {name}? Agents can no longer use it for you.</span>
            <button type="button" className="danger" autoFocus onClick={() => void disconnect()} disabled={action.busy}>
              {action.busy ? 'Disconnecting…' : 'Confirm disconnect'}
            </button>
            <button type="button" className="secondary" onClick={() => { setConfirming(false); action.clear(); }} disabled={action.busy}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" className="secondary" aria-label={`Disconnect ${name}`} onClick={() => setConfirming(true)}>
            Disconnect
          </button>
        )}
        <Alert>{action.error}</Alert>
      </td>
    </tr>
  );
}
