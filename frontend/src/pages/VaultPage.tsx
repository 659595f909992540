import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { Field } from '../components/Field';
import { graphql } from '../gql';
import type { CredentialsQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const CredentialsQueryDocument = graphql(`
  query Credentials {
    credentials {
      id
      name
      kind
      ownerKind
      ownerID
      provider
      expiresAt
      lastUsedAt
      rotatedAt
      revokedAt
      createdAt
    }
  }
`);

export const CreateCredentialMutation = graphql(`
  mutation CreateCredential($input: CreateCredentialInput!) {
    createCredential(input: $input) {
      id
      name
    }
  }
`);

export const RotateCredentialMutation = graphql(`
  mutation RotateCredential($id: ID!, $input: CredentialValueInput!) {
    rotateCredential(id: $id, input: $input) {
      id
      rotatedAt
    }
  }
`);

export const RevokeCredentialMutation = graphql(`
  mutation RevokeCredential($id: ID!) {
    revokeCredential(id: $id) {
      id
      revokedAt
    }
  }
`);

type Credential = CredentialsQuery['credentials'][number];

/** The kinds of credential, and what their secret is. */
export const credentialKinds = [
  { value: 'api_key', label: 'API key', secret: 'API key' },
  { value: 'bearer', label: 'Bearer token', secret: 'Token' },
  { value: 'basic', label: 'Basic auth', secret: 'Password' },
  { value: 'oauth2', label: 'OAuth 2 access token', secret: 'Access token' },
];

const kindLabel = (kind: string) => credentialKinds.find((k) => k.value === kind)?.label ?? kind;

/** The value input of a kind: what a secret field holds. */
function valueOf(kind: string, secret: string, username: string) {
  switch (kind) {
    case 'basic':
      return { username, password: secret };
    case 'oauth2':
      return { accessToken: secret };
    default:
      return { token: secret };
  }
}

/**
 * /w/:slug/vault: the third-party credentials agents' tools use through
 * the gateway. Metadata only: a value goes in once and is never shown.
 * Admins only.
 */
export function VaultPage() {
  const viewer = useViewer();
  if (!canAdminister(viewer)) {
    return (
      <section className="page" aria-labelledby="vault-title">
        <h1 id="vault-title">Vault</h1>
        <p className="muted">Only admins and owners can manage the vault.</p>
      </section>
    );
  }
  return <Vault />;
}

function Vault() {
  const creds = useQuery(CredentialsQueryDocument, {});
  const [notice, setNotice] = useState('');
  const list = creds.data?.credentials ?? [];

  async function changed(message: string) {
    setNotice(message);
    await creds.refetch();
  }

  return (
    <section className="page" aria-labelledby="vault-title">
      <h1 id="vault-title">Vault</h1>
      <p className="muted">
        Credentials the tool gateway injects into upstream calls. Agents never see them; nobody can read a value back
        once stored, not even here. Rotate to replace a value, revoke to stop its use at once.
      </p>
      <CreateCredentialForm onCreated={(name) => changed(`Stored ${name}.`)} />
      <Status>{notice}</Status>
      <Alert>{creds.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {creds.loading && !creds.data
              ? 'Loading credentials…'
              : `${list.length} ${list.length === 1 ? 'credential' : 'credentials'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Owner</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Rotated</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <CredentialRow key={c.id} cred={c} onChanged={changed} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function CreateCredentialForm({ onCreated }: { onCreated: (name: string) => Promise<void> }) {
  const run = useApi();
  const uid = useId();
  const id = (name: string) => `${uid}-${name}`;
  const [name, setName] = useState('');
  const [kind, setKind] = useState('api_key');
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const secretLabel = credentialKinds.find((k) => k.value === kind)?.secret ?? 'Secret';

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    const value = secret;
    setSecret('');
    try {
      const { createCredential } = await run(CreateCredentialMutation, {
        input: { name: name.trim(), kind, ...valueOf(kind, value, username.trim()) },
      });
      setName('');
      setUsername('');
      await onCreated(createCredential.name);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-row" onSubmit={handleSubmit} aria-labelledby={id('title')}>
      <h2 id={id('title')}>Store a credential</h2>
      <Field
        id={id('name')}
        label="Name"
        name="name"
        required
        autoComplete="off"
        maxLength={200}
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <div className="field">
        <label htmlFor={id('kind')}>Kind</label>
        <select id={id('kind')} value={kind} onChange={(e) => setKind(e.target.value)}>
          {credentialKinds.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </select>
      </div>
      {kind === 'basic' && (
        <Field
          id={id('username')}
          label="Username"
          name="username"
          required
          autoComplete="off"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      )}
      <Field
        id={id('secret')}
        label={secretLabel}
        name="secret"
        type="password"
        required
        autoComplete="new-password"
        spellCheck={false}
        hint="Stored encrypted; it cannot be shown again."
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
      />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Storing…' : 'Store credential'}
        </button>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}

function CredentialRow({ cred, onChanged }: { cred: Credential; onChanged: (message: string) => Promise<void> }) {
  const run = useApi();
  const uid = useId();
  const [mode, setMode] = useState<'idle' | 'rotate' | 'revoke'>('idle');
  const [secret, setSecret] = useState('');
  const [username, setUsername] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const focusRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (mode === 'revoke') focusRef.current?.focus();
  }, [mode]);
  const revoked = cred.revokedAt != null;

  async function act(what: () => Promise<unknown>, message: string) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      setMode('idle');
      await onChanged(message);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function rotate(event: FormEvent) {
    event.preventDefault();
    const value = secret;
    setSecret('');
    void act(
      () => run(RotateCredentialMutation, { id: cred.id, input: valueOf(cred.kind, value, username.trim()) }),
      `Rotated ${cred.name}.`,
    );
  }

  return (
    <tr className={revoked ? 'disabled' : undefined}>
      <td>
        {cred.name}
        {cred.provider && <div className="muted">{cred.provider}</div>}
      </td>
      <td>{kindLabel(cred.kind)}</td>
      <td>{cred.ownerKind === 'workspace' ? 'Workspace' : `${cred.ownerKind} ${cred.ownerID ?? ''}`}</td>
      <td>
        <DateTime value={cred.createdAt} />
      </td>
      <td>{cred.lastUsedAt ? <DateTime value={cred.lastUsedAt} /> : 'Never'}</td>
      <td>{cred.rotatedAt ? <DateTime value={cred.rotatedAt} /> : '—'}</td>
      <td>
        <span className="badge">{revoked ? 'Revoked' : 'Active'}</span>
      </td>
      <td className="row-actions">
        {revoked ? null : mode === 'rotate' ? (
          <form className="inline" onSubmit={rotate} aria-label={`Rotate ${cred.name}`}>
            {cred.kind === 'basic' && (
              <Field
                id={`${uid}-user`}
                label="Username"
                required
                autoComplete="off"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
            )}
            <Field
              id={`${uid}-secret`}
              label={`New value of ${cred.name}`}
              type="password"
              required
              autoComplete="new-password"
              spellCheck={false}
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
            />
            <button type="submit" disabled={busy}>
              Save new value
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setSecret('');
                setMode('idle');
              }}
              disabled={busy}
            >
              Cancel
            </button>
          </form>
        ) : mode === 'revoke' ? (
          <div className="inline confirm" role="group" aria-label={`Confirm revoking ${cred.name}`}>
            <span>Revoke it? Tools using it fail at once.</span>
            <button
              ref={focusRef}
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void act(() => run(RevokeCredentialMutation, { id: cred.id }), `Revoked ${cred.name}.`)}
            >
              Confirm revoke
            </button>
            <button type="button" className="secondary" onClick={() => setMode('idle')} disabled={busy}>
              Cancel
            </button>
          </div>
        ) : (
          <div className="inline">
            <button type="button" className="secondary" aria-label={`Rotate ${cred.name}`} onClick={() => setMode('rotate')}>
              Rotate
            </button>
            <button type="button" className="secondary" aria-label={`Revoke ${cred.name}`} onClick={() => setMode('revoke')}>
              Revoke
            </button>
          </div>
        )}
        <Alert>{error}</Alert>
      </td>
    </tr>
  );
}
