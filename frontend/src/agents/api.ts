// The dashboard's GraphQL documents for agents and the delegation grants
// people give them (graph/agents.graphqls), and what the pages share about
// them: the fleet as a tree, who may act on an agent, a grant's state.
import { graphql } from '../gql';
import type { AgentsQuery, DelegationGrantsQuery } from '../gql/graphql';
import type { Viewer } from '../workspace/viewer';

export const AgentsQueryDocument = graphql(`
  query Agents {
    agents {
      id
      clientID
      name
      role
      sponsorID
      status
      scopeCeiling
      tools
      depth
      parentID
      parentRun
      createdAt
    }
  }
`);

export const DelegationGrantsQueryDocument = graphql(`
  query DelegationGrants {
    delegationGrants {
      id
      userID
      agentID
      scopes
      expiresAt
      status
      revokedAt
      createdAt
    }
  }
`);

/** Emails of the members with these user ids (sponsors, people who gave grants). */
export const MemberEmailsQueryDocument = graphql(`
  query MemberEmails($userIDs: [ID!]!) {
    members(first: 500, where: { userIDIn: $userIDs }) {
      edges {
        node {
          id
          userID
          user {
            id
            email
          }
        }
      }
    }
  }
`);

export const CreateAgentMutation = graphql(`
  mutation CreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      clientID
      agent {
        id
        name
        status
      }
    }
  }
`);

export const SuspendAgentMutation = graphql(`
  mutation SuspendAgent($id: ID!) {
    suspendAgent(id: $id) {
      id
      name
      status
      depth
      parentID
    }
  }
`);

export const ResumeAgentMutation = graphql(`
  mutation ResumeAgent($id: ID!) {
    resumeAgent(id: $id) {
      id
      name
      status
      depth
      parentID
    }
  }
`);

export const RevokeAgentMutation = graphql(`
  mutation RevokeAgent($id: ID!) {
    revokeAgent(id: $id) {
      id
      name
      status
      depth
      parentID
    }
  }
`);

export const RevokeDelegationGrantMutation = graphql(`
  mutation RevokeDelegationGrant($id: ID!) {
    revokeDelegationGrant(id: $id) {
      id
      status
      revokedAt
    }
  }
`);

/**
 * Narrows a grant: fewer scopes and/or an earlier expiry (graph/agents.graphqls).
 * Leave out what does not change; the server refuses anything that widens.
 */
export const NarrowDelegationGrantMutation = graphql(`
  mutation NarrowDelegationGrant($id: ID!, $scopes: [String!], $expiresAt: Time) {
    narrowDelegationGrant(id: $id, scopes: $scopes, expiresAt: $expiresAt) {
      id
      scopes
      expiresAt
      status
    }
  }
`);

/** Replaces the agent's public keys (its private keys never reach the server). */
export const SetAgentKeysMutation = graphql(`
  mutation SetAgentKeys($id: ID!, $jwks: String) {
    setAgentKeys(id: $id, jwks: $jwks) {
      id
      name
    }
  }
`);

export type Agent = AgentsQuery['agents'][number];
export type DelegationGrant = DelegationGrantsQuery['delegationGrants'][number];
/** An agent a status change touched, as the mutations return it. */
export type ChangedAgent = Pick<Agent, 'id' | 'name' | 'status' | 'depth' | 'parentID'>;

export interface AgentNode {
  agent: Agent;
  children: AgentNode[];
}

/** The server's "no parent": null, or 0 for a top-level agent. */
function isTopLevel(parentID: string | null | undefined): boolean {
  return !parentID || parentID === '0';
}

/**
 * The agents as a forest: top-level agents (and any whose parent is not in
 * the list) at the root, each agent under its parent, in the list's order.
 */
export function agentForest(agents: readonly Agent[]): AgentNode[] {
  const nodes = new Map(agents.map((agent) => [agent.id, { agent, children: [] as AgentNode[] }]));
  const roots: AgentNode[] = [];
  for (const node of nodes.values()) {
    const parent = isTopLevel(node.agent.parentID) ? undefined : nodes.get(node.agent.parentID!);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Every agent below node, depth first. */
export function descendantsOf(node: AgentNode): Agent[] {
  return node.children.flatMap((child) => [child.agent, ...descendantsOf(child)]);
}

/** The node of the agent with this id, wherever it is in the forest. */
export function findNode(forest: readonly AgentNode[], id: string): AgentNode | undefined {
  for (const node of forest) {
    if (node.agent.id === id) return node;
    const found = findNode(node.children, id);
    if (found) return found;
  }
  return undefined;
}

/** What the server allows (agents/registry mayControl): admins, and the agent's sponsor. */
export function mayControl(viewer: Viewer, agent: Pick<Agent, 'sponsorID'>): boolean {
  if (viewer.kind === 'agent') return false;
  if (viewer.role === 'owner' || viewer.role === 'admin') return true;
  return viewer.kind === 'human' && viewer.id === agent.sponsorID;
}

/** active, expired (still active in name, but it gives nothing) or revoked. */
export function grantState(grant: Pick<DelegationGrant, 'status' | 'expiresAt'>, now: number): string {
  if (grant.status !== 'active') return grant.status;
  return new Date(grant.expiresAt).getTime() <= now ? 'expired' : 'active';
}

/** What narrowing a grant sends: only what changes. */
export interface Narrowing {
  scopes?: string[];
  expiresAt?: string;
}

/**
 * Checks a narrowing of grant as the server will (agents/delegation Narrow):
 * keep a non-empty subset of its scopes, and an expiry in the future no
 * later than the current one. Returns every problem, and what to send
 * (only what changed) when there are none. expiresAt is an RFC 3339 time or
 * undefined for "unchanged".
 */
export function checkNarrowing(
  grant: Pick<DelegationGrant, 'scopes' | 'expiresAt'>,
  keep: readonly string[],
  expiresAt: string | undefined,
  now: number,
): { problems: string[]; narrowing?: Narrowing } {
  const problems: string[] = [];
  const kept = grant.scopes.filter((scope) => keep.includes(scope));
  if (kept.length === 0) problems.push('Keep at least one scope. To take them all back, revoke the grant instead.');
  if (expiresAt !== undefined) {
    const at = new Date(expiresAt).getTime();
    if (Number.isNaN(at)) problems.push('The new expiry is not a valid date.');
    else if (at <= now) problems.push('The new expiry must be in the future. To end the grant now, revoke it.');
    else if (at > new Date(grant.expiresAt).getTime())
      problems.push('The new expiry cannot be later than the current one: a grant can only be narrowed.');
  }
  if (problems.length) return { problems };
  const narrowing: Narrowing = {};
  if (kept.length < grant.scopes.length) narrowing.scopes = kept;
  if (expiresAt !== undefined) narrowing.expiresAt = expiresAt;
  if (!narrowing.scopes && !narrowing.expiresAt) return { problems: ['Nothing to narrow: untick a scope or pick an earlier expiry.'] };
  return { problems, narrowing };
}

/** An RFC 3339 time as an <input type="datetime-local"> value (local time, to the minute). */
export function isoToLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The distinct ids, sorted, so a query keyed on them does not run again for the same set. */
export function distinctIDs(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(Boolean))].sort();
}

/** "1 subagent", "3 subagents". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
