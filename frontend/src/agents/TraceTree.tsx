import { Link } from 'react-router';
import { DateTime } from '../components/DateTime';
import { CodeList } from './AgentTree';
import { isFetched, tracePath, type TraceAction, type TraceNode } from './trace';

interface TraceTreeProps {
  nodes: readonly TraceNode[];
  /** Names the list for assistive technology ("Trace of run-1", "Runs below run-1"). */
  label: string;
  base: string;
  /** The heading level of the top nodes; deeper ones go one level down, to h6. */
  level?: number;
}

/**
 * Runs as nested lists, as the agents tree is: a run its agent started sits
 * inside the item of the run that started it.
 */
export function TraceTree({ nodes, label, base, level = 2 }: TraceTreeProps) {
  return (
    <ul className="agent-tree trace-tree" aria-label={label}>
      {nodes.map((node) => (
        <TraceItem key={node.run} node={node} base={base} level={level} />
      ))}
    </ul>
  );
}

/** The approval state as a word in a badge: none, approved or denied. */
export function ApprovalBadge({ approval }: { approval: string }) {
  return <span className={`badge approval approval-${approval}`}>{approval}</span>;
}

function TraceItem({ node, base, level }: { node: TraceNode; base: string; level: number }) {
  const headingId = `run-${node.run}-title`;
  const Heading = `h${Math.min(level, 6)}` as 'h2';
  const children = node.children ?? [];
  const fetched = children.filter(isFetched);
  const beyond = children.filter((child) => !isFetched(child));
  // Who ran it when it was no agent: the client its tokens went to.
  const client = node.actions.find((a) => a.clientID)?.clientID;
  return (
    <li>
      <article className="card agent-node trace-node" aria-labelledby={headingId} data-run={node.run}>
        <div className="agent-head">
          <Heading id={headingId} className="agent-name">
            Run <code>{node.run}</code>
          </Heading>
          <ApprovalBadge approval={node.approval} />
        </div>
        <dl className="facts agent-facts">
          <div>
            <dt>Agent</dt>
            <dd>
              {node.agent ? (
                <>
                  <Link to={`${base}/agents/${encodeURIComponent(node.agent.id)}`}>{node.agent.name}</Link>
                  {node.agent.role && <span className="agent-role"> · {node.agent.role}</span>}
                </>
              ) : (
                <span className="muted">{client ? `No agent: the application ${client}` : 'No agent'}</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Tools</dt>
            <dd>{node.agent ? <CodeList items={node.agent.tools} empty="None" /> : <span className="muted">—</span>}</dd>
          </div>
          <div>
            <dt>Scope</dt>
            <dd>
              <CodeList items={node.scope} />
            </dd>
          </div>
          <div>
            <dt>Approval</dt>
            <dd>{node.approval}</dd>
          </div>
          {node.parentRun && (
            <div>
              <dt>Started by run</dt>
              <dd>
                <Link to={tracePath(base, node.parentRun)}>
                  <code>{node.parentRun}</code>
                </Link>
              </dd>
            </div>
          )}
        </dl>
        <TraceActions run={node.run} actions={node.actions} />
        {beyond.length > 0 && (
          <p className="muted trace-beyond">
            Runs further down, not shown here:{' '}
            {beyond.map((child, i) => (
              <span key={child.run}>
                {i > 0 && ', '}
                <Link to={tracePath(base, child.run)} aria-label={`Trace run ${child.run}`}>
                  <code>{child.run}</code>
                </Link>
              </span>
            ))}
          </p>
        )}
      </article>
      {fetched.length > 0 && <TraceTree nodes={fetched} label={`Runs below ${node.run}`} base={base} level={level + 1} />}
    </li>
  );
}

function TraceActions({ run, actions }: { run: string; actions: readonly TraceAction[] }) {
  if (actions.length === 0) return <p className="muted">No actions recorded.</p>;
  return (
    <div className="table-wrap">
      <table className="trace-actions">
        <caption className="visually-hidden">Actions of run {run}, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Actor</th>
          </tr>
        </thead>
        <tbody>
          {actions.map((action) => (
            <tr key={action.id} data-action={action.action}>
              <td>
                <DateTime value={action.occurredAt} seconds />
              </td>
              <td>
                <code>{action.action}</code>
              </td>
              <td>
                <span className={`outcome outcome-${action.outcome}`}>{action.outcome}</span>
              </td>
              <td>{action.actorLabel || action.actorID || <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
