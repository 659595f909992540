import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useParams } from 'react-router';
import { mfaApi, passkeyApi, socialApi, type MFAStatus, type PasskeyInfo, type TOTPEnrollment } from '../api/auth';
import { errorMessage, signInPath, useAction, useApi, useQuery, type Action, type SignInState } from '../api/hooks';
import { useRestoredSession, type PasswordSession } from '../auth/session';
import { createPasskey, isPasskeyAbort, passkeyErrorMessage, passkeysSupported } from '../auth/webauthn';
import { DateTime } from '../components/DateTime';
import { Field } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';
import { graphql } from '../gql';
import type { MyLinkedAccountsQuery } from '../gql/graphql';
import { RecoveryCodesOnce } from '../signin/RecoveryCodesOnce';
import { useLinkResult, useSocialProviders } from '../signin/social';
import { currentCsrf } from '../signin/StepUpForm';
import { TOTPSetup } from '../signin/TOTPSetup';
import { useSignedInAction } from '../signin/useSignedInAction';
import { StepUpCancelled, useStepUp, type StepUp } from '../signin/useStepUp';
import { ConnectedAccountsSection } from './ConnectedAccountsSection';

export const MyLinkedAccountsQueryDocument = graphql(`
  query MyLinkedAccounts {
    myLinkedAccounts {
      id
      provider
      providerName
      kind
      email
      createdAt
      lastUsedAt
    }
  }
`);

export const UnlinkAccountMutation = graphql(`
  mutation UnlinkAccount($id: ID!) {
    unlinkAccount(id: $id) {
      deletedID
    }
  }
`);

type LinkedAccount = MyLinkedAccountsQuery['myLinkedAccounts'][number];

/** How a session signed in, in words (its OIDC amr values). */
export function describeAMR(amr: readonly string[] | null | undefined): string {
  const words: Record<string, string> = {
    pwd: 'password',
    otp: 'one-time code',
    hwk: 'device-bound passkey',
    swk: 'synced passkey',
    fed: 'another account (social sign-in)',
  };
  const parts = (amr ?? []).flatMap((m) => (words[m] ? [words[m]] : []));
  if (parts.length === 0) return 'unknown';
  const text = parts.join(' + ');
  return (amr ?? []).includes('mfa') ? `${text} (two-step)` : text;
}

/** /t/:slug/security: passkeys, authenticator app, recovery codes and linked accounts of the signed-in person. */
export function SecurityPage() {
  const { slug = '' } = useParams();
  const { session, loading, error } = useRestoredSession(slug);
  if (!session) {
    if (loading || error) {
      return (
        <HostedFrame slug={slug} title="Security">
          {error ? <Alert>{errorMessage(error)}</Alert> : <p role="status">Loading…</p>}
        </HostedFrame>
      );
    }
    const state: SignInState = { next: `/t/${encodeURIComponent(slug)}/security` };
    return <Navigate to={signInPath(slug)} replace state={state} />;
  }
  if (session.kind === 'token') {
    return (
      <HostedFrame slug={slug} title="Security">
        <p>You are signed in with an API token, which has no sign-in methods of its own. Sign in as a person to manage yours.</p>
        <Link to={`/w/${encodeURIComponent(slug)}`}>Back to the dashboard</Link>
      </HostedFrame>
    );
  }
  return <Security session={session} />;
}

function Security({ session }: { session: PasswordSession }) {
  const { slug, user } = session;
  const t = encodeURIComponent(slug);
  const [status, setStatus] = useState<MFAStatus>();
  const [passkeys, setPasskeys] = useState<PasskeyInfo[]>();
  const load = useSignedInAction(slug, 'security');
  const loadRun = load.run;
  const csrfToken = session.csrfToken;

  const reload = useCallback(
    () =>
      loadRun(async () => {
        const [s, k] = await Promise.all([mfaApi.status(slug), passkeyApi.list(slug)]);
        setStatus(s);
        setPasskeys(k.passkeys ?? []);
      }),
    [loadRun, slug],
  );
  // A step-up replaces the session: reload, so "how you signed in" is current.
  useEffect(() => {
    void reload();
  }, [reload, csrfToken]);

  const stepUp = useStepUp(slug, user.email, {
    password: status?.hasPassword ?? true,
    totp: status?.totp.enabled ?? false,
    passkey: (passkeys?.length ?? 0) > 0,
  });

  return (
    <HostedFrame slug={slug} title="Security" wide>
      <div className="account-bar">
        <Link to={`/t/${t}/account`}>← My account</Link>
        <Link to={`/w/${t}`}>Dashboard</Link>
      </div>
      <Alert>{load.error}</Alert>
      {stepUp.prompt}
      <section className="card" aria-labelledby="session-strength-title">
        <h2 id="session-strength-title">This session</h2>
        <dl className="facts">
          <div>
            <dt>Signed in as</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>Signed in with</dt>
            <dd data-testid="session-amr">{status ? describeAMR(status.session.amr) : '…'}</dd>
          </div>
          <div>
            <dt>At</dt>
            <dd>
              <DateTime value={status?.session.authTime} empty="…" />
            </dd>
          </div>
        </dl>
        {status && (
          <p className="muted">
            Adding or removing a sign-in method needs a sign-in within the last {status.stepUpMinutes} minutes;{' '}
            {status.recentlyAuthenticated ? 'yours is recent enough.' : 'you will be asked to confirm it is you.'}
            {status.mfaRequired && ' Your workspace requires a second step (an authenticator app or a passkey) for your account.'}
          </p>
        )}
      </section>
      <PasskeysSection slug={slug} passkeys={passkeys} stepUp={stepUp} onChanged={reload} />
      <AuthenticatorSection slug={slug} status={status} stepUp={stepUp} onChanged={reload} />
      <LinkedAccountsSection slug={slug} stepUp={stepUp} />
      <ConnectedAccountsSection slug={slug} />
    </HostedFrame>
  );
}

/** Rejects what a step-up cancel or a browser prompt did, as a message; undefined to rethrow. */
function quietFailure(err: unknown): string | undefined {
  if (err instanceof StepUpCancelled) return err.message;
  return passkeyErrorMessage(err);
}

function passkeyKind(k: PasskeyInfo): string {
  const synced = k.backupEligible ? 'Synced passkey' : 'Device-bound passkey';
  const where = k.attachment === 'platform' ? 'built into a device' : k.attachment === 'cross-platform' ? 'security key or phone' : '';
  return where ? `${synced}, ${where}` : synced;
}

function PasskeysSection({
  slug,
  passkeys,
  stepUp,
  onChanged,
}: {
  slug: string;
  passkeys: PasskeyInfo[] | undefined;
  stepUp: StepUp;
  onChanged: () => Promise<boolean>;
}) {
  const [name, setName] = useState('');
  const [notice, setNotice] = useState('');
  const add = useSignedInAction(slug, 'security');
  const supported = passkeysSupported();

  async function handleAdd(event: FormEvent) {
    event.preventDefault();
    setNotice('');
    let quiet: string | undefined;
    const ok = await add.run(async () => {
      try {
        const added = await stepUp.guard(async () => {
          const options = await passkeyApi.registerBegin(slug, name.trim(), currentCsrf(slug));
          const credential = await createPasskey(options);
          return passkeyApi.registerFinish(slug, credential, currentCsrf(slug));
        });
        setName('');
        setNotice(`Passkey “${added.passkey?.name ?? name}” added: you can sign in with it now.`);
      } catch (err) {
        if (isPasskeyAbort(err)) return;
        quiet = quietFailure(err);
        if (quiet === undefined) throw err;
      }
    });
    if (quiet) setNotice(quiet);
    if (ok) await onChanged();
  }

  return (
    <section aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted">
        A passkey signs you in without a password, with your device’s screen lock or a security key. It also serves as the
        second step after your password.
      </p>
      <Status>{notice}</Status>
      <div className="table-wrap">
        <table>
          <caption>
            {passkeys === undefined
              ? 'Loading passkeys…'
              : passkeys.length === 0
                ? 'No passkeys yet.'
                : `${passkeys.length} ${passkeys.length === 1 ? 'passkey' : 'passkeys'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Added</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {passkeys?.map((k) => (
              <PasskeyRow
                key={k.id}
                slug={slug}
                passkey={k}
                stepUp={stepUp}
                onChanged={async (message) => {
                  setNotice(message);
                  await onChanged();
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {supported ? (
        <form className="card form-row" onSubmit={handleAdd} aria-label="Add a passkey" aria-busy={add.busy}>
          <Field
            label="Name for the new passkey"
            name="passkeyName"
            autoComplete="off"
            maxLength={100}
            placeholder="Work laptop"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <div className="actions">
            <button type="submit" disabled={add.busy}>
              {add.busy ? 'Waiting for your device…' : 'Add a passkey'}
            </button>
          </div>
          <Alert>{add.error}</Alert>
        </form>
      ) : (
        <p className="muted">This browser cannot create passkeys.</p>
      )}
    </section>
  );
}

function PasskeyRow({
  slug,
  passkey,
  stepUp,
  onChanged,
}: {
  slug: string;
  passkey: PasskeyInfo;
  stepUp: StepUp;
  onChanged: (message: string) => Promise<void>;
}) {
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const [name, setName] = useState(passkey.name);
  const action = useSignedInAction(slug, 'security');
  const [quiet, setQuiet] = useState<string>();
  const openRef = useRef<HTMLButtonElement>(null);

  async function rename(event: FormEvent) {
    event.preventDefault();
    const ok = await action.run(async () => {
      await stepUp.guard(() => passkeyApi.rename(slug, currentCsrf(slug), passkey.id, name.trim()));
    });
    if (ok) {
      setMode('view');
      await onChanged(`Renamed the passkey to “${name.trim() || 'Passkey'}”.`);
    }
  }

  async function remove() {
    setQuiet(undefined);
    let cancelled: string | undefined;
    const ok = await action.run(async () => {
      try {
        await stepUp.guard(() => passkeyApi.remove(slug, currentCsrf(slug), passkey.id));
      } catch (err) {
        cancelled = quietFailure(err);
        if (cancelled === undefined) throw err;
      }
    });
    if (cancelled) {
      setQuiet(cancelled);
      return;
    }
    if (ok) await onChanged(`Removed the passkey “${passkey.name}”.`);
  }

  function back() {
    setMode('view');
    setName(passkey.name);
    action.clear();
    setTimeout(() => openRef.current?.focus());
  }

  return (
    <tr data-passkey-id={passkey.id}>
      <td>
        {mode === 'rename' ? (
          <form className="inline" onSubmit={rename} aria-label={`Rename ${passkey.name}`}>
            <label className="visually-hidden" htmlFor={`passkey-name-${passkey.id}`}>
              New name
            </label>
            <input
              id={`passkey-name-${passkey.id}`}
              value={name}
              maxLength={100}
              autoFocus
              onChange={(e) => setName(e.target.value)}
            />
            <button type="submit" disabled={action.busy}>
              Save
            </button>
            <button type="button" className="secondary" onClick={back} disabled={action.busy}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            {passkey.name}
            {passkey.cloneWarning && (
              <span className="badge status-badge" title="Its sign counter went backwards: it may have been copied. It is refused until removed.">
                possibly cloned
              </span>
            )}
          </>
        )}
      </td>
      <td>{passkeyKind(passkey)}</td>
      <td>
        <DateTime value={passkey.createdAt} />
      </td>
      <td>
        <DateTime value={passkey.lastUsedAt} empty="Never" />
      </td>
      <td>
        {mode === 'remove' ? (
          <div className="inline confirm" role="group" aria-label={`Confirm removing ${passkey.name}`}>
            <span>Remove {passkey.name}? It can no longer sign you in.</span>
            <button type="button" className="danger" autoFocus onClick={() => void remove()} disabled={action.busy}>
              {action.busy ? 'Removing…' : 'Confirm remove'}
            </button>
            <button type="button" className="secondary" onClick={back} disabled={action.busy}>
              Cancel
            </button>
          </div>
        ) : (
          mode === 'view' && (
            <div className="inline row-actions">
              <button ref={openRef} type="button" className="secondary" aria-label={`Rename ${passkey.name}`} onClick={() => setMode('rename')}>
                Rename
              </button>
              <button type="button" className="secondary danger-text" aria-label={`Remove ${passkey.name}`} onClick={() => setMode('remove')}>
                Remove
              </button>
            </div>
          )
        )}
        <Alert>{action.error ?? quiet}</Alert>
      </td>
    </tr>
  );
}

function AuthenticatorSection({
  slug,
  status,
  stepUp,
  onChanged,
}: {
  slug: string;
  status: MFAStatus | undefined;
  stepUp: StepUp;
  onChanged: () => Promise<boolean>;
}) {
  const [enrollment, setEnrollment] = useState<TOTPEnrollment>();
  const [codes, setCodes] = useState<{ title: string; codes: string[] }>();
  const [confirming, setConfirming] = useState<'disable' | 'regenerate'>();
  const [notice, setNotice] = useState('');
  const begin = useSignedInAction(slug, 'security');
  const confirm = useSignedInAction(slug, 'security');
  const change = useSignedInAction(slug, 'security');

  async function quietly(action: Action, fn: () => Promise<void>) {
    setNotice('');
    let quiet: string | undefined;
    const ok = await action.run(async () => {
      try {
        await fn();
      } catch (err) {
        quiet = quietFailure(err);
        if (quiet === undefined) throw err;
      }
    });
    if (quiet) setNotice(quiet);
    return ok && !quiet;
  }

  const startSetup = () =>
    quietly(begin, async () => {
      setEnrollment(await stepUp.guard(() => mfaApi.beginTOTP(slug, currentCsrf(slug))));
    });

  async function confirmSetup(code: string) {
    const ok = await confirm.run(async () => {
      const answer = await stepUp.guard(() => mfaApi.confirmTOTP(slug, currentCsrf(slug), code));
      setEnrollment(undefined);
      if (answer.recoveryCodes?.length) setCodes({ title: 'Save your recovery codes', codes: answer.recoveryCodes });
      setNotice('Your authenticator app is on: signing in now asks for its code after your password.');
    });
    if (ok) await onChanged();
  }

  async function disable() {
    if (await quietly(change, () => stepUp.guard(() => mfaApi.disableTOTP(slug, currentCsrf(slug))))) {
      setConfirming(undefined);
      setNotice('Your authenticator app is off, and its recovery codes no longer work.');
      await onChanged();
    }
  }

  async function regenerate() {
    const done = await quietly(change, async () => {
      const answer = await stepUp.guard(() => mfaApi.regenerateRecoveryCodes(slug, currentCsrf(slug)));
      setCodes({ title: 'Your new recovery codes', codes: answer.recoveryCodes });
    });
    if (done) {
      setConfirming(undefined);
      setNotice('New recovery codes made: the old ones no longer work.');
      await onChanged();
    }
  }

  const enabled = status?.totp.enabled ?? false;
  return (
    <section className="card" aria-labelledby="totp-title">
      <h2 id="totp-title">Authenticator app</h2>
      <p className="muted">
        An app such as 1Password, Google Authenticator or Aegis shows a new 6-digit code every 30 seconds, asked for after
        your password.
      </p>
      <Status>{notice}</Status>
      {codes && <RecoveryCodesOnce title={codes.title} codes={codes.codes} doneLabel="Done" onDone={() => setCodes(undefined)} />}
      {!status ? (
        <p role="status">Loading…</p>
      ) : enabled ? (
        <>
          <p>
            <span className="badge ok-badge">On</span> since <DateTime value={status.totp.confirmedAt} />.
          </p>
          {confirming === 'disable' ? (
            <div className="inline confirm" role="group" aria-label="Confirm turning off the authenticator app">
              <span>Turn off the authenticator app? Its recovery codes stop working too.</span>
              <button type="button" className="danger" autoFocus onClick={() => void disable()} disabled={change.busy}>
                {change.busy ? 'Turning off…' : 'Confirm turn off'}
              </button>
              <button type="button" className="secondary" onClick={() => { setConfirming(undefined); change.clear(); }} disabled={change.busy}>
                Cancel
              </button>
            </div>
          ) : (
            !codes && (
              <button type="button" className="secondary danger-text" onClick={() => setConfirming('disable')}>
                Turn off
              </button>
            )
          )}
        </>
      ) : enrollment ? (
        <TOTPSetup
          enrollment={enrollment}
          busy={confirm.busy}
          error={confirm.error}
          onConfirm={confirmSetup}
          onCancel={() => { setEnrollment(undefined); confirm.clear(); }}
        />
      ) : (
        <>
          <p>
            <span className="badge">Off</span>
          </p>
          <button type="button" onClick={() => void startSetup()} disabled={begin.busy}>
            {begin.busy ? 'Preparing…' : 'Set up an authenticator app'}
          </button>
        </>
      )}
      <Alert>{begin.error ?? change.error}</Alert>

      <h3>Recovery codes</h3>
      {status && (
        <>
          <p data-testid="recovery-remaining">
            {enabled || status.recoveryCodesRemaining > 0
              ? `${status.recoveryCodesRemaining} of 10 unused.`
              : 'You get 10 recovery codes when you set up an authenticator app.'}
            {enabled && status.recoveryCodesRemaining <= 3 && ' Make new ones before you run out.'}
          </p>
          {enabled &&
            (confirming === 'regenerate' ? (
              <div className="inline confirm" role="group" aria-label="Confirm making new recovery codes">
                <span>Make new recovery codes? The old ones stop working.</span>
                <button type="button" className="danger" autoFocus onClick={() => void regenerate()} disabled={change.busy}>
                  {change.busy ? 'Making…' : 'Confirm new codes'}
                </button>
                <button type="button" className="secondary" onClick={() => { setConfirming(undefined); change.clear(); }} disabled={change.busy}>
                  Cancel
                </button>
              </div>
            ) : (
              !codes && (
                <button type="button" className="secondary" onClick={() => setConfirming('regenerate')}>
                  Make new recovery codes
                </button>
              )
            ))}
        </>
      )}
    </section>
  );
}

function LinkedAccountsSection({ slug, stepUp }: { slug: string; stepUp: StepUp }) {
  const linked = useQuery(MyLinkedAccountsQueryDocument, {});
  const social = useSocialProviders(slug);
  const result = useLinkResult(social.messages, social.providers);
  const [notice, setNotice] = useState('');
  const list = linked.data?.myLinkedAccounts ?? [];
  const t = encodeURIComponent(slug);
  const linkable = social.providers.filter((p) => !list.some((a) => a.provider === p.slug));

  if (social.loaded && social.providers.length === 0 && list.length === 0 && !linked.error) {
    return (
      <section aria-labelledby="linked-title">
        <h2 id="linked-title">Linked accounts</h2>
        <p className="muted">This workspace has no social sign-in providers.</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="linked-title">
      <h2 id="linked-title">Linked accounts</h2>
      <p className="muted">Accounts at other providers you can sign in with.</p>
      <Alert>{linked.error ?? result.error}</Alert>
      <Status>{notice || result.linked}</Status>
      <div className="table-wrap">
        <table>
          <caption>
            {linked.loading && !linked.data
              ? 'Loading linked accounts…'
              : list.length === 0
                ? 'No linked accounts.'
                : `${list.length} linked ${list.length === 1 ? 'account' : 'accounts'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Email there</th>
              <th scope="col">Linked</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <LinkedAccountRow
                key={a.id}
                account={a}
                stepUp={stepUp}
                onUnlinked={async () => {
                  setNotice(`Unlinked your ${a.providerName} account.`);
                  await linked.refetch();
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {linkable.length > 0 && (
        <ul className="inline-list link-providers" aria-label="Link another account">
          {linkable.map((p) => (
            <li key={p.slug}>
              <a className="button" href={socialApi.linkURL(slug, p.slug, `/t/${t}/security?linked=${encodeURIComponent(p.slug)}`)}>
                Link {p.displayName}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function LinkedAccountRow({ account, stepUp, onUnlinked }: { account: LinkedAccount; stepUp: StepUp; onUnlinked: () => Promise<void> }) {
  const run = useApi();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const [quiet, setQuiet] = useState<string>();

  async function unlink() {
    setQuiet(undefined);
    let cancelled: string | undefined;
    const ok = await action.run(async () => {
      try {
        await stepUp.guard(() => run(UnlinkAccountMutation, { id: account.id }));
      } catch (err) {
        cancelled = quietFailure(err);
        if (cancelled === undefined) throw err;
      }
    });
    if (cancelled) setQuiet(cancelled);
    else if (ok) {
      setConfirming(false);
      await onUnlinked();
    }
  }

  return (
    <tr data-linked-id={account.id}>
      <td>{account.providerName}</td>
      <td>{account.email || <span className="muted">—</span>}</td>
      <td>
        <DateTime value={account.createdAt} />
      </td>
      <td>
        <DateTime value={account.lastUsedAt} empty="Never" />
      </td>
      <td>
        {confirming ? (
          <div className="inline confirm" role="group" aria-label={`Confirm unlinking ${account.providerName}`}>
            <span>Unlink {account.providerName}? It can no longer sign you in.</span>
            <button type="button" className="danger" autoFocus onClick={() => void unlink()} disabled={action.busy}>
              {action.busy ? 'Unlinking…' : 'Confirm unlink'}
            </button>
            <button type="button" className="secondary" onClick={() => { setConfirming(false); action.clear(); }} disabled={action.busy}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" className="secondary" aria-label={`Unlink ${account.providerName}`} onClick={() => setConfirming(true)}>
            Unlink
          </button>
        )}
        <Alert>{action.error ?? quiet}</Alert>
      </td>
    </tr>
  );
}
