import { useState, type FormEvent } from 'react';
import { usePaginated } from '../api/hooks';
import { DateTime, localInputToISO } from '../components/DateTime';
import { Alert } from '../components/Feedback';
import { graphql } from '../gql';
import type { AuditEventWhereInput, AuditEventsQuery } from '../gql/graphql';

export const AuditEventsQueryDocument = graphql(`
  query AuditEvents($first: Int, $after: Cursor, $where: AuditEventWhereInput) {
    auditEvents(first: $first, after: $after, where: $where, orderBy: { field: SEQ, direction: DESC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          seq
          occurredAt
          actorType
          actorID
          actorLabel
          agentID
          agentChain
          clientID
          runID
          grantID
          credentialType
          credentialID
          approvalRequired
          approvalID
          scope
          action
          targetType
          targetID
          outcome
          details
          ip
          userAgent
        }
      }
    }
  }
`);

type AuditEvent = NonNullable<NonNullable<NonNullable<AuditEventsQuery['auditEvents']['edges']>[number]>['node']>;

interface Filters {
  action: string;
  actorID: string;
  agentID: string;
  from: string;
  to: string;
}

const emptyFilters: Filters = { action: '', actorID: '', agentID: '', from: '', to: '' };

/** Turns the filter form into the where-input entgql generated for AuditEvent. */
export function auditWhere(filters: Filters): AuditEventWhereInput {
  const where: AuditEventWhereInput = {};
  const action = filters.action.trim();
  const actorID = filters.actorID.trim();
  const agentID = filters.agentID.trim();
  const from = localInputToISO(filters.from);
  // The picker has minute precision: "to 17:45" includes 17:45:59.999.
  const toMinute = localInputToISO(filters.to);
  const to = toMinute && new Date(new Date(toMinute).getTime() + 59_999).toISOString();
  if (action) where.actionContains = action;
  if (actorID) where.actorID = actorID;
  if (agentID) where.agentID = agentID;
  if (from) where.occurredAtGTE = from;
  if (to) where.occurredAtLTE = to;
  return where;
}

const selectEvents = (result: AuditEventsQuery) => result.auditEvents;

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(emptyFilters);
  const [variables, setVariables] = useState<{ where: AuditEventWhereInput }>({ where: {} });
  const events = usePaginated(AuditEventsQueryDocument, variables, selectEvents, 50);
  const filtered = Object.keys(variables.where).length > 0;

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setVariables({ where: auditWhere(draft) });
  }

  // The tool gateway's calls and refusals.
  function showGateway() {
    const next = { ...emptyFilters, action: 'gateway.' };
    setDraft(next);
    setVariables({ where: auditWhere(next) });
  }

  function clear() {
    setDraft(emptyFilters);
    setVariables({ where: {} });
  }

  const field = (name: keyof Filters, label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        name={name}
        type={type}
        autoComplete="off"
        spellCheck={false}
        value={draft[name]}
        onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
      />
    </div>
  );

  return (
    <section className="page" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="card form-row" onSubmit={handleSubmit} aria-label="Filter audit events">
        {field('action', 'Action contains')}
        {field('actorID', 'Actor ID')}
        {field('agentID', 'Agent ID')}
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button type="button" className="secondary" onClick={clear}>
            Clear
          </button>
          <button type="button" className="secondary" onClick={showGateway}>
            Gateway calls
          </button>
        </div>
      </form>
      <Alert>{events.error}</Alert>
      <div className="table-wrap">
        <table className="audit">
          <caption>
            {events.loading
              ? 'Loading events…'
              : `${events.totalCount} ${events.totalCount === 1 ? 'event' : 'events'}${filtered ? ' matching the filters' : ''}, newest first`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Seq</th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Agent chain</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {events.nodes.map((event) => (
              <AuditRow key={event.id} event={event} />
            ))}
          </tbody>
        </table>
      </div>
      {events.hasNextPage && (
        <button type="button" className="secondary" onClick={() => void events.loadMore()} disabled={events.loadingMore}>
          {events.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}

/** A readable name for an event's target, from what the server put in its details. */
function targetLabel(event: AuditEvent): string | undefined {
  const details = event.details ?? {};
  return details.email || details.name || details.slug || undefined;
}

function AuditRow({ event }: { event: AuditEvent }) {
  const chain = event.agentChain?.length ? event.agentChain : event.agentID ? [event.agentID] : [];
  // What allowed an agent's action (the grant, the vaulted credential,
  // the approval) first, then the event's own details.
  const authority: [string, string][] = [];
  if (event.grantID) authority.push(['grant', event.grantID]);
  if (event.credentialID) authority.push(['credential', `${event.credentialType || 'credential'} #${event.credentialID}`]);
  if (event.approvalRequired || event.approvalID) {
    authority.push(['approval', event.approvalID || 'required']);
  }
  const details = [
    ...authority,
    ...Object.entries(event.details ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  ];
  return (
    <tr data-action={event.action}>
      <td className="num">{event.seq}</td>
      <td>
        <DateTime value={event.occurredAt} seconds />
      </td>
      <td className="actor">
        <span>{event.actorLabel || event.actorID || '—'}</span>
        {(event.actorID || event.actorType !== event.actorLabel) && (
          <small className="muted">
            {event.actorType}
            {event.actorID && ` · ${event.actorID}`}
          </small>
        )}
      </td>
      <td>{chain.length ? chain.join(' → ') : <span className="muted">—</span>}</td>
      <td>
        <code>{event.action}</code>
        {details.length > 0 && (
          <dl className="details">
            {details.map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        )}
      </td>
      <td className="target">
        {event.targetType || event.targetID ? (
          <>
            {targetLabel(event) && <span>{targetLabel(event)}</span>}
            <small className="muted">
              {event.targetType}
              {event.targetID && ` · ${event.targetID}`}
            </small>
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        <span className={`outcome outcome-${event.outcome}`}>{event.outcome}</span>
      </td>
    </tr>
  );
}
