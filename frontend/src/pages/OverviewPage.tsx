import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { Alert, Status } from '../components/Feedback';
import { graphql } from '../gql';
import type { OverviewQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const OverviewQueryDocument = graphql(`
  query Overview {
    tenant {
      id
      slug
      name
      createdAt
      settings {
        signUpMode
        sessionLifetimeMinutes
        sessionIdleMinutes
        auditRetentionDays
        accessTokenMinutes
        refreshTokenDays
        idTokenMinutes
      }
    }
  }
`);

export const OverviewCountsQuery = graphql(`
  query OverviewCounts {
    members {
      totalCount
    }
    apiTokens(where: { revokedAtIsNil: true }) {
      totalCount
    }
    auditEvents {
      totalCount
    }
  }
`);

export const UpdateTenantSettingsMutation = graphql(`
  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {
    updateTenantSettings(input: $input) {
      id
      slug
      name
      createdAt
      settings {
        signUpMode
        sessionLifetimeMinutes
        sessionIdleMinutes
        auditRetentionDays
        accessTokenMinutes
        refreshTokenDays
        idTokenMinutes
      }
    }
  }
`);

type Tenant = OverviewQuery['tenant'];

/** The issuer's token lifetimes: 0 means its default. */
const tokenLifetimes = [
  { key: 'accessTokenMinutes', id: 'settings-access-token', label: 'Access token lifetime', unit: 'minutes', max: 1440, fallback: 15 },
  { key: 'refreshTokenDays', id: 'settings-refresh-token', label: 'Refresh token lifetime', unit: 'days', max: 365, fallback: 30 },
  { key: 'idTokenMinutes', id: 'settings-id-token', label: 'ID token lifetime', unit: 'minutes', max: 1440, fallback: 60 },
] as const;

type TokenLifetime = (typeof tokenLifetimes)[number]['key'];

function lifetimeText(value: number, lifetime: (typeof tokenLifetimes)[number]): string {
  return value === 0 ? `Default (${lifetime.fallback} ${lifetime.unit})` : `${value} ${lifetime.unit}`;
}

const signUpModes = [
  { value: 'open', label: 'Open: anyone may sign up' },
  { value: 'invite_only', label: 'Invite only' },
  { value: 'closed', label: 'Closed' },
];

export function OverviewPage() {
  const viewer = useViewer();
  const overview = useQuery(OverviewQueryDocument, {});
  const counts = useQuery(OverviewCountsQuery, {});
  const [tenant, setTenant] = useState<Tenant>();
  useEffect(() => setTenant(overview.data?.tenant), [overview.data]);

  const base = `/w/${encodeURIComponent(viewer.tenant.slug)}`;
  const count = (n: number | undefined) => (counts.data ? String(n) : counts.error ? '—' : '…');

  return (
    <section className="page" aria-labelledby="overview-title">
      <h1 id="overview-title">{tenant?.name ?? viewer.tenant.name}</h1>
      <dl className="facts">
        <div>
          <dt>Workspace</dt>
          <dd>
            <code>{viewer.tenant.slug}</code>
          </dd>
        </div>
        <div>
          <dt>Signed in as</dt>
          <dd>
            {viewer.label} ({viewer.kind.replace('_', ' ')})
          </dd>
        </div>
        <div>
          <dt>Your role</dt>
          <dd>
            <span className="badge">{viewer.role}</span>
          </dd>
        </div>
      </dl>

      <ul className="cards" aria-label="At a glance">
        <li className="card">
          <Link to={`${base}/members`}>
            <span className="count">{count(counts.data?.members.totalCount)}</span> Members
          </Link>
        </li>
        <li className="card">
          <Link to={`${base}/tokens`}>
            <span className="count">{count(counts.data?.apiTokens.totalCount)}</span> API tokens not revoked
          </Link>
        </li>
        <li className="card">
          <Link to={`${base}/audit`}>
            <span className="count">{count(counts.data?.auditEvents.totalCount)}</span> Audit events
          </Link>
        </li>
      </ul>
      {counts.error && <p className="muted">Counts unavailable: {counts.error}</p>}

      <h2>Settings</h2>
      <Alert>{overview.error}</Alert>
      {tenant &&
        (canAdminister(viewer) ? (
          <SettingsForm key={tenant.id} tenant={tenant} onSaved={setTenant} />
        ) : (
          <SettingsList tenant={tenant} />
        ))}
    </section>
  );
}

function SettingsList({ tenant }: { tenant: Tenant }) {
  const s = tenant.settings;
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Sign-up mode</dt>
          <dd>{signUpModes.find((m) => m.value === s.signUpMode)?.label ?? s.signUpMode}</dd>
        </div>
        <div>
          <dt>Session lifetime</dt>
          <dd>{s.sessionLifetimeMinutes} minutes</dd>
        </div>
        <div>
          <dt>Idle timeout</dt>
          <dd>{s.sessionIdleMinutes} minutes</dd>
        </div>
        <div>
          <dt>Audit retention</dt>
          <dd>{s.auditRetentionDays === 0 ? 'Forever' : `${s.auditRetentionDays} days`}</dd>
        </div>
        {tokenLifetimes.map((lifetime) => (
          <div key={lifetime.key}>
            <dt>{lifetime.label}</dt>
            <dd>{lifetimeText(s[lifetime.key], lifetime)}</dd>
          </div>
        ))}
      </dl>
      <p className="muted">Only admins and owners can change these.</p>
    </>
  );
}

function SettingsForm({ tenant, onSaved }: { tenant: Tenant; onSaved: (tenant: Tenant) => void }) {
  const run = useApi();
  const [name, setName] = useState(tenant.name);
  const [signUpMode, setSignUpMode] = useState(tenant.settings.signUpMode);
  const [lifetime, setLifetime] = useState(String(tenant.settings.sessionLifetimeMinutes));
  const [idle, setIdle] = useState(String(tenant.settings.sessionIdleMinutes));
  const [retention, setRetention] = useState(String(tenant.settings.auditRetentionDays));
  const [lifetimes, setLifetimes] = useState<Record<TokenLifetime, string>>({
    accessTokenMinutes: String(tenant.settings.accessTokenMinutes),
    refreshTokenDays: String(tenant.settings.refreshTokenDays),
    idTokenMinutes: String(tenant.settings.idTokenMinutes),
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState('');

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved('');
    try {
      const result = await run(UpdateTenantSettingsMutation, {
        input: {
          name: name.trim(),
          signUpMode,
          sessionLifetimeMinutes: Number(lifetime),
          sessionIdleMinutes: Number(idle),
          auditRetentionDays: Number(retention),
          accessTokenMinutes: Number(lifetimes.accessTokenMinutes),
          refreshTokenDays: Number(lifetimes.refreshTokenDays),
          idTokenMinutes: Number(lifetimes.idTokenMinutes),
        },
      });
      onSaved(result.updateTenantSettings);
      setSaved('Settings saved.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const modes = signUpModes.some((m) => m.value === signUpMode)
    ? signUpModes
    : [...signUpModes, { value: signUpMode, label: signUpMode }];

  return (
    <form className="card form-grid" onSubmit={handleSubmit} aria-label="Workspace settings">
      <div className="field">
        <label htmlFor="settings-name">Workspace name</label>
        <input id="settings-name" name="name" required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="settings-signup">Sign-up mode</label>
        <select id="settings-signup" name="signUpMode" value={signUpMode} onChange={(e) => setSignUpMode(e.target.value)}>
          {modes.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="settings-lifetime">Session lifetime (minutes)</label>
        <input
          id="settings-lifetime"
          name="sessionLifetimeMinutes"
          type="number"
          min={1}
          step={1}
          required
          value={lifetime}
          onChange={(e) => setLifetime(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="settings-idle">Sign out after idle (minutes)</label>
        <input
          id="settings-idle"
          name="sessionIdleMinutes"
          type="number"
          min={1}
          step={1}
          required
          value={idle}
          onChange={(e) => setIdle(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="settings-retention">Audit retention (days, 0 keeps forever)</label>
        <input
          id="settings-retention"
          name="auditRetentionDays"
          type="number"
          min={0}
          step={1}
          required
          value={retention}
          onChange={(e) => setRetention(e.target.value)}
        />
      </div>
      <h3 className="grid-heading">Tokens the issuer gives applications</h3>
      {tokenLifetimes.map((lifetime) => (
        <div className="field" key={lifetime.key}>
          <label htmlFor={lifetime.id}>
            {lifetime.label} ({lifetime.unit}, 0 for the default {lifetime.fallback})
          </label>
          <input
            id={lifetime.id}
            name={lifetime.key}
            type="number"
            min={0}
            max={lifetime.max}
            step={1}
            required
            value={lifetimes[lifetime.key]}
            onChange={(e) => {
              const value = e.target.value;
              setLifetimes((previous) => ({ ...previous, [lifetime.key]: value }));
            }}
          />
        </div>
      ))}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        <Status>{saved}</Status>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}
