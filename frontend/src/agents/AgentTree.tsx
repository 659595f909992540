import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { errorMessage, useApi } from '../api/hooks';
import { Alert } from '../components/Feedback';
import { ResultPanel } from '../components/ResultPanel';
import {
  descendantsOf,
  mayControl,
  ResumeAgentMutation,
  RevokeAgentMutation,
  SuspendAgentMutation,
  type Agent,
  type AgentNode,
  type ChangedAgent,
} from './api';
import type { Viewer } from '../workspace/viewer';

export type AgentAction = 'suspend' | 'resume' | 'revoke';

/** What a status change did: the agent acted on, and every agent it changed. */
export interface AgentOutcome {
  action: AgentAction;
  agent: Pick<Agent, 'id' | 'name'>;
  changed: ChangedAgent[];
}

/** The status as a word in a badge, coloured too (never by colour alone). */
export function AgentStatusBadge({ status }: { status: string }) {
  return <span className={`badge agent-status agent-status-${status}`}>{status}</span>;
}

/** A list of scope names or tools as code, or a dash for none. */
export function CodeList({ items, empty = '—' }: { items: readonly string[]; empty?: string }) {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="plain inline-list">
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

export function depthLabel(depth: number): string {
  return depth === 0 ? '0 (top-level)' : String(depth);
}

interface TreeProps {
  nodes: readonly AgentNode[];
  base: string;
  viewer: Viewer;
  sponsor: (userID: string) => string;
  onChanged: (outcome: AgentOutcome) => Promise<void>;
  /** The heading level of the top nodes; deeper ones go one level down, to h6. */
  level?: number;
  /** Names the list for assistive technology ("Agents", "Subagents of Planner"). */
  label: string;
}

/**
 * Agents as nested lists: a subagent sits inside its parent's list item,
 * indented, so the tree reads the same seen or heard ("list, 2 items,
 * level 2").
 */
export function AgentTree({ nodes, label, level = 3, ...rest }: TreeProps) {
  return (
    <ul className="agent-tree" aria-label={label}>
      {nodes.map((node) => (
        <AgentTreeItem key={node.agent.id} node={node} level={level} {...rest} />
      ))}
    </ul>
  );
}

function AgentTreeItem({ node, level, base, viewer, sponsor, onChanged }: Omit<TreeProps, 'nodes' | 'label'> & { node: AgentNode; level: number }) {
  const { agent } = node;
  const headingId = `agent-${agent.id}-name`;
  const Heading = `h${Math.min(level, 6)}` as 'h3';
  return (
    <li>
      <article className={`card agent-node agent-node-${agent.status}`} aria-labelledby={headingId} data-agent-id={agent.id}>
        <div className="agent-head">
          <Heading id={headingId} className="agent-name">
            <Link to={`${base}/agents/${encodeURIComponent(agent.id)}`}>{agent.name}</Link>
          </Heading>
          <AgentStatusBadge status={agent.status} />
          {agent.role && <span className="agent-role">{agent.role}</span>}
        </div>
        <dl className="facts agent-facts">
          <div>
            <dt>Sponsor</dt>
            <dd>{sponsor(agent.sponsorID)}</dd>
          </div>
          <div>
            <dt>Scope ceiling</dt>
            <dd>
              <CodeList items={agent.scopeCeiling} />
            </dd>
          </div>
          <div>
            <dt>Tools</dt>
            <dd>
              <CodeList items={agent.tools} empty="None" />
            </dd>
          </div>
          <div>
            <dt>Depth</dt>
            <dd>{depthLabel(agent.depth)}</dd>
          </div>
        </dl>
        {mayControl(viewer, agent) && <AgentActions node={node} onChanged={onChanged} />}
      </article>
      {node.children.length > 0 && (
        <AgentTree
          nodes={node.children}
          label={`Subagents of ${agent.name}`}
          level={level + 1}
          base={base}
          viewer={viewer}
          sponsor={sponsor}
          onChanged={onChanged}
        />
      )}
    </li>
  );
}

/** "Planner", "Planner and its subagent", "Planner and its 3 subagents". */
function withSubagents(name: string, n: number, kind = ''): string {
  if (n === 0) return name;
  return `${name} and its ${n === 1 ? `${kind}subagent` : `${n} ${kind}subagents`}`;
}

const actions: Record<
  AgentAction,
  {
    label: string;
    button: string;
    question: (agent: Agent, below: Agent[]) => string;
    className?: string;
  }
> = {
  suspend: {
    label: 'Suspend',
    button: 'Confirm suspend',
    className: 'secondary danger-text',
    question: (agent, below) => {
      const n = below.filter((a) => a.status === 'active').length;
      return `Suspend ${withSubagents(agent.name, n)}? ${n ? 'Their' : 'Its'} tokens stop working at once, until resumed.`;
    },
  },
  resume: {
    label: 'Resume',
    button: 'Confirm resume',
    question: (agent, below) => {
      const n = below.filter((a) => a.status === 'suspended').length;
      return `Resume ${withSubagents(agent.name, n, 'suspended ')}? ${n ? 'They' : 'It'} can get tokens again.`;
    },
  },
  revoke: {
    label: 'Revoke',
    button: 'Confirm revoke',
    className: 'secondary danger-text',
    question: (agent, below) => {
      const n = below.filter((a) => a.status !== 'revoked').length;
      return `Revoke ${withSubagents(agent.name, n)} for good? ${n ? 'Their' : 'Its'} tokens and delegation grants end. This cannot be undone: a revoked agent cannot be resumed.`;
    },
  },
};

/** Suspend, resume and revoke, each after an inline confirmation naming what it will reach. */
export function AgentActions({ node, onChanged }: { node: AgentNode; onChanged: (outcome: AgentOutcome) => Promise<void> }) {
  const run = useApi();
  const { agent } = node;
  const [confirming, setConfirming] = useState<AgentAction | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openers = useRef<Partial<Record<AgentAction, HTMLButtonElement | null>>>({});
  const below = descendantsOf(node);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  if (agent.status === 'revoked') {
    return <p className="muted agent-final">Revoked: this is final.</p>;
  }

  async function confirm(action: AgentAction) {
    setBusy(true);
    setError(undefined);
    try {
      const variables = { id: agent.id };
      const changed =
        action === 'suspend'
          ? (await run(SuspendAgentMutation, variables)).suspendAgent
          : action === 'resume'
            ? (await run(ResumeAgentMutation, variables)).resumeAgent
            : (await run(RevokeAgentMutation, variables)).revokeAgent;
      setConfirming(null);
      await onChanged({ action, agent: { id: agent.id, name: agent.name }, changed });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function cancel() {
    const which = confirming;
    setConfirming(null);
    setError(undefined);
    setTimeout(() => which && openers.current[which]?.focus());
  }

  const opener = (action: AgentAction) => (
    <button
      key={action}
      ref={(el) => {
        openers.current[action] = el;
      }}
      type="button"
      className={actions[action].className ?? 'secondary'}
      aria-label={`${actions[action].label} ${agent.name}`}
      onClick={() => setConfirming(action)}
      disabled={busy}
    >
      {actions[action].label}
    </button>
  );

  const available: AgentAction[] = agent.status === 'suspended' ? ['resume', 'revoke'] : ['suspend', 'revoke'];
  return (
    <div className="agent-actions">
      {confirming ? (
        <div className="inline confirm" role="group" aria-label={`Confirm: ${actions[confirming].question(agent, below)}`}>
          <span>{actions[confirming].question(agent, below)}</span>
          <button
            ref={confirmRef}
            type="button"
            className={confirming === 'resume' ? undefined : 'danger'}
            onClick={() => void confirm(confirming)}
            disabled={busy}
          >
            {busy ? 'Working…' : actions[confirming].button}
          </button>
          <button type="button" className="secondary" onClick={cancel} disabled={busy}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="inline row-actions">{available.map(opener)}</div>
      )}
      <Alert>{error}</Alert>
    </div>
  );
}

const outcomeText: Record<AgentAction, { title: string; changed: (n: number) => string; none: string }> = {
  suspend: {
    title: 'Suspended',
    changed: (n) =>
      n === 1
        ? '1 agent suspended: its tokens stopped working at once, and it gets none until resumed.'
        : `${n} agents suspended: their tokens stopped working at once, and they get none until resumed.`,
    none: 'Nothing changed: it and its subagents were already suspended or revoked.',
  },
  resume: {
    title: 'Resumed',
    changed: (n) => (n === 1 ? '1 agent active again: it can get tokens again.' : `${n} agents active again: they can get tokens again.`),
    none: 'Nothing changed: it was already active.',
  },
  revoke: {
    title: 'Revoked',
    changed: (n) =>
      n === 1 ? '1 agent revoked for good, with its delegation grants:' : `${n} agents revoked for good, with their delegation grants:`,
    none: 'Nothing changed.',
  },
};

/** Every agent a suspend, resume or revoke reached: the agent and its subagents. */
export function AgentOutcomePanel({
  outcome,
  nameOf,
  onDone,
}: {
  outcome: AgentOutcome;
  /** An agent's name by id, for "subagent of …". */
  nameOf: (id: string) => string | undefined;
  onDone: () => void;
}) {
  const text = outcomeText[outcome.action];
  const names = new Map(outcome.changed.map((a) => [a.id, a.name]));
  const parentName = (a: ChangedAgent): ReactNode => {
    if (!a.parentID || a.parentID === '0') return null;
    const name = names.get(a.parentID) ?? nameOf(a.parentID);
    return name ? <span className="muted"> (subagent of {name})</span> : null;
  };
  return (
    <ResultPanel title={`${text.title} “${outcome.agent.name}”`} onDone={onDone}>
      <p>{outcome.changed.length ? text.changed(outcome.changed.length) : text.none}</p>
      {outcome.changed.length > 0 && (
        <ul className="affected-agents" aria-label="Affected agents">
          {outcome.changed.map((a) => (
            <li key={a.id}>
              <strong>{a.name}</strong> <AgentStatusBadge status={a.status} />
              {a.id !== outcome.agent.id && parentName(a)}
            </li>
          ))}
        </ul>
      )}
    </ResultPanel>
  );
}
