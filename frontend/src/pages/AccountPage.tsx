import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useParams } from 'react-router';
import { authApi, type SessionRow } from '../api/auth';
import { errorMessage, signInPath, useAction, useApi, useQuery, type SignInState } from '../api/hooks';
import { forgetSession, replaceCsrfToken, signOut, useRestoredSession, type PasswordSession } from '../auth/session';
import { DateTime } from '../components/DateTime';
import { Field, passwordHint } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';
import { AgentsQueryDocument, count, DelegationGrantsQueryDocument } from '../agents/api';
import { DelegationGrantsTable } from '../agents/DelegationGrantsTable';
import { useSignedInAction } from '../signin/useSignedInAction';
import { SecurityCard } from '../signin/SecurityCard';
import { currentCsrf } from '../signin/StepUpForm';
import { useStepUp } from '../signin/useStepUp';
import { graphql } from '../gql';
import type { ConnectedAppsQuery } from '../gql/graphql';

export const ConnectedAppsQueryDocument = graphql(`
  query ConnectedApps {
    connectedApps {
      clientID
      name
      scopes
      grantedAt
    }
  }
`);

export const RevokeConnectedAppMutation = graphql(`
  mutation RevokeConnectedApp($clientID: String!) {
    revokeConnectedApp(clientID: $clientID)
  }
`);

type ConnectedApp = ConnectedAppsQuery['connectedApps'][number];

/** /t/:slug/account: "My account" for a person signed in with a password. */
export function AccountPage() {
  const { slug = '' } = useParams();
  const { session, loading, error } = useRestoredSession(slug);

  if (!session) {
    if (loading || error) {
      return (
        <HostedFrame slug={slug} title="My account">
          {error ? <Alert>{errorMessage(error)}</Alert> : <p role="status">Loading…</p>}
        </HostedFrame>
      );
    }
    const state: SignInState = { next: `/t/${encodeURIComponent(slug)}/account` };
    return <Navigate to={signInPath(slug)} replace state={state} />;
  }
  if (session.kind === 'token') {
    return (
      <HostedFrame slug={slug} title="My account">
        <p>
          You are signed in with an API token, which has no account of its own. Sign in with your email and password to
          manage your account.
        </p>
        <Link to={`/w/${encodeURIComponent(slug)}`}>Back to the dashboard</Link>
      </HostedFrame>
    );
  }
  return <Account session={session} />;
}

function Account({ session }: { session: PasswordSession }) {
  const { slug, user } = session;
  const navigate = useNavigate();
  const out = useSignedInAction(slug, 'account');
  const dashboard = `/w/${encodeURIComponent(slug)}`;

  return (
    <HostedFrame slug={slug} title="My account" wide>
      <div className="account-bar">
        <Link to={dashboard}>← Dashboard</Link>
        <button
          type="button"
          className="secondary"
          disabled={out.busy}
          onClick={() =>
            void out.run(async () => {
              await signOut(slug);
              navigate(signInPath(slug), { replace: true, state: { notice: 'You are signed out.', email: user.email } satisfies SignInState });
            })
          }
        >
          Sign out
        </button>
      </div>
      <Alert>{out.error}</Alert>

      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <dl className="facts">
          <div>
            <dt>Email</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd>{user.name || <span className="muted">—</span>}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>
              <span className="badge">{user.role}</span>
            </dd>
          </div>
        </dl>
      </section>

      <SecurityCard slug={slug} />
      <SessionsSection session={session} />
      <ConnectedAppsSection />
      <AgentsActingForMeSection userID={user.id} />
      <div className="account-forms">
        <ChangePasswordForm session={session} />
        <ChangeEmailForm session={session} />
      </div>
      <DeleteAccountSection session={session} />
    </HostedFrame>
  );
}

function ChangePasswordForm({ session }: { session: PasswordSession }) {
  const [password, setPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [done, setDone] = useState('');
  const change = useSignedInAction(session.slug, 'account');
  const stepUp = useStepUp(session.slug, session.user.email);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setDone('');
    await change.run(async () => {
      const answer = await stepUp.guard(() =>
        authApi.changePassword(session.slug, currentCsrf(session.slug), { password, newPassword }),
      );
      if (answer?.csrfToken) replaceCsrfToken(session.slug, answer.csrfToken);
      setPassword('');
      setNewPassword('');
      setDone('Password changed. Your other sessions were signed out.');
    });
  }

  return (
    <>
      {stepUp.prompt}
      <form className="card" onSubmit={handleSubmit} aria-labelledby="password-title" aria-busy={change.busy}>
        <h2 id="password-title">Change password</h2>
        {/* For password managers: whose password this is. */}
        <input type="text" name="username" autoComplete="username" value={session.user.email} readOnly hidden />
        <Field
          label="Current password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          hint={passwordHint}
          value={newPassword}
          onChange={(e) => setNewPassword(e.target.value)}
        />
        <Alert>{change.error}</Alert>
        <Status>{done}</Status>
        <button type="submit" disabled={change.busy}>
          {change.busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </>
  );
}

function ChangeEmailForm({ session }: { session: PasswordSession }) {
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sent, setSent] = useState('');
  const change = useSignedInAction(session.slug, 'account');
  const stepUp = useStepUp(session.slug, session.user.email);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSent('');
    await change.run(async () => {
      const to = newEmail.trim();
      const answer = await stepUp.guard(() =>
        authApi.changeEmail(session.slug, currentCsrf(session.slug), { newEmail: to, password }),
      );
      setPassword('');
      setSent(answer?.message ?? `We sent a link to ${to}: your address changes when you follow it.`);
    });
  }

  return (
    <>
      {stepUp.prompt}
      <form className="card" onSubmit={handleSubmit} aria-labelledby="email-title" aria-busy={change.busy}>
        <h2 id="email-title">Change email</h2>
        <Field
          label="New email address"
          name="newEmail"
          type="email"
          autoComplete="email"
          required
          spellCheck={false}
          value={newEmail}
          onChange={(e) => setNewEmail(e.target.value)}
        />
        <Field
          label="Your password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Alert>{change.error}</Alert>
        <Status>{sent}</Status>
        <button type="submit" disabled={change.busy}>
          {change.busy ? 'Sending…' : 'Send a confirmation link'}
        </button>
      </form>
    </>
  );
}

/** "Chrome on Linux" from a User-Agent header; the header itself on hover. */
export function describeAgent(userAgent: string): string {
  if (!userAgent) return 'Unknown device';
  const browser = (
    [
      [/Edg\//, 'Edge'],
      [/OPR\//, 'Opera'],
      [/Firefox\//, 'Firefox'],
      [/HeadlessChrome\//, 'Headless Chrome'],
      [/Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
      [/curl\//, 'curl'],
    ] as const
  ).find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = (
    [
      [/Android/, 'Android'],
      [/iPhone|iPad/, 'iOS'],
      [/Windows/, 'Windows'],
      [/Mac OS X|Macintosh/, 'macOS'],
      [/CrOS/, 'ChromeOS'],
      [/Linux/, 'Linux'],
    ] as const
  ).find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent.slice(0, 40);
}

function SessionsSection({ session }: { session: PasswordSession }) {
  const { slug } = session;
  const [rows, setRows] = useState<SessionRow[]>();
  const [notice, setNotice] = useState('');
  const load = useSignedInAction(slug, 'account');
  const revoke = useSignedInAction(slug, 'account');
  const loadRun = load.run;
  const latest = useRef(0);

  const reload = useCallback(
    () =>
      loadRun(async () => {
        const id = ++latest.current;
        const answer = await authApi.sessions(slug);
        if (id === latest.current) setRows(answer.sessions);
      }),
    [loadRun, slug],
  );

  // A new CSRF token means a new session (a password change): reload, so
  // the list shows the new session and not the ones that just ended.
  const csrfToken = session.csrfToken;
  useEffect(() => {
    void reload();
  }, [reload, csrfToken]);

  async function revokeOne(row: SessionRow) {
    setNotice('');
    const ok = await revoke.run(() => authApi.revokeSession(slug, session.csrfToken, row.id).then(() => undefined));
    if (ok) {
      setNotice(`Signed out ${describeAgent(row.userAgent)}${row.ip ? ` (${row.ip})` : ''}.`);
      await reload();
    }
  }

  async function revokeOthers() {
    setNotice('');
    const ok = await revoke.run(() => authApi.revokeOtherSessions(slug, session.csrfToken).then(() => undefined));
    if (ok) {
      setNotice('Signed out every other session.');
      await reload();
    }
  }

  const others = rows?.filter((r) => !r.current).length ?? 0;
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p className="muted">Where your account is signed in. Sign out any you do not recognise.</p>
      <Alert>{load.error ?? revoke.error}</Alert>
      <Status>{notice}</Status>
      <div className="table-wrap">
        <table>
          <caption>
            {rows === undefined
              ? 'Loading sessions…'
              : `${rows.length} ${rows.length === 1 ? 'session' : 'sessions'} signed in`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">IP address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last active</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows?.map((row) => (
              <tr key={row.id} data-session-id={row.id} className={row.current ? 'current' : undefined}>
                <td title={row.userAgent}>
                  {describeAgent(row.userAgent)} {row.current && <span className="badge current-badge">This device</span>}
                </td>
                <td>{row.ip || <span className="muted">—</span>}</td>
                <td>
                  <DateTime value={row.createdAt} />
                </td>
                <td>
                  <DateTime value={row.lastSeenAt} />
                </td>
                <td>
                  <DateTime value={row.expiresAt} />
                </td>
                <td>
                  {row.current ? (
                    <span className="muted">Current session</span>
                  ) : (
                    <button
                      type="button"
                      className="secondary"
                      disabled={revoke.busy}
                      aria-label={`Sign out ${describeAgent(row.userAgent)}, signed in ${new Date(row.createdAt).toLocaleString()}`}
                      onClick={() => void revokeOne(row)}
                    >
                      Sign out
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" className="secondary" disabled={revoke.busy || others === 0} onClick={() => void revokeOthers()}>
        Sign out all other sessions
      </button>
    </section>
  );
}

/** The apps the person let into their account, each with a way to withdraw that consent. */
function ConnectedAppsSection() {
  const apps = useQuery(ConnectedAppsQueryDocument, {});
  const [notice, setNotice] = useState('');
  const list = apps.data?.connectedApps ?? [];

  return (
    <section aria-labelledby="apps-title">
      <h2 id="apps-title">Connected apps</h2>
      <p className="muted">Apps you allowed to use your account. Revoke any you no longer use.</p>
      <Alert>{apps.error}</Alert>
      <Status>{notice}</Status>
      <div className="table-wrap">
        <table>
          <caption>
            {apps.loading && !apps.data
              ? 'Loading connected apps…'
              : list.length === 0
                ? 'No app can use your account.'
                : `${list.length} ${list.length === 1 ? 'app' : 'apps'} connected`}
          </caption>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Allowed to</th>
              <th scope="col">Connected</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((app) => (
              <ConnectedAppRow
                key={app.clientID}
                app={app}
                onRevoked={async () => {
                  setNotice(`Revoked access for ${app.name}: it can no longer use your account.`);
                  await apps.refetch();
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * The delegation grants the person gave agents: which agent may act for
 * them, with which scopes, until when; each can be narrowed or revoked. The
 * server also lists grants to agents the person sponsors: only their own are
 * shown here.
 */
function AgentsActingForMeSection({ userID }: { userID: string }) {
  const grants = useQuery(DelegationGrantsQueryDocument, {});
  const agents = useQuery(AgentsQueryDocument, {});
  const [notice, setNotice] = useState('');
  const mine = (grants.data?.delegationGrants ?? []).filter((g) => g.userID === userID);
  const agentName = (agentID: string) => agents.data?.agents.find((a) => a.id === agentID)?.name ?? `Agent ${agentID}`;

  return (
    <section aria-labelledby="delegations-title">
      <h2 id="delegations-title">Agents acting for me</h2>
      <p className="muted">AI agents you let act for you. Narrow what any of them may do, or revoke it.</p>
      <Alert>{grants.error ?? agents.error}</Alert>
      <Status>{notice}</Status>
      <DelegationGrantsTable
        grants={mine}
        caption={
          grants.loading && !grants.data
            ? 'Loading agents acting for you…'
            : mine.length === 0
              ? 'No agent can act for you.'
              : count(mine.length, 'grant to agents', 'grants to agents')
        }
        partyHeader="Agent"
        party={(g) => agentName(g.agentID)}
        question={(agent) => `Stop ${agent} acting for you? Its tokens for you stop working at once.`}
        onRevoked={async (_grant, agent) => {
          setNotice(`Revoked ${agent}: it can no longer act for you.`);
          await grants.refetch();
        }}
        onNarrowed={async (_grant, agent) => {
          setNotice(`Narrowed what ${agent} may do for you.`);
          await grants.refetch();
        }}
      />
    </section>
  );
}

function ConnectedAppRow({ app, onRevoked }: { app: ConnectedApp; onRevoked: () => Promise<void> }) {
  const run = useApi();
  const [confirming, setConfirming] = useState(false);
  const revoke = useAction();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function confirm() {
    const ok = await revoke.run(async () => {
      await run(RevokeConnectedAppMutation, { clientID: app.clientID });
    });
    if (ok) {
      setConfirming(false);
      await onRevoked();
    }
  }

  return (
    <tr data-client-id={app.clientID}>
      <td>{app.name}</td>
      <td>
        <ul className="plain">
          {app.scopes.map((scope) => (
            <li key={scope}>
              <code>{scope}</code>
            </li>
          ))}
        </ul>
      </td>
      <td>
        <DateTime value={app.grantedAt} />
      </td>
      <td>
        {confirming ? (
          <div className="inline confirm" role="group" aria-label={`Confirm revoking ${app.name}`}>
            <span>Revoke {app.name}? It loses every token it holds for you.</span>
            <button ref={confirmRef} type="button" className="danger" onClick={() => void confirm()} disabled={revoke.busy}>
              {revoke.busy ? 'Revoking…' : 'Confirm revoke'}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={revoke.busy}
              onClick={() => {
                setConfirming(false);
                revoke.clear();
                setTimeout(() => openRef.current?.focus());
              }}
            >
              Cancel
            </button>
          </div>
        ) : (
          <button
            ref={openRef}
            type="button"
            className="secondary"
            aria-label={`Revoke ${app.name}`}
            onClick={() => setConfirming(true)}
          >
            Revoke
          </button>
        )}
        <Alert>{revoke.error}</Alert>
      </td>
    </tr>
  );
}

function DeleteAccountSection({ session }: { session: PasswordSession }) {
  const { slug } = session;
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  const remove = useSignedInAction(slug, 'account');
  const openRef = useRef<HTMLButtonElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (confirming) passwordRef.current?.focus();
  }, [confirming]);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await remove.run(async () => {
      await authApi.deleteAccount(slug, session.csrfToken, password);
      forgetSession(slug);
      const state: SignInState = { notice: 'Your account is deleted.' };
      navigate(`/t/${encodeURIComponent(slug)}/signin`, { replace: true, state });
    });
  }

  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>
        Deleting your account signs you out everywhere and erases your name and address. It cannot be undone; the audit
        log keeps an anonymous id.
      </p>
      {confirming ? (
        <form onSubmit={handleSubmit} aria-label="Confirm deleting your account" aria-busy={remove.busy}>
          <div className="field">
            <label htmlFor="delete-password">Your password, to confirm</label>
            <input
              ref={passwordRef}
              id="delete-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <Alert>{remove.error}</Alert>
          <div className="actions">
            <button type="submit" className="danger" disabled={remove.busy}>
              {remove.busy ? 'Deleting…' : 'Delete my account permanently'}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={remove.busy}
              onClick={() => {
                setConfirming(false);
                setPassword('');
                remove.clear();
                setTimeout(() => openRef.current?.focus());
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button ref={openRef} type="button" className="danger" onClick={() => setConfirming(true)}>
          Delete my account…
        </button>
      )}
    </section>
  );
}
