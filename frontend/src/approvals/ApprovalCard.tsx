import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useApi, useAction } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { TextAreaField } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { describeAMR } from '../pages/SecurityPage';
import type { StepUp } from '../signin/useStepUp';
import { ApproveMutation, DenyMutation, type ApprovalRequest } from './api';
import { AuthorizationDetails } from './AuthorizationDetails';
import { countdown, visibleText } from './details';

const statusWords: Record<string, string> = {
  pending: 'Waiting for a decision',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  issued: 'Approved; the agent has its token',
  used: 'Approved; its single-use token was spent',
};

export function statusText(status: string): string {
  return statusWords[status] ?? status;
}

/** Who may decide, in words. */
export function approverText(role: string, userEmail: string): string {
  switch (role) {
    case '':
      return `The person it acts for (${userEmail})`;
    case 'member':
      return 'Any member';
    case 'admin':
      return 'Any admin or owner';
    case 'owner':
      return 'An owner';
    default:
      return `Members with the role ${role} or above`;
  }
}

/** "scope:refunds:execute" → "the scope refunds:execute"; "type:refund" → "details of type refund". */
export function requirementText(entry: string): string {
  if (entry.startsWith('scope:')) return `the scope ${entry.slice('scope:'.length)}`;
  if (entry.startsWith('type:')) return `details of type ${entry.slice('type:'.length)}`;
  return entry;
}

interface ApprovalCardProps {
  request: ApprovalRequest;
  /** Opened from the email's link: highlighted and scrolled to. */
  selected?: boolean;
  /** The page's step-up (passkey or authenticator app only). */
  stepUp: StepUp;
  /** Milliseconds since the epoch, ticking, for the countdown. */
  now: number;
  onChanged: (request: ApprovalRequest) => void;
}

/** One approval request: everything an approver must see, and Approve / Deny when they may decide. */
export function ApprovalCard({ request, selected = false, stepUp, now, onChanged }: ApprovalCardProps) {
  const run = useApi();
  const action = useAction();
  const [denying, setDenying] = useState(false);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState('');
  const ref = useRef<HTMLElement>(null);
  const titleId = useId();
  const pending = request.status === 'pending';

  useEffect(() => {
    if (selected) ref.current?.scrollIntoView?.({ block: 'start' });
  }, [selected]);

  async function approve() {
    setDone('');
    await action.run(async () => {
      const { approve } = await stepUp.guard(() => run(ApproveMutation, { id: request.id }));
      onChanged(approve);
      setDone('Approved. The agent can now get a token for exactly this, once.');
    });
  }

  async function deny(event: FormEvent) {
    event.preventDefault();
    setDone('');
    await action.run(async () => {
      const { deny } = await run(DenyMutation, { id: request.id, reason: reason.trim() || null });
      onChanged(deny);
      setDenying(false);
      setReason('');
      setDone('Denied. The agent is told its request was refused.');
    });
  }

  const remaining = countdown(request.expiresAt, now);
  return (
    <article
      ref={ref}
      className={`card approval${selected ? ' approval-selected' : ''}`}
      aria-labelledby={titleId}
      aria-current={selected ? 'true' : undefined}
      data-approval-id={request.id}
    >
      <header className="approval-head">
        <h3 id={titleId}>
          {request.agentName || request.clientID}{' '}
          {request.kind === 'grant' ? 'asks for a delegation' : 'asks to act'}
          <span className="visually-hidden"> ({request.id})</span>
        </h3>
        <span className={`badge approval-status approval-status-${request.status}`}>{statusText(request.status)}</span>
        {selected && <span className="badge">From your email</span>}
      </header>
      <p className="approval-summary">{visibleText(request.summary)}</p>
      <dl className="facts approval-facts">
        <div>
          <dt>Request</dt>
          <dd>
            <code>{request.id}</code>
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>
            {request.agentName} <code className="client-id">{request.clientID}</code>
          </dd>
        </div>
        <div>
          <dt>Chain (the agent, then each parent)</dt>
          <dd>
            <ol className="agent-chain" aria-label="Agent chain">
              {request.agentChain.map((clientID, i) => (
                <li key={`${i}-${clientID}`}>
                  <code>{clientID}</code>
                </li>
              ))}
            </ol>
          </dd>
        </div>
        <div>
          <dt>Acts for</dt>
          <dd>{request.userEmail}</dd>
        </div>
        <div>
          <dt>Grant</dt>
          <dd>{request.grantID ? <code>{request.grantID}</code> : 'None'}</dd>
        </div>
        <div>
          <dt>Scopes</dt>
          <dd>
            {request.scopes.length === 0
              ? '—'
              : request.scopes.map((scope) => (
                  <code key={scope} className="scope-chip">
                    {scope}
                  </code>
                ))}
          </dd>
        </div>
        <div>
          <dt>Needs approval for</dt>
          <dd>{request.requires.length ? request.requires.map(requirementText).join(', ') : '—'}</dd>
        </div>
        <div>
          <dt>Who decides</dt>
          <dd>{approverText(request.approverRole, request.userEmail)}</dd>
        </div>
        <div>
          <dt>Binding message</dt>
          <dd>{request.bindingMessage ? <q className="binding-message">{visibleText(request.bindingMessage)}</q> : '—'}</dd>
        </div>
        {request.run && (
          <div>
            <dt>Run</dt>
            <dd>
              <code>{request.run}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Asked</dt>
          <dd>
            <DateTime value={request.createdAt} seconds />
          </dd>
        </div>
        <div>
          <dt>{pending ? 'Expires' : 'Expiry'}</dt>
          <dd>
            {pending && remaining && <span className="countdown">{remaining} · </span>}
            <DateTime value={request.expiresAt} seconds />
          </dd>
        </div>
        {request.decidedAt && (
          <div>
            <dt>{request.status === 'denied' ? 'Denied by' : 'Approved by'}</dt>
            <dd>
              {request.decidedByEmail ?? 'someone no longer here'}, <DateTime value={request.decidedAt} seconds />
              {request.status !== 'denied' && request.decidedAmr.length > 0 && (
                <>
                  {' '}
                  with {describeAMR(request.decidedAmr)} (<code>{request.decidedAmr.join(' ')}</code>)
                </>
              )}
            </dd>
          </div>
        )}
        {request.denyReason && (
          <div>
            <dt>Reason</dt>
            <dd>{visibleText(request.denyReason)}</dd>
          </div>
        )}
        {request.usedAt && (
          <div>
            <dt>Token spent</dt>
            <dd>
              <DateTime value={request.usedAt} seconds />
            </dd>
          </div>
        )}
      </dl>
      {request.authorizationDetails != null && <AuthorizationDetails text={request.authorizationDetails} />}
      <Alert>{action.error}</Alert>
      <Status>{done}</Status>
      {request.canDecide && !denying && (
        <div className="actions">
          <button type="button" onClick={() => void approve()} disabled={action.busy}>
            {action.busy ? 'Approving…' : 'Approve'}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              action.clear();
              setDenying(true);
            }}
            disabled={action.busy}
          >
            Deny
          </button>
        </div>
      )}
      {request.canDecide && denying && (
        <form onSubmit={deny} aria-label={`Deny request ${request.id}`} className="deny-form">
          <TextAreaField
            label="Reason (optional)"
            hint="Shown to the agent's owners and kept in the audit log."
            maxLength={500}
            rows={2}
            autoFocus
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="danger" disabled={action.busy}>
              {action.busy ? 'Denying…' : 'Deny request'}
            </button>
            <button type="button" className="secondary" onClick={() => setDenying(false)} disabled={action.busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </article>
  );
}
