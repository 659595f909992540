import { useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from '../api/hooks';
import {
  AgentActions,
  AgentOutcomePanel,
  AgentStatusBadge,
  AgentTree,
  CodeList,
  depthLabel,
  type AgentOutcome,
} from '../agents/AgentTree';
import {
  agentForest,
  AgentsQueryDocument,
  count,
  DelegationGrantsQueryDocument,
  descendantsOf,
  findNode,
  mayControl,
} from '../agents/api';
import { AgentKeys } from '../agents/AgentKeys';
import { AgentRecentActions } from '../agents/AgentRecentActions';
import { DelegationGrantsTable } from '../agents/DelegationGrantsTable';
import { tracePath } from '../agents/trace';
import { useMemberEmails } from '../agents/useMemberEmails';
import { DateTime } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { canAdminister, useViewer } from '../workspace/viewer';

/**
 * /w/:slug/agents/:id: one agent, its subagents, the delegation grants
 * people gave it (each of which can be revoked), and its latest actions.
 */
export function AgentPage() {
  const { id = '' } = useParams();
  const viewer = useViewer();
  const base = `/w/${encodeURIComponent(viewer.tenant.slug)}`;
  const agents = useQuery(AgentsQueryDocument, {});
  const grants = useQuery(DelegationGrantsQueryDocument, {});
  const list = agents.data?.agents ?? [];
  const mine = (grants.data?.delegationGrants ?? []).filter((g) => g.agentID === id);
  const node = findNode(agentForest(list), id);
  const below = node ? descendantsOf(node) : [];
  const emails = useMemberEmails([...list.map((a) => a.sponsorID), ...mine.map((g) => g.userID)]);
  const [outcome, setOutcome] = useState<AgentOutcome & { seq: number }>();
  const [notice, setNotice] = useState('');
  const seq = useRef(0);
  const back = (
    <p>
      <Link to={`${base}/agents`}>← All agents</Link>
    </p>
  );

  if (!node) {
    return (
      <section className="page" aria-labelledby="agent-title">
        {back}
        <h1 id="agent-title">Agent</h1>
        <Alert>{agents.error}</Alert>
        {agents.loading && !agents.data ? (
          <p className="muted">Loading…</p>
        ) : (
          !agents.error && <p>There is no agent with this id in the workspace.</p>
        )}
      </section>
    );
  }

  const { agent } = node;
  const parent = list.find((a) => a.id === agent.parentID);

  async function changed(result: AgentOutcome) {
    setNotice('');
    setOutcome({ ...result, seq: ++seq.current });
    // Revoking an agent revokes its grants too.
    await Promise.all([agents.refetch(), grants.refetch()]);
  }

  return (
    <section className="page" aria-labelledby="agent-title">
      {back}
      <div className="agent-head">
        <h1 id="agent-title">{agent.name}</h1>
        <AgentStatusBadge status={agent.status} />
      </div>
      {agent.role && <p className="agent-role">{agent.role}</p>}

      {outcome && (
        <AgentOutcomePanel
          key={outcome.seq}
          outcome={outcome}
          nameOf={(other) => list.find((a) => a.id === other)?.name}
          onDone={() => setOutcome(undefined)}
        />
      )}

      <dl className="facts">
        <div>
          <dt>Client ID</dt>
          <dd>
            <code className="client-id">{agent.clientID}</code>
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{agent.status}</dd>
        </div>
        <div>
          <dt>Sponsor</dt>
          <dd>{emails.label(agent.sponsorID)}</dd>
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
        {parent && (
          <div>
            <dt>Parent</dt>
            <dd>
              <Link to={`${base}/agents/${encodeURIComponent(parent.id)}`}>{parent.name}</Link>
            </dd>
          </div>
        )}
        {agent.parentRun && (
          <div>
            <dt>Registered by run</dt>
            <dd>
              {canAdminister(viewer) ? (
                <Link to={tracePath(base, agent.parentRun)} aria-label={`Trace run ${agent.parentRun}`}>
                  <code>{agent.parentRun}</code>
                </Link>
              ) : (
                <code>{agent.parentRun}</code>
              )}
            </dd>
          </div>
        )}
        <div>
          <dt>Registered</dt>
          <dd>
            <DateTime value={agent.createdAt} />
          </dd>
        </div>
      </dl>
      {mayControl(viewer, agent) && <AgentActions node={node} onChanged={changed} />}
      {emails.error && <Alert>{`Members could not be looked up: ${emails.error}`}</Alert>}

      <section aria-labelledby="subagents-title">
        <h2 id="subagents-title">Subagents</h2>
        {node.children.length === 0 ? (
          <p className="muted">No subagents.</p>
        ) : (
          <>
            <p className="muted">{count(below.length, 'subagent')} below {agent.name}.</p>
            <AgentTree
              nodes={node.children}
              label={`Subagents of ${agent.name}`}
              base={base}
              viewer={viewer}
              sponsor={emails.label}
              onChanged={changed}
            />
          </>
        )}
      </section>

      {mayControl(viewer, agent) && agent.status !== 'revoked' && <AgentKeys key={agent.id} agent={agent} />}

      <section aria-labelledby="grants-title">
        <h2 id="grants-title">Delegation grants</h2>
        <p className="muted">Authority people gave {agent.name} to act for them: which scopes, until when.</p>
        <Status>{notice}</Status>
        <Alert>{grants.error}</Alert>
        <DelegationGrantsTable
          grants={mine}
          caption={
            grants.loading && !grants.data
              ? 'Loading grants…'
              : mine.length === 0
                ? `Nobody has given ${agent.name} a grant you can see.`
                : count(mine.length, 'grant')
          }
          partyHeader="Person"
          party={(g) => emails.label(g.userID)}
          question={(person) => `Revoke the grant ${person} gave ${agent.name}? Its tokens acting for them stop working at once.`}
          onRevoked={async (_grant, person) => {
            setNotice(`Revoked the grant ${person} gave ${agent.name}.`);
            await grants.refetch();
          }}
          onNarrowed={async (_grant, person) => {
            setNotice(`Narrowed the grant ${person} gave ${agent.name}.`);
            await grants.refetch();
          }}
        />
      </section>

      <AgentRecentActions agent={agent} base={base} mayReadAudit={canAdminister(viewer)} />
    </section>
  );
}
