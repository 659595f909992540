import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useAction, useApi, useQuery } from '../api/hooks';
import { Check } from '../components/Check';
import { Field, TextAreaField } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { graphql } from '../gql';
import type { IdentityProvidersQuery, SignInSettingsQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const SignInSettingsQueryDocument = graphql(`
  query SignInSettings {
    tenant {
      id
      settings {
        mfaPolicy
        stepUpMinutes
        passkeyRpId
        passkeyOrigins
      }
    }
  }
`);

export const UpdateSignInSettingsMutation = graphql(`
  mutation UpdateSignInSettings($input: UpdateTenantSettingsInput!) {
    updateTenantSettings(input: $input) {
      id
      settings {
        mfaPolicy
        stepUpMinutes
        passkeyRpId
        passkeyOrigins
      }
    }
  }
`);

export const IdentityProvidersQueryDocument = graphql(`
  query IdentityProviders {
    identityProviders {
      id
      slug
      kind
      displayName
      clientID
      hasClientSecret
      issuer
      scopes
      enabled
      linkVerifiedEmail
      allowSignUp
      callbackURL
      createdAt
      updatedAt
    }
  }
`);

export const CreateIdentityProviderMutation = graphql(`
  mutation CreateIdentityProvider($input: CreateIdentityProviderInput!) {
    createIdentityProvider(input: $input) {
      id
      slug
      displayName
      callbackURL
    }
  }
`);

export const UpdateIdentityProviderMutation = graphql(`
  mutation UpdateIdentityProvider($id: ID!, $input: UpdateIdentityProviderInput!) {
    updateIdentityProvider(id: $id, input: $input) {
      id
      slug
      displayName
      enabled
      hasClientSecret
    }
  }
`);

export const DeleteIdentityProviderMutation = graphql(`
  mutation DeleteIdentityProvider($id: ID!) {
    deleteIdentityProvider(id: $id) {
      deletedID
    }
  }
`);

type Settings = SignInSettingsQuery['tenant']['settings'];
type Provider = IdentityProvidersQuery['identityProviders'][number];

export const mfaPolicies = [
  { value: 'off', label: 'Optional: each person chooses' },
  { value: 'admins', label: 'Required for admins and owners' },
  { value: 'everyone', label: 'Required for everyone' },
];

export const providerKinds = [
  { value: 'github', label: 'GitHub', issuerLabel: 'GitHub Enterprise Server URL (empty for github.com)' },
  { value: 'google', label: 'Google', issuerLabel: '' },
  { value: 'microsoft', label: 'Microsoft', issuerLabel: 'Microsoft Entra issuer or tenant (empty for any account)' },
  { value: 'gitlab', label: 'GitLab', issuerLabel: 'Self-managed GitLab URL (empty for gitlab.com)' },
  { value: 'oidc', label: 'OpenID Connect', issuerLabel: 'Issuer URL' },
];

/** Words separated by spaces or commas, each once. */
export function splitWords(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** /w/:slug/sign-in: how people sign in to the workspace (MFA policy, step-up, passkeys, social providers). */
export function SignInSettingsPage() {
  const viewer = useViewer();
  const admin = canAdminister(viewer);
  return (
    <section className="page" aria-labelledby="signin-settings-title">
      <h1 id="signin-settings-title">Sign-in</h1>
      <p className="muted">How people sign in to {viewer.tenant.name}: second factors, passkeys and social providers.</p>
      {admin ? (
        <>
          <PolicySection />
          <ProvidersSection slug={viewer.tenant.slug} />
        </>
      ) : (
        <p>Only admins and owners can change how people sign in.</p>
      )}
    </section>
  );
}

function PolicySection() {
  const settings = useQuery(SignInSettingsQueryDocument, {});
  const [saved, setSaved] = useState<Settings>();
  useEffect(() => setSaved(settings.data?.tenant.settings), [settings.data]);
  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">Two-step verification and passkeys</h2>
      <Alert>{settings.error}</Alert>
      {saved ? <PolicyForm settings={saved} onSaved={setSaved} /> : !settings.error && <p role="status">Loading…</p>}
    </section>
  );
}

function PolicyForm({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const run = useApi();
  const [policy, setPolicy] = useState(settings.mfaPolicy || 'off');
  const [stepUp, setStepUp] = useState(String(settings.stepUpMinutes));
  const [rpID, setRPID] = useState(settings.passkeyRpId);
  const [origins, setOrigins] = useState(settings.passkeyOrigins.join('\n'));
  const save = useAction();
  const [done, setDone] = useState('');
  const policies = mfaPolicies.some((p) => p.value === policy) ? mfaPolicies : [...mfaPolicies, { value: policy, label: policy }];

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setDone('');
    await save.run(async () => {
      const result = await run(UpdateSignInSettingsMutation, {
        input: {
          mfaPolicy: policy,
          stepUpMinutes: Number(stepUp),
          passkeyRpId: rpID.trim(),
          passkeyOrigins: origins.split('\n').map((o) => o.trim()).filter(Boolean),
        },
      });
      setDone('Sign-in settings saved.');
      onSaved(result.updateTenantSettings.settings);
    });
  }

  return (
    <form className="card form-grid" onSubmit={handleSubmit} aria-label="Sign-in settings">
      <div className="field">
        <label htmlFor="mfa-policy">Two-step verification</label>
        <select id="mfa-policy" name="mfaPolicy" value={policy} onChange={(e) => setPolicy(e.target.value)} aria-describedby="mfa-policy-hint">
          {policies.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
        <small id="mfa-policy-hint" className="muted">
          Whoever must use it and has no second factor is walked through setting one up at their next sign-in.
        </small>
      </div>
      <Field
        label="Confirm it is you after (minutes)"
        name="stepUpMinutes"
        type="number"
        min={0}
        max={1440}
        step={1}
        required
        hint="Adding or removing a sign-in method asks to sign in again when the last sign-in is older. 0 for the default (10)."
        value={stepUp}
        onChange={(e) => setStepUp(e.target.value)}
      />
      <Field
        label="Passkey relying-party ID"
        name="passkeyRpId"
        spellCheck={false}
        autoComplete="off"
        hint="A domain, like example.com. Empty: the server’s own host. Changing it makes existing passkeys stop working."
        value={rpID}
        onChange={(e) => setRPID(e.target.value)}
      />
      <TextAreaField
        label="Passkey origins (one per line)"
        name="passkeyOrigins"
        spellCheck={false}
        rows={3}
        hint="The pages passkeys may be used from, like https://id.example.com. Empty: the server’s own origin."
        value={origins}
        onChange={(e) => setOrigins(e.target.value)}
      />
      <div className="actions">
        <button type="submit" disabled={save.busy}>
          {save.busy ? 'Saving…' : 'Save sign-in settings'}
        </button>
        <Status>{done}</Status>
      </div>
      <Alert>{save.error}</Alert>
    </form>
  );
}

function ProvidersSection({ slug }: { slug: string }) {
  const providers = useQuery(IdentityProvidersQueryDocument, {});
  const [notice, setNotice] = useState('');
  const [adding, setAdding] = useState(false);
  const list = providers.data?.identityProviders ?? [];

  async function changed(message: string) {
    setNotice(message);
    await providers.refetch();
  }

  return (
    <section aria-labelledby="providers-title">
      <h2 id="providers-title">Social sign-in</h2>
      <p className="muted">
        Providers people can sign in with: a button each on the sign-in page. Client secrets are stored encrypted and never
        shown again.
      </p>
      <Alert>{providers.error}</Alert>
      <Status>{notice}</Status>
      <div className="table-wrap">
        <table>
          <caption>
            {providers.loading && !providers.data
              ? 'Loading providers…'
              : list.length === 0
                ? 'No social sign-in providers.'
                : `${list.length} ${list.length === 1 ? 'provider' : 'providers'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Kind</th>
              <th scope="col">Client ID</th>
              <th scope="col">Redirect URI to register</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <ProviderRow key={p.id} provider={p} onChanged={changed} />
            ))}
          </tbody>
        </table>
      </div>
      {adding ? (
        <ProviderForm
          slug={slug}
          onDone={async (message) => {
            setAdding(false);
            if (message) await changed(message);
          }}
        />
      ) : (
        <button type="button" onClick={() => { setNotice(''); setAdding(true); }}>
          Add a provider
        </button>
      )}
    </section>
  );
}

function ProviderRow({ provider: p, onChanged }: { provider: Provider; onChanged: (message: string) => Promise<void> }) {
  const run = useApi();
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view');
  const action = useAction();
  const kind = providerKinds.find((k) => k.value === p.kind)?.label ?? p.kind;

  async function toggle() {
    const ok = await action.run(async () => {
      await run(UpdateIdentityProviderMutation, { id: p.id, input: { enabled: !p.enabled } });
    });
    if (ok) await onChanged(`${p.enabled ? 'Disabled' : 'Enabled'} ${p.displayName}.`);
  }

  async function remove() {
    const ok = await action.run(async () => {
      await run(DeleteIdentityProviderMutation, { id: p.id });
    });
    if (ok) await onChanged(`Deleted ${p.displayName}: accounts linked to it can no longer sign in with it.`);
  }

  if (mode === 'edit') {
    return (
      <tr data-provider={p.slug}>
        <td colSpan={6}>
          <ProviderForm
            slug=""
            provider={p}
            onDone={async (message) => {
              setMode('view');
              if (message) await onChanged(message);
            }}
          />
        </td>
      </tr>
    );
  }

  return (
    <tr data-provider={p.slug}>
      <td>
        {p.displayName} <code className="muted">{p.slug}</code>
      </td>
      <td>
        {kind}
        {p.issuer && (
          <>
            <br />
            <small className="muted">{p.issuer}</small>
          </>
        )}
      </td>
      <td>
        <code>{p.clientID}</code>
        <br />
        <small className="muted">{p.hasClientSecret ? 'Client secret set' : 'No client secret'}</small>
      </td>
      <td>
        <code className="wrap">{p.callbackURL}</code>
      </td>
      <td>
        <span className={p.enabled ? 'badge ok-badge' : 'badge status-badge'}>{p.enabled ? 'enabled' : 'disabled'}</span>
        {p.linkVerifiedEmail && <small className="block muted">Links verified addresses</small>}
        {p.allowSignUp && <small className="block muted">Creates accounts</small>}
      </td>
      <td>
        {mode === 'delete' ? (
          <div className="inline confirm" role="group" aria-label={`Confirm deleting ${p.displayName}`}>
            <span>Delete {p.displayName}? Every account’s link to it goes too.</span>
            <button type="button" className="danger" autoFocus onClick={() => void remove()} disabled={action.busy}>
              Confirm delete
            </button>
            <button type="button" className="secondary" onClick={() => setMode('view')} disabled={action.busy}>
              Cancel
            </button>
          </div>
        ) : (
          <div className="inline row-actions">
            <button type="button" className="secondary" aria-label={`Edit ${p.displayName}`} onClick={() => setMode('edit')}>
              Edit
            </button>
            <button type="button" className="secondary" aria-label={`${p.enabled ? 'Disable' : 'Enable'} ${p.displayName}`} onClick={() => void toggle()} disabled={action.busy}>
              {p.enabled ? 'Disable' : 'Enable'}
            </button>
            <button type="button" className="secondary danger-text" aria-label={`Delete ${p.displayName}`} onClick={() => setMode('delete')}>
              Delete
            </button>
          </div>
        )}
        <Alert>{action.error}</Alert>
      </td>
    </tr>
  );
}

/** Adds a provider, or (with provider) edits one: the secret is write-only, empty keeps it. */
function ProviderForm({ slug, provider, onDone }: { slug: string; provider?: Provider; onDone: (message?: string) => Promise<void> }) {
  const run = useApi();
  const editing = provider !== undefined;
  const [kind, setKind] = useState(provider?.kind ?? 'oidc');
  const [providerSlug, setProviderSlug] = useState(provider?.slug ?? '');
  const [displayName, setDisplayName] = useState(provider?.displayName ?? '');
  const [clientID, setClientID] = useState(provider?.clientID ?? '');
  const [secret, setSecret] = useState('');
  const [issuer, setIssuer] = useState(provider?.issuer ?? '');
  const [scopes, setScopes] = useState(provider?.scopes.join(' ') ?? '');
  const [enabled, setEnabled] = useState(provider?.enabled ?? true);
  const [linkVerified, setLinkVerified] = useState(provider?.linkVerifiedEmail ?? false);
  const [allowSignUp, setAllowSignUp] = useState(provider?.allowSignUp ?? false);
  const save = useAction();
  const id = useId();
  const firstRef = useRef<HTMLInputElement>(null);
  useEffect(() => firstRef.current?.focus(), []);
  const kindInfo = providerKinds.find((k) => k.value === kind);
  const callback =
    provider?.callbackURL ??
    (providerSlug ? `${window.location.origin}/t/${encodeURIComponent(slug)}/auth/social/${providerSlug.trim()}/callback` : '');

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await save.run(async () => {
      const scopeList = splitWords(scopes);
      if (editing) {
        await run(UpdateIdentityProviderMutation, {
          id: provider.id,
          input: {
            displayName: displayName.trim(),
            clientID: clientID.trim(),
            ...(secret ? { clientSecret: secret } : {}),
            issuer: issuer.trim(),
            scopes: scopeList,
            enabled,
            linkVerifiedEmail: linkVerified,
            allowSignUp,
          },
        });
        setSecret('');
        await onDone(`Saved ${displayName.trim() || provider.displayName}.`);
        return;
      }
      const { createIdentityProvider } = await run(CreateIdentityProviderMutation, {
        input: {
          slug: providerSlug.trim(),
          kind,
          clientID: clientID.trim(),
          ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
          ...(secret ? { clientSecret: secret } : {}),
          ...(issuer.trim() ? { issuer: issuer.trim() } : {}),
          ...(scopeList.length ? { scopes: scopeList } : {}),
          enabled,
          linkVerifiedEmail: linkVerified,
          allowSignUp,
        },
      });
      setSecret('');
      await onDone(
        `Added ${createIdentityProvider.displayName}. Register ${createIdentityProvider.callbackURL} as its redirect URI at the provider.`,
      );
    });
  }

  return (
    <form className="card form-grid provider-form" onSubmit={handleSubmit} aria-label={editing ? `Edit ${provider.displayName}` : 'Add a provider'}>
      <h3 className="grid-heading">{editing ? `Edit ${provider.displayName}` : 'Add a provider'}</h3>
      {!editing && (
        <>
          <div className="field">
            <label htmlFor={`${id}-kind`}>Kind</label>
            <select id={`${id}-kind`} name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
              {providerKinds.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <Field
            ref={firstRef}
            label="Short name (in URLs)"
            name="slug"
            required
            pattern="[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
            spellCheck={false}
            autoComplete="off"
            hint="Lower-case letters, digits and hyphens, like github or corp-sso."
            value={providerSlug}
            onChange={(e) => setProviderSlug(e.target.value)}
          />
        </>
      )}
      <Field
        label="Button label"
        name="displayName"
        autoComplete="off"
        required={kind === 'oidc' && !editing}
        placeholder={kindInfo?.label}
        hint="Shown as “Sign in with …”."
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
      />
      <Field
        label="Client ID"
        name="clientID"
        required
        spellCheck={false}
        autoComplete="off"
        value={clientID}
        onChange={(e) => setClientID(e.target.value)}
      />
      <Field
        label={editing ? 'New client secret' : 'Client secret'}
        name="clientSecret"
        type="password"
        autoComplete="new-password"
        spellCheck={false}
        required={!editing && kind !== 'oidc' && kind !== 'gitlab'}
        hint={
          editing
            ? provider.hasClientSecret
              ? 'A secret is set and never shown. Leave empty to keep it.'
              : 'None is set. Leave empty to keep it that way.'
            : 'Stored encrypted; never shown again.'
        }
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
      />
      {kindInfo?.issuerLabel && (
        <Field
          label={kindInfo.issuerLabel}
          name="issuer"
          type="url"
          required={kind === 'oidc'}
          spellCheck={false}
          autoComplete="off"
          value={issuer}
          onChange={(e) => setIssuer(e.target.value)}
        />
      )}
      <Field
        label="Scopes (space-separated)"
        name="scopes"
        spellCheck={false}
        autoComplete="off"
        hint="Empty: the kind’s defaults (openid email profile for OpenID Connect)."
        value={scopes}
        onChange={(e) => setScopes(e.target.value)}
      />
      <fieldset className="checks">
        <legend>Options</legend>
        <Check id={`${id}-enabled`} label="Enabled: show its button on the sign-in page" checked={enabled} onChange={setEnabled} />
        <Check
          id={`${id}-link`}
          label="Link to an existing account with the same address"
          hint="Only when the provider says the address is verified."
          checked={linkVerified}
          onChange={setLinkVerified}
        />
        <Check
          id={`${id}-signup`}
          label="Create an account on a first sign-in"
          hint="Within the workspace’s sign-up mode."
          checked={allowSignUp}
          onChange={setAllowSignUp}
        />
      </fieldset>
      {callback && (
        <p className="form-note">
          Redirect URI to register at the provider: <code className="wrap">{callback}</code>
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={save.busy}>
          {save.busy ? 'Saving…' : editing ? 'Save provider' : 'Add provider'}
        </button>
        <button type="button" className="secondary" onClick={() => void onDone()} disabled={save.busy}>
          Cancel
        </button>
      </div>
      <Alert>{save.error}</Alert>
    </form>
  );
}

