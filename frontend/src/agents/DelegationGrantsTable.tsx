import { Fragment, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useAction, useApi } from '../api/hooks';
import { Check, toggle } from '../components/Check';
import { DateTime, localInputToISO } from '../components/DateTime';
import { Alert, Problems } from '../components/Feedback';
import {
  checkNarrowing,
  grantState,
  isoToLocalInput,
  NarrowDelegationGrantMutation,
  RevokeDelegationGrantMutation,
  type DelegationGrant,
} from './api';
import { CodeList } from './AgentTree';

interface GrantsTableProps {
  grants: readonly DelegationGrant[];
  caption: string;
  /** The other side of each grant: the agent (for the person) or the person (for the agent). */
  partyHeader: string;
  party: (grant: DelegationGrant) => string;
  /** The confirmation asked before revoking. */
  question: (party: string) => string;
  onRevoked: (grant: DelegationGrant, party: string) => Promise<void>;
  onNarrowed: (grant: DelegationGrant, party: string) => Promise<void>;
}

/**
 * Delegation grants with their scopes, expiry and state; an active one can
 * be narrowed (fewer scopes, an earlier expiry) or revoked after
 * confirming. Whether the viewer may is the server's call: it lists only
 * grants the viewer gave, sponsors or administers.
 */
export function DelegationGrantsTable({ grants, caption, partyHeader, party, question, onRevoked, onNarrowed }: GrantsTableProps) {
  const now = Date.now();
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{partyHeader}</th>
            <th scope="col">Allowed to</th>
            <th scope="col">Given</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {grants.map((grant) => (
            <GrantRow
              key={grant.id}
              grant={grant}
              party={party(grant)}
              state={grantState(grant, now)}
              question={question}
              onRevoked={onRevoked}
              onNarrowed={onNarrowed}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GrantRow({
  grant,
  party,
  state,
  question,
  onRevoked,
  onNarrowed,
}: {
  grant: DelegationGrant;
  party: string;
  state: string;
  question: (party: string) => string;
  onRevoked: (grant: DelegationGrant, party: string) => Promise<void>;
  onNarrowed: (grant: DelegationGrant, party: string) => Promise<void>;
}) {
  const run = useApi();
  const revoke = useAction();
  const [confirming, setConfirming] = useState(false);
  const [narrowing, setNarrowing] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const narrowRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function confirm() {
    const ok = await revoke.run(async () => {
      await run(RevokeDelegationGrantMutation, { id: grant.id });
    });
    if (ok) {
      setConfirming(false);
      await onRevoked(grant, party);
    }
  }

  return (
    <Fragment>
      <tr data-grant-id={grant.id} className={state === 'active' ? undefined : 'revoked'}>
        <td>{party}</td>
        <td>
          <CodeList items={grant.scopes} />
        </td>
        <td>
          <DateTime value={grant.createdAt} />
        </td>
        <td>
          <DateTime value={grant.expiresAt} />
        </td>
        <td>
          <span className={`badge grant-status grant-status-${state}`}>{state}</span>
          {grant.revokedAt && (
            <small className="muted block">
              <DateTime value={grant.revokedAt} />
            </small>
          )}
        </td>
        <td>
          {state !== 'active' ? (
            <span className="muted">—</span>
          ) : confirming ? (
            <div className="inline confirm" role="group" aria-label={`Confirm revoking ${party}`}>
              <span>{question(party)}</span>
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
            <div className="inline">
              <button
                ref={narrowRef}
                type="button"
                className="secondary"
                aria-label={`Narrow ${party}`}
                aria-expanded={narrowing}
                onClick={() => setNarrowing((open) => !open)}
              >
                Narrow
              </button>
              <button
                ref={openRef}
                type="button"
                className="secondary"
                aria-label={`Revoke ${party}`}
                onClick={() => {
                  setNarrowing(false);
                  setConfirming(true);
                }}
              >
                Revoke
              </button>
            </div>
          )}
          <Alert>{revoke.error}</Alert>
        </td>
      </tr>
      {narrowing && state === 'active' && !confirming && (
        <tr className="narrow-grant">
          <td colSpan={6}>
            <NarrowGrantForm
              grant={grant}
              party={party}
              onClose={() => {
                setNarrowing(false);
                setTimeout(() => narrowRef.current?.focus());
              }}
              onNarrowed={async () => {
                setNarrowing(false);
                await onNarrowed(grant, party);
              }}
            />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/**
 * Untick scopes and/or pick an earlier expiry. Checked here as the server
 * checks it, so a mistake is explained before anything is sent; the server
 * has the last word, and its refusal is shown the same way.
 */
function NarrowGrantForm({
  grant,
  party,
  onClose,
  onNarrowed,
}: {
  grant: DelegationGrant;
  party: string;
  onClose: () => void;
  onNarrowed: () => Promise<void>;
}) {
  const run = useApi();
  const save = useAction();
  const id = useId();
  const initialExpiry = isoToLocalInput(grant.expiresAt);
  const [keep, setKeep] = useState<string[]>([...grant.scopes]);
  const [expires, setExpires] = useState(initialExpiry);
  const [problems, setProblems] = useState<string[]>([]);
  const firstRef = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    firstRef.current?.querySelector('input')?.focus();
  }, []);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    save.clear();
    // The field shows minutes: unchanged means the grant's own expiry.
    const expiresAt = expires === initialExpiry ? undefined : (localInputToISO(expires) ?? 'invalid');
    const checked = checkNarrowing(grant, keep, expiresAt, Date.now());
    setProblems(checked.problems);
    if (!checked.narrowing) return;
    const { scopes, expiresAt: at } = checked.narrowing;
    const ok = await save.run(async () => {
      await run(NarrowDelegationGrantMutation, { id: grant.id, scopes: scopes ?? null, expiresAt: at ?? null });
    });
    if (ok) await onNarrowed();
  }

  return (
    <form className="card" onSubmit={handleSubmit} aria-label={`Narrow ${party}`} noValidate>
      <p className="muted form-note" id={`${id}-hint`}>
        A grant can only be narrowed: keep fewer scopes, or end it sooner. Tokens that carry a scope you untick stop
        working at once.
      </p>
      <fieldset className="checks" ref={firstRef} aria-describedby={`${id}-hint`}>
        <legend>Scopes to keep</legend>
        {grant.scopes.map((scope) => (
          <Check
            key={scope}
            id={`${id}-scope-${scope}`}
            label={scope}
            code
            checked={keep.includes(scope)}
            onChange={(on) => setKeep((list) => toggle(list, scope, on))}
          />
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-expires`}>Expires</label>
        <input
          id={`${id}-expires`}
          name="expiresAt"
          type="datetime-local"
          max={initialExpiry}
          aria-describedby={`${id}-expires-hint`}
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
        />
        <small id={`${id}-expires-hint`} className="muted">
          In the future, and no later than the grant’s current expiry.
        </small>
      </div>
      <Problems problems={save.error ? [save.error] : problems} />
      <div className="actions">
        <button type="submit" disabled={save.busy}>
          {save.busy ? 'Narrowing…' : 'Save narrowing'}
        </button>
        <button type="button" className="secondary" disabled={save.busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
