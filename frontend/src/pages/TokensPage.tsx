import { useEffect, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, usePaginated } from '../api/hooks';
import { DateTime, localInputToISO } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { RoleSelect } from '../components/RoleSelect';
import { SecretOnce } from '../components/SecretOnce';
import { graphql } from '../gql';
import type { ApiTokensQuery, MembershipRole } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const ApiTokensQueryDocument = graphql(`
  query APITokens($first: Int, $after: Cursor) {
    apiTokens(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          role
          prefix
          createdBy
          expiresAt
          revokedAt
          lastUsedAt
          createdAt
        }
      }
    }
  }
`);

export const CreateAPITokenMutation = graphql(`
  mutation CreateAPIToken($input: CreateAPITokenInput!) {
    createAPIToken(input: $input) {
      token
      apiToken {
        id
        name
        role
        prefix
      }
    }
  }
`);

export const RevokeAPITokenMutation = graphql(`
  mutation RevokeAPIToken($id: ID!) {
    revokeAPIToken(id: $id) {
      id
      revokedAt
    }
  }
`);

type APIToken = NonNullable<NonNullable<NonNullable<ApiTokensQuery['apiTokens']['edges']>[number]>['node']>;

const noVariables = {};
const selectTokens = (result: ApiTokensQuery) => result.apiTokens;

interface NewToken {
  name: string;
  secret: string;
}

export function TokensPage() {
  const viewer = useViewer();
  const admin = canAdminister(viewer);
  const tokens = usePaginated(ApiTokensQueryDocument, noVariables, selectTokens);
  const [created, setCreated] = useState<NewToken>();
  const [notice, setNotice] = useState('');

  return (
    <section className="page" aria-labelledby="tokens-title">
      <h1 id="tokens-title">API tokens</h1>
      <p className="muted">Tokens act for this workspace with their role. A token's role cannot exceed yours.</p>
      {created ? (
        <SecretOnce
          title={`Token “${created.name}” created`}
          label="New API token"
          secret={created.secret}
          risk="Store it somewhere safe; anyone holding it can act for this workspace."
          onDone={() => setCreated(undefined)}
        />
      ) : (
        <CreateTokenForm
          maxRole={viewer.role ?? 'member'}
          onCreated={async (token) => {
            setNotice('');
            setCreated(token);
            await tokens.reload();
          }}
        />
      )}
      <Status>{notice}</Status>
      <Alert>{tokens.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {tokens.loading ? 'Loading tokens…' : `${tokens.totalCount} ${tokens.totalCount === 1 ? 'token' : 'tokens'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoked</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {tokens.nodes.map((token) => (
              <TokenRow
                key={token.id}
                token={token}
                current={viewer.kind === 'api_token' && viewer.id === token.id}
                canRevoke={admin || (viewer.kind === 'api_token' && viewer.id === token.id)}
                onRevoked={async (message) => {
                  setNotice(message);
                  await tokens.reload();
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {tokens.hasNextPage && (
        <button type="button" className="secondary" onClick={() => void tokens.loadMore()} disabled={tokens.loadingMore}>
          {tokens.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}

const roleRank: Record<MembershipRole, number> = { member: 0, admin: 1, owner: 2 };

function CreateTokenForm({
  maxRole,
  onCreated,
}: {
  maxRole: MembershipRole;
  onCreated: (token: NewToken) => Promise<void>;
}) {
  const run = useApi();
  const [name, setName] = useState('');
  const [role, setRole] = useState<MembershipRole>('member');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    const expiresAt = localInputToISO(expires);
    if (expires && !expiresAt) {
      setError('The expiry date is not valid.');
      return;
    }
    if (expiresAt && new Date(expiresAt).getTime() <= Date.now()) {
      setError('The expiry must be in the future.');
      return;
    }
    if (roleRank[role] > roleRank[maxRole]) {
      setError(`A token's role cannot exceed yours (${maxRole}).`);
      return;
    }
    setBusy(true);
    try {
      const { createAPIToken } = await run(CreateAPITokenMutation, {
        input: { name: name.trim(), role, expiresAt: expiresAt ?? null },
      });
      setName('');
      setExpires('');
      setRole('member');
      await onCreated({ name: createAPIToken.apiToken.name, secret: createAPIToken.token });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-row" onSubmit={handleSubmit} aria-labelledby="create-token-title">
      <h2 id="create-token-title">Create a token</h2>
      <div className="field">
        <label htmlFor="token-name">Name</label>
        <input id="token-name" name="name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="token-role">Role</label>
        <RoleSelect id="token-role" name="role" value={role} onChange={setRole} />
      </div>
      <div className="field">
        <label htmlFor="token-expires">Expires (optional)</label>
        <input
          id="token-expires"
          name="expiresAt"
          type="datetime-local"
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
        />
      </div>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}

function TokenRow({
  token,
  current,
  canRevoke,
  onRevoked,
}: {
  token: APIToken;
  current: boolean;
  canRevoke: boolean;
  onRevoked: (message: string) => Promise<void>;
}) {
  const run = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function revoke() {
    setBusy(true);
    setError(undefined);
    try {
      await run(RevokeAPITokenMutation, { id: token.id });
      setConfirming(false);
      await onRevoked(`Revoked ${token.name}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr className={token.revokedAt ? 'revoked' : undefined}>
      <td>
        {token.name} {current && <span className="badge">this session</span>}
      </td>
      <td>
        <span className="badge">{token.role}</span>
      </td>
      <td>
        <code>{token.prefix}</code>
      </td>
      <td>
        <DateTime value={token.createdAt} />
      </td>
      <td>
        <DateTime value={token.expiresAt} empty="Never" />
      </td>
      <td>
        <DateTime value={token.lastUsedAt} empty="Never" />
      </td>
      <td>
        <DateTime value={token.revokedAt} empty="No" />
      </td>
      <td>
        {!token.revokedAt && canRevoke &&
          (confirming ? (
            <div className="inline confirm" role="group" aria-label={`Confirm revoking ${token.name}`}>
              <span>{current ? 'Revoke the token you are signed in with?' : `Revoke ${token.name}?`}</span>
              <button ref={confirmRef} type="button" className="danger" onClick={() => void revoke()} disabled={busy}>
                Confirm revoke
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" className="secondary" aria-label={`Revoke ${token.name}`} onClick={() => setConfirming(true)}>
              Revoke
            </button>
          ))}
        <Alert>{error}</Alert>
      </td>
    </tr>
  );
}
