import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { Check, toggle } from '../components/Check';
import { DateTime } from '../components/DateTime';
import { Field, TextAreaField } from '../components/Field';
import { Alert, Problems, Status } from '../components/Feedback';
import { ResultPanel } from '../components/ResultPanel';
import { SecretOnce } from '../components/SecretOnce';
import { graphql } from '../gql';
import type { CreateOAuthClientInput, OAuthClientsQuery, UpdateOAuthClientInput } from '../gql/graphql';
import { useViewer } from '../workspace/viewer';
import { ScopeCatalogQueryDocument, type ScopeDefinition } from './ScopesPage';
import { signingAlgs } from './SigningKeysPage';

export const OAuthClientsQueryDocument = graphql(`
  query OAuthClients {
    tenant {
      issuerURL
    }
    oauthClients {
      id
      clientID
      name
      public
      tokenEndpointAuthMethod
      redirectUris
      postLogoutRedirectUris
      grantTypes
      scopes
      audience
      tokenFormat
      signingAlg
      requirePar
      backchannelLogoutURI
      jwksURI
      hasJwks
      disabledAt
      createdAt
    }
  }
`);

export const CreateOAuthClientMutation = graphql(`
  mutation CreateOAuthClient($input: CreateOAuthClientInput!) {
    createOAuthClient(input: $input) {
      clientSecret
      client {
        id
        clientID
        name
        tokenEndpointAuthMethod
      }
    }
  }
`);

export const UpdateOAuthClientMutation = graphql(`
  mutation UpdateOAuthClient($clientID: String!, $input: UpdateOAuthClientInput!) {
    updateOAuthClient(clientID: $clientID, input: $input) {
      id
      clientID
      name
    }
  }
`);

export const RotateOAuthClientSecretMutation = graphql(`
  mutation RotateOAuthClientSecret($clientID: String!) {
    rotateOAuthClientSecret(clientID: $clientID) {
      clientSecret
      client {
        id
        clientID
        name
      }
    }
  }
`);

export const DisableOAuthClientMutation = graphql(`
  mutation DisableOAuthClient($clientID: String!) {
    disableOAuthClient(clientID: $clientID) {
      id
      clientID
      disabledAt
    }
  }
`);

export const EnableOAuthClientMutation = graphql(`
  mutation EnableOAuthClient($clientID: String!) {
    enableOAuthClient(clientID: $clientID) {
      id
      clientID
      disabledAt
    }
  }
`);

type OAuthClient = OAuthClientsQuery['oauthClients'][number];

const grants = [
  { value: 'authorization_code', label: 'Authorization code', hint: 'people sign in through the browser (with PKCE)' },
  { value: 'refresh_token', label: 'Refresh token', hint: 'stay signed in without asking again' },
  { value: 'client_credentials', label: 'Client credentials', hint: 'a server acting for itself, with no person' },
  {
    value: 'urn:ietf:params:oauth:grant-type:device_code',
    label: 'Device code',
    hint: 'TVs and command-line tools: the person signs in on another device',
  },
];

const tokenFormats = [
  { value: 'jwt', label: 'JWT (RFC 9068): APIs verify it themselves' },
  { value: 'opaque', label: 'Opaque: APIs ask the introspection endpoint' },
];

/** What a client may ask for when registered with no scope checked (auth/oidc/clients). */
const defaultScopes = ['openid', 'profile', 'email', 'offline_access'];

/** public, confidential (a client secret) or private_key_jwt (signed assertions). */
export function clientType(client: Pick<OAuthClient, 'public' | 'tokenEndpointAuthMethod'>): string {
  if (client.public) return 'public';
  if (client.tokenEndpointAuthMethod === 'private_key_jwt') return 'private_key_jwt';
  return 'confidential';
}

function hasSecret(client: OAuthClient): boolean {
  return client.tokenEndpointAuthMethod === 'client_secret_basic' || client.tokenEndpointAuthMethod === 'client_secret_post';
}

function grantLabel(grant: string): string {
  return grants.find((g) => g.value === grant)?.label ?? grant;
}

/** The non-empty lines of a textarea, trimmed, each once. */
export function lines(text: string): string[] {
  return [...new Set(text.split('\n').map((line) => line.trim()).filter(Boolean))];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** The workspace's issuer on this page's origin, until the server says. */
export function issuerURL(slug: string): string {
  return `${window.location.origin}/t/${encodeURIComponent(slug)}`;
}

/** A secret the server just returned, shown until Done; null when the app has none. */
interface ShownOnce {
  title: string;
  name: string;
  clientID: string;
  secret: string | null;
  rotated: boolean;
}

type Panel = { kind: 'closed' } | { kind: 'create' } | { kind: 'edit'; client: OAuthClient };

/**
 * /w/:slug/applications (admins): the apps registered with the workspace's
 * OAuth 2 / OpenID Connect issuer. A client secret is shown once, when the
 * app is registered or its secret rotated, and kept in this page's state
 * only until Done.
 */
export function ApplicationsPage() {
  const viewer = useViewer();
  const clients = useQuery(OAuthClientsQueryDocument, {});
  const catalog = useQuery(ScopeCatalogQueryDocument, {});
  const [panel, setPanel] = useState<Panel>({ kind: 'closed' });
  const [shown, setShown] = useState<ShownOnce>();
  const [notice, setNotice] = useState('');
  const openerRef = useRef<HTMLButtonElement>(null);
  const list = clients.data?.oauthClients ?? [];

  function closePanel(message = '') {
    setPanel({ kind: 'closed' });
    setNotice(message);
    // The opener is back after this render.
    setTimeout(() => openerRef.current?.focus());
  }

  async function changed(message: string) {
    setNotice(message);
    await clients.refetch();
  }

  return (
    <section className="page" aria-labelledby="applications-title">
      <h1 id="applications-title">Applications</h1>
      <p className="muted">
        Apps that sign people in with this workspace (OpenID Connect), or get tokens for its APIs (OAuth 2).
      </p>
      <DeveloperFacts slug={viewer.tenant.slug} issuer={clients.data?.tenant?.issuerURL} />

      {shown && <ShownOnceBox shown={shown} onDone={() => setShown(undefined)} />}
      {panel.kind === 'closed' ? (
        <button
          ref={openerRef}
          type="button"
          className="page-action"
          onClick={() => {
            setNotice('');
            setPanel({ kind: 'create' });
          }}
        >
          Register an application
        </button>
      ) : (
        <ApplicationForm
          key={panel.kind === 'edit' ? panel.client.clientID : 'create'}
          client={panel.kind === 'edit' ? panel.client : undefined}
          catalog={catalog.data?.scopeCatalog}
          catalogError={catalog.error}
          onCancel={() => closePanel()}
          onCreated={async (once) => {
            setPanel({ kind: 'closed' });
            setNotice('');
            setShown(once);
            await clients.refetch();
          }}
          onUpdated={async (message) => {
            closePanel(message);
            await clients.refetch();
          }}
        />
      )}

      <Status>{notice}</Status>
      <Alert>{clients.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {clients.loading && !clients.data
              ? 'Loading applications…'
              : `${list.length} ${list.length === 1 ? 'application' : 'applications'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Client ID</th>
              <th scope="col">Type</th>
              <th scope="col">Grants</th>
              <th scope="col">Token format</th>
              <th scope="col">Signing</th>
              <th scope="col">Registered</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((client) => (
              <ClientRow
                key={client.clientID}
                client={client}
                onEdit={() => {
                  setNotice('');
                  setPanel({ kind: 'edit', client });
                }}
                onRotated={async (secret) => {
                  setShown({
                    title: `New secret for “${client.name}”`,
                    name: client.name,
                    clientID: client.clientID,
                    secret,
                    rotated: true,
                  });
                  await changed(`Rotated the secret of ${client.name}: the old one stopped working.`);
                }}
                onChanged={changed}
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DeveloperFacts({ slug, issuer: fromServer }: { slug: string; issuer?: string }) {
  // The server knows its public base URL; this page's origin is a fallback.
  const issuer = fromServer ?? issuerURL(slug);
  const discovery = `${issuer}/.well-known/openid-configuration`;
  return (
    <section className="card developer-facts" aria-labelledby="developers-title">
      <h2 id="developers-title">For developers</h2>
      <dl className="facts">
        <div>
          <dt>Issuer URL</dt>
          <dd>
            <code>{issuer}</code>
          </dd>
        </div>
        <div>
          <dt>Discovery document</dt>
          <dd>
            <a href={discovery} target="_blank" rel="noreferrer">
              <code>{discovery}</code>
            </a>
          </dd>
        </div>
      </dl>
      <p className="muted">
        OpenID Connect libraries need only the issuer URL: they read every endpoint and key from the discovery
        document.
      </p>
    </section>
  );
}

function ShownOnceBox({ shown, onDone }: { shown: ShownOnce; onDone: () => void }) {
  const clientID = (
    <p>
      Client ID: <code>{shown.clientID}</code>
    </p>
  );
  if (shown.secret) {
    return (
      <SecretOnce
        title={shown.title}
        label={`Client secret of ${shown.name}`}
        secret={shown.secret}
        risk={
          shown.rotated
            ? 'The old secret stopped working: put this one in the application’s configuration.'
            : 'Keep it on the application’s server only; anyone holding it can get tokens as this application.'
        }
        onDone={onDone}
      >
        {clientID}
      </SecretOnce>
    );
  }
  // A public or key-authenticated app: there is no secret to show.
  return (
    <ResultPanel title={shown.title} onDone={onDone}>
      {clientID}
      <p className="muted">
        It has no client secret: a public app proves itself with PKCE, and a private_key_jwt app with its own keys.
      </p>
    </ResultPanel>
  );
}

interface ApplicationFormProps {
  /** The app to edit; registers a new one without. */
  client?: OAuthClient;
  catalog: ScopeDefinition[] | undefined;
  catalogError: string | undefined;
  onCancel: () => void;
  onCreated: (shown: ShownOnce) => Promise<void>;
  onUpdated: (message: string) => Promise<void>;
}

/** Registers an app, or changes one: grants, type and keys are set once, at registration. */
function ApplicationForm({ client, catalog, catalogError, onCancel, onCreated, onUpdated }: ApplicationFormProps) {
  const run = useApi();
  const editing = client !== undefined;
  const [name, setName] = useState(client?.name ?? '');
  const [redirectUris, setRedirectUris] = useState(client?.redirectUris.join('\n') ?? '');
  const [grantTypes, setGrantTypes] = useState<string[]>(client?.grantTypes ?? ['authorization_code', 'refresh_token']);
  const [isPublic, setPublic] = useState(client?.public ?? false);
  const [authMethod, setAuthMethod] = useState('client_secret_basic');
  const [tokenFormat, setTokenFormat] = useState(client?.tokenFormat ?? 'jwt');
  const [signingAlg, setSigningAlg] = useState(client?.signingAlg ?? 'ES256');
  const [scopes, setScopes] = useState<string[]>(client?.scopes ?? defaultScopes);
  const [audience, setAudience] = useState(client?.audience.join('\n') ?? '');
  const [requirePar, setRequirePar] = useState(client?.requirePar ?? false);
  const [postLogout, setPostLogout] = useState(client?.postLogoutRedirectUris.join('\n') ?? '');
  const [backchannel, setBackchannel] = useState(client?.backchannelLogoutURI ?? '');
  const [jwks, setJwks] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const nameRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const idPrefix = useId();

  useEffect(() => nameRef.current?.focus(), []);

  // Scopes the app holds that the catalog no longer lists stay visible, so
  // saving does not drop them unseen.
  const scopeChoices: ScopeDefinition[] = [
    ...(catalog ?? []),
    ...scopes
      .filter((s) => !catalog?.some((c) => c.name === s))
      .map((s) => ({ name: s, description: 'Not in the scope catalog', standard: false })),
  ];

  /** What the browser can tell before asking the server; the server checks everything again. */
  function check(): string[] {
    const found: string[] = [];
    if (!name.trim()) found.push('Give the application a name.');
    if (!editing) {
      if (grantTypes.length === 0) found.push('Choose at least one grant.');
      if (isPublic && grantTypes.includes('client_credentials'))
        found.push('A public app cannot use client credentials: it has no credentials.');
      if (isPublic && jwks.trim()) found.push('A public app has no keys: clear the JWK set or make it confidential.');
      if (jwks.trim()) {
        try {
          const set = JSON.parse(jwks) as { keys?: unknown };
          if (!Array.isArray(set.keys) || set.keys.length === 0) found.push('The JWK set needs a "keys" array with at least one key.');
        } catch {
          found.push('The JWK set is not valid JSON.');
        }
      }
    }
    if (grantTypes.includes('authorization_code') && lines(redirectUris).length === 0)
      found.push('The authorization code grant needs at least one redirect URI.');
    return found;
  }

  async function create() {
    const input: CreateOAuthClientInput = {
      name: name.trim(),
      redirectUris: lines(redirectUris),
      postLogoutRedirectUris: lines(postLogout),
      grantTypes: grants.map((g) => g.value).filter((g) => grantTypes.includes(g)),
      public: isPublic,
      tokenFormat,
      signingAlg,
      audience: lines(audience),
      requirePar,
      ...(scopes.length ? { scopes } : {}),
      ...(backchannel.trim() ? { backchannelLogoutURI: backchannel.trim() } : {}),
      ...(jwks.trim() ? { jwks: jwks.trim() } : {}),
      ...(!isPublic && !jwks.trim() ? { tokenEndpointAuthMethod: authMethod } : {}),
    };
    const { createOAuthClient } = await run(CreateOAuthClientMutation, { input });
    const created = createOAuthClient.client;
    await onCreated({
      title: `Application “${created.name}” registered`,
      name: created.name,
      clientID: created.clientID,
      secret: createOAuthClient.clientSecret ?? null,
      rotated: false,
    });
  }

  async function update(current: OAuthClient) {
    const input: UpdateOAuthClientInput = {};
    if (name.trim() !== current.name) input.name = name.trim();
    if (!sameList(lines(redirectUris), current.redirectUris)) input.redirectUris = lines(redirectUris);
    if (!sameList(lines(postLogout), current.postLogoutRedirectUris)) input.postLogoutRedirectUris = lines(postLogout);
    if (!sameList([...scopes].sort(), [...current.scopes].sort())) input.scopes = scopes;
    if (!sameList(lines(audience), current.audience)) input.audience = lines(audience);
    if (tokenFormat !== current.tokenFormat) input.tokenFormat = tokenFormat;
    if (signingAlg !== current.signingAlg) input.signingAlg = signingAlg;
    if (requirePar !== current.requirePar) input.requirePar = requirePar;
    if (backchannel.trim() !== current.backchannelLogoutURI) input.backchannelLogoutURI = backchannel.trim();
    if (Object.keys(input).length === 0) {
      await onUpdated(`Nothing changed in ${current.name}.`);
      return;
    }
    const { updateOAuthClient } = await run(UpdateOAuthClientMutation, { clientID: current.clientID, input });
    await onUpdated(`Saved ${updateOAuthClient.name}.`);
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const found = check();
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      if (client) await update(client);
      else await create();
    } catch (err) {
      setProblems([errorMessage(err)]);
    } finally {
      setBusy(false);
    }
  }

  const id = (field: string) => `${idPrefix}-${field}`;
  const usesKeys = !editing && jwks.trim() !== '';

  return (
    <form className="card application-form" onSubmit={handleSubmit} aria-labelledby={titleId} noValidate>
      <h2 id={titleId}>{client ? `Edit “${client.name}”` : 'Register an application'}</h2>
      {client && (
        <dl className="facts">
          <div>
            <dt>Client ID</dt>
            <dd>
              <code>{client.clientID}</code>
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>
              <span className="badge">{clientType(client)}</span>
            </dd>
          </div>
          <div>
            <dt>Grants</dt>
            <dd>{client.grantTypes.map(grantLabel).join(', ')}</dd>
          </div>
        </dl>
      )}
      {client && <p className="muted">The type, grants and keys are set when an app is registered: register a new one to change them.</p>}

      <div className="form-grid">
        <Field
          ref={nameRef}
          id={id('name')}
          label="Name"
          name="name"
          required
          autoComplete="off"
          maxLength={200}
          hint="People see it on the consent page."
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextAreaField
          id={id('redirect')}
          label="Redirect URIs"
          name="redirectUris"
          rows={3}
          spellCheck={false}
          hint="One per line: https, or http to localhost; a native app may use its own scheme (com.example.app:/callback)."
          value={redirectUris}
          onChange={(e) => setRedirectUris(e.target.value)}
        />
      </div>

      {!client && (
        <>
          <fieldset className="checks">
            <legend>Grants</legend>
            {grants.map((grant) => (
              <Check
                key={grant.value}
                id={id(`grant-${grant.value}`)}
                label={grant.label}
                hint={grant.hint}
                checked={grantTypes.includes(grant.value)}
                onChange={(on) => setGrantTypes((list) => toggle(list, grant.value, on))}
              />
            ))}
          </fieldset>

          <fieldset className="checks">
            <legend>Client type</legend>
            <Check
              id={id('public')}
              label="Public client"
              hint="A browser or native app that cannot keep a secret: no secret, and PKCE is required."
              checked={isPublic}
              onChange={setPublic}
            />
            {!isPublic && !usesKeys && (
              <div className="field">
                <label htmlFor={id('auth-method')}>The secret is sent</label>
                <select id={id('auth-method')} value={authMethod} onChange={(e) => setAuthMethod(e.target.value)}>
                  <option value="client_secret_basic">In the Authorization header (client_secret_basic)</option>
                  <option value="client_secret_post">In the request body (client_secret_post)</option>
                </select>
              </div>
            )}
          </fieldset>
        </>
      )}

      <div className="form-grid">
        <div className="field">
          <label htmlFor={id('format')}>Access token format</label>
          <select id={id('format')} name="tokenFormat" value={tokenFormat} onChange={(e) => setTokenFormat(e.target.value)}>
            {tokenFormats.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={id('alg')}>Signing algorithm</label>
          <select id={id('alg')} name="signingAlg" value={signingAlg} onChange={(e) => setSigningAlg(e.target.value)}>
            {signingAlgs.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
      </div>

      <fieldset className="checks">
        <legend>Scopes</legend>
        {catalogError && <Alert>{`The scope catalog could not be read: ${catalogError}`}</Alert>}
        {!catalog && !catalogError && <p className="muted">Loading scopes…</p>}
        {catalog &&
          scopeChoices.map((scope) => (
            <Check
              key={scope.name}
              id={id(`scope-${scope.name}`)}
              label={scope.name}
              code
              hint={scope.description}
              checked={scopes.includes(scope.name)}
              onChange={(on) => setScopes((list) => toggle(list, scope.name, on))}
            />
          ))}
        {!editing && <small className="muted">With none checked, the app may ask for the standard scopes.</small>}
      </fieldset>

      <div className="form-grid">
        <TextAreaField
          id={id('audience')}
          label="Audience"
          name="audience"
          rows={2}
          spellCheck={false}
          hint="One URI per line: the APIs (resources) the app may ask tokens for."
          value={audience}
          onChange={(e) => setAudience(e.target.value)}
        />
        <TextAreaField
          id={id('post-logout')}
          label="Post-logout redirect URIs"
          name="postLogoutRedirectUris"
          rows={2}
          spellCheck={false}
          hint="One per line: where people may return after signing out."
          value={postLogout}
          onChange={(e) => setPostLogout(e.target.value)}
        />
        <Field
          id={id('backchannel')}
          label="Back-channel logout URI"
          name="backchannelLogoutURI"
          type="url"
          spellCheck={false}
          autoComplete="off"
          hint="Optional: the server tells the app here when a person signs out."
          value={backchannel}
          onChange={(e) => setBackchannel(e.target.value)}
        />
      </div>

      <fieldset className="checks">
        <legend>Security</legend>
        <Check
          id={id('par')}
          label="Require pushed authorization requests (PAR)"
          hint="The app must post its authorization request to the server first."
          checked={requirePar}
          onChange={setRequirePar}
        />
      </fieldset>

      {!client && !isPublic && (
        <TextAreaField
          id={id('jwks')}
          label="Public keys (JWK set, optional)"
          name="jwks"
          rows={4}
          spellCheck={false}
          className="code-input"
          hint='A JSON {"keys": [...]} of public RSA or EC keys: the app then signs its requests (private_key_jwt) and gets no secret.'
          value={jwks}
          onChange={(e) => setJwks(e.target.value)}
        />
      )}

      <Problems problems={problems} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {client ? (busy ? 'Saving…' : 'Save changes') : busy ? 'Registering…' : 'Register application'}
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type Confirmable = 'rotate' | 'disable' | 'enable';

const confirmText: Record<Confirmable, { question: (name: string) => string; button: string }> = {
  rotate: {
    question: (name) => `Replace the secret of ${name}? The old one stops working at once.`,
    button: 'Confirm rotate',
  },
  disable: {
    question: (name) => `Disable ${name}? Its tokens stop working at once, and it cannot get new ones.`,
    button: 'Confirm disable',
  },
  enable: { question: (name) => `Enable ${name} again? It can get tokens again.`, button: 'Confirm enable' },
};

function ClientRow({
  client,
  onEdit,
  onRotated,
  onChanged,
}: {
  client: OAuthClient;
  onEdit: () => void;
  onRotated: (secret: string) => Promise<void>;
  onChanged: (message: string) => Promise<void>;
}) {
  const run = useApi();
  const [confirming, setConfirming] = useState<Confirmable | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openers = useRef<Partial<Record<Confirmable, HTMLButtonElement | null>>>({});
  const disabled = Boolean(client.disabledAt);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function confirm(what: Confirmable) {
    setBusy(true);
    setError(undefined);
    try {
      if (what === 'rotate') {
        const { rotateOAuthClientSecret } = await run(RotateOAuthClientSecretMutation, { clientID: client.clientID });
        setConfirming(null);
        await onRotated(rotateOAuthClientSecret.clientSecret);
      } else if (what === 'disable') {
        await run(DisableOAuthClientMutation, { clientID: client.clientID });
        setConfirming(null);
        await onChanged(`Disabled ${client.name}: its tokens stopped working.`);
      } else {
        await run(EnableOAuthClientMutation, { clientID: client.clientID });
        setConfirming(null);
        await onChanged(`Enabled ${client.name}.`);
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function cancel() {
    const which = confirming;
    setConfirming(null);
    setTimeout(() => which && openers.current[which]?.focus());
  }

  const opener = (what: Confirmable, label: string, className = 'secondary') => (
    <button
      ref={(el) => {
        openers.current[what] = el;
      }}
      type="button"
      className={className}
      aria-label={`${label} ${client.name}`}
      onClick={() => setConfirming(what)}
      disabled={busy}
    >
      {label}
    </button>
  );

  return (
    <tr className={disabled ? 'disabled' : undefined} data-client-id={client.clientID}>
      <td>
        {client.name}
        {disabled && <span className="badge status-badge">disabled</span>}
        {client.requirePar && <span className="badge tag-badge">PAR</span>}
      </td>
      <td>
        <code className="client-id">{client.clientID}</code>
      </td>
      <td>
        <span className="badge">{clientType(client)}</span>
        {clientType(client) === 'confidential' && <small className="muted block">{client.tokenEndpointAuthMethod}</small>}
      </td>
      <td>
        <ul className="plain">
          {client.grantTypes.map((grant) => (
            <li key={grant}>{grantLabel(grant)}</li>
          ))}
        </ul>
      </td>
      <td>{client.tokenFormat === 'jwt' ? 'JWT' : client.tokenFormat}</td>
      <td>{client.signingAlg}</td>
      <td>
        <DateTime value={client.createdAt} />
      </td>
      <td>
        {confirming ? (
          <div className="inline confirm" role="group" aria-label={`Confirm: ${confirmText[confirming].question(client.name)}`}>
            <span>{confirmText[confirming].question(client.name)}</span>
            <button
              ref={confirmRef}
              type="button"
              className={confirming === 'enable' ? undefined : 'danger'}
              onClick={() => void confirm(confirming)}
              disabled={busy}
            >
              {confirmText[confirming].button}
            </button>
            <button type="button" className="secondary" onClick={cancel} disabled={busy}>
              Cancel
            </button>
          </div>
        ) : (
          <div className="inline row-actions">
            <button type="button" className="secondary" aria-label={`Edit ${client.name}`} onClick={onEdit} disabled={busy}>
              Edit
            </button>
            {hasSecret(client) && opener('rotate', 'Rotate secret')}
            {disabled ? opener('enable', 'Enable') : opener('disable', 'Disable', 'secondary danger-text')}
          </div>
        )}
        <Alert>{error}</Alert>
      </td>
    </tr>
  );
}
