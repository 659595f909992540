import { useId } from 'react';
import { Link } from 'react-router';
import { useQuery } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert } from '../components/Feedback';
import { AuditEventsQueryDocument } from '../pages/AuditPage';
import { CodeList } from './AgentTree';
import { tracePath } from './trace';

/** How many of an agent's latest audit events its page shows. */
export const recentActionsShown = 20;

interface AgentRecentActionsProps {
  agent: { name: string; clientID: string };
  base: string;
  /** Only admins may read the audit log; others get a note and no query. */
  mayReadAudit: boolean;
}

/**
 * The agent's latest audit events (those its client did), newest first,
 * read through the same auditEvents query as the audit log page.
 */
export function AgentRecentActions({ agent, base, mayReadAudit }: AgentRecentActionsProps) {
  const titleId = useId();
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>Recent actions</h2>
      {mayReadAudit ? (
        <RecentActionsTable agent={agent} base={base} />
      ) : (
        <p className="muted">Only workspace admins can read the audit log, so {agent.name}’s actions are not shown.</p>
      )}
    </section>
  );
}

function RecentActionsTable({ agent, base }: Omit<AgentRecentActionsProps, 'mayReadAudit'>) {
  const events = useQuery(AuditEventsQueryDocument, { first: recentActionsShown, where: { clientID: agent.clientID } });
  const nodes = (events.data?.auditEvents.edges ?? []).flatMap((edge) => (edge?.node ? [edge.node] : []));
  const total = events.data?.auditEvents.totalCount ?? 0;
  return (
    <>
      <Alert>{events.error}</Alert>
      <div className="table-wrap">
        <table className="audit">
          <caption>
            {events.loading && !events.data
              ? 'Loading actions…'
              : nodes.length === 0
                ? `No actions recorded for ${agent.name}.`
                : total > nodes.length
                  ? `The latest ${nodes.length} of ${total} actions, newest first`
                  : `${total} ${total === 1 ? 'action' : 'actions'}, newest first`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Run</th>
              <th scope="col">Scope</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((event) => (
              <tr key={event.id} data-action={event.action}>
                <td>
                  <DateTime value={event.occurredAt} seconds />
                </td>
                <td>
                  <code>{event.action}</code>
                </td>
                <td>
                  <span className={`outcome outcome-${event.outcome}`}>{event.outcome}</span>
                </td>
                <td>{event.actorLabel || event.actorID || <span className="muted">—</span>}</td>
                <td>
                  {event.runID ? (
                    <Link to={tracePath(base, event.runID)} aria-label={`Trace run ${event.runID}`}>
                      <code>{event.runID}</code>
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  <CodeList items={event.scope ?? []} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
