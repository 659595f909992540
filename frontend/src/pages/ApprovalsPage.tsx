import { useCallback, useEffect, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useQuery } from '../api/hooks';
import { ApprovalCard } from '../approvals/ApprovalCard';
import { ApprovalRequestQuery, ApprovalRequestsQuery, type ApprovalRequest } from '../approvals/api';
import '../approvals/approvals.css';
import { getSession } from '../auth/session';
import { Alert } from '../components/Feedback';
import { useStepUp, type StepUp, type StepUpOptions } from '../signin/useStepUp';
import { canAdminister, useViewer } from '../workspace/viewer';

type Filter = 'pending' | 'all';

/** Approving needs a passkey or the authenticator app: a password is not strong enough. */
const strongStepUp: StepUpOptions = {
  allowed: ['passkey', 'totp'],
  reason: 'Approving needs a fresh confirmation with a passkey or your authenticator app (a password is not enough).',
};

/** How often the inbox looks for new requests by itself. */
const refreshMs = 30_000;

/** Milliseconds since the epoch, every second while active. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/**
 * /w/:slug/approvals: agents' requests for a person's approval (CIBA). Each
 * shows the agent and its chain, whom it acts for, the exact details, the
 * binding message and the expiry; approvers approve (after a passkey or
 * authenticator-app confirmation) or deny with a reason. ?id=apr_… (the
 * link in the approver's email) opens one request first.
 */
export function ApprovalsPage() {
  const { slug = '' } = useParams();
  const [params] = useSearchParams();
  const selectedID = params.get('id') ?? '';
  const viewer = useViewer();
  const session = getSession(slug);
  const email = session?.kind === 'password' ? session.user.email : undefined;
  const stepUp = useStepUp(slug, email, undefined, strongStepUp);
  const [filter, setFilter] = useState<Filter>('pending');
  const list = useQuery(ApprovalRequestsQuery, { status: filter === 'pending' ? 'pending' : null, first: 100 });
  // Decisions made here, shown at once (a pending request stays listed with its new status).
  const [decided, setDecided] = useState<Record<string, ApprovalRequest>>({});
  const latest = useCallback((r: ApprovalRequest) => decided[r.id] ?? r, [decided]);
  const onChanged = useCallback((r: ApprovalRequest) => setDecided((d) => ({ ...d, [r.id]: r })), []);

  const requests = (list.data?.approvalRequests ?? []).map(latest);
  const shown = requests.filter((r) => r.id !== selectedID);
  const now = useNow(true);

  const refetch = list.refetch;
  useEffect(() => {
    const timer = setInterval(() => void refetch(), refreshMs);
    return () => clearInterval(timer);
  }, [refetch]);

  return (
    <section className="page approvals-page" aria-labelledby="approvals-title">
      <div className="page-head">
        <h1 id="approvals-title">Approvals</h1>
        <button type="button" className="secondary" onClick={() => void list.refetch()} disabled={list.loading}>
          {list.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        Agents ask here before anything that needs a person: one exact action (a refund of one invoice), or a
        delegation. {canAdminister(viewer) ? 'As an admin you see every request;' : 'You see the requests made in your name and those you may decide;'}{' '}
        approving needs a passkey or your authenticator app.
      </p>
      {stepUp.prompt}
      {selectedID && <SelectedRequest id={selectedID} stepUp={stepUp} now={now} latest={latest} onChanged={onChanged} />}
      <div className="approval-filter" role="group" aria-label="Show">
        <button type="button" className="secondary" aria-pressed={filter === 'pending'} onClick={() => setFilter('pending')}>
          Pending
        </button>
        <button type="button" className="secondary" aria-pressed={filter === 'all'} onClick={() => setFilter('all')}>
          All
        </button>
      </div>
      <Alert>{list.error}</Alert>
      {!list.data && !list.error && <p className="muted">Loading requests…</p>}
      {list.data && (
        <>
          <h2 className="visually-hidden">{filter === 'pending' ? 'Pending requests' : 'All requests'}</h2>
          {shown.length === 0 ? (
            <p className="muted">
              {filter === 'pending'
                ? requests.length
                  ? 'Nothing else waits for a decision.'
                  : 'Nothing waits for a decision.'
                : 'No approval requests you can see.'}
            </p>
          ) : (
            <div className="approval-list">
              {shown.map((request) => (
                <ApprovalCard key={request.id} request={request} stepUp={stepUp} now={now} onChanged={onChanged} />
              ))}
            </div>
          )}
        </>
      )}
    </section>
  );
}

function SelectedRequest({
  id,
  stepUp,
  now,
  latest,
  onChanged,
}: {
  id: string;
  stepUp: StepUp;
  now: number;
  latest: (r: ApprovalRequest) => ApprovalRequest;
  onChanged: (r: ApprovalRequest) => void;
}) {
  const one = useQuery(ApprovalRequestQuery, { id });
  if (one.error) return <Alert>{one.error}</Alert>;
  if (!one.data) return <p className="muted">Loading the request…</p>;
  const request = one.data.approvalRequest;
  if (!request) {
    return (
      <Alert>
        No approval request <code>{id}</code> that you can see: it may belong to someone else, or the link is wrong.
      </Alert>
    );
  }
  return <ApprovalCard request={latest(request)} selected stepUp={stepUp} now={now} onChanged={onChanged} />;
}
