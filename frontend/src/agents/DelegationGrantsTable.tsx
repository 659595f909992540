import { useEffect, useRef, useState } from 'react';
import { useAction, useApi } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert } from '../components/Feedback';
import { grantState, RevokeDelegationGrantMutation, type DelegationGrant } from './api';
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
}

/**
 * Delegation grants with their scopes, expiry and state; an active one can
 * be revoked after confirming. Whether the viewer may is the server's call:
 * it lists only grants the viewer gave, sponsors or administers.
 */
export function DelegationGrantsTable({ grants, caption, partyHeader, party, question, onRevoked }: GrantsTableProps) {
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
}: {
  grant: DelegationGrant;
  party: string;
  state: string;
  question: (party: string) => string;
  onRevoked: (grant: DelegationGrant, party: string) => Promise<void>;
}) {
  const run = useApi();
  const revoke = useAction();
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
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
          <button ref={openRef} type="button" className="secondary" aria-label={`Revoke ${party}`} onClick={() => setConfirming(true)}>
            Revoke
          </button>
        )}
        <Alert>{revoke.error}</Alert>
      </td>
    </tr>
  );
}
