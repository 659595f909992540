// A small agent fleet and its delegation grants, as the server answers
// them, for the agents pages and the account page.
import { acmeOwner, connection, mockServer, viewerHandler } from './server';

export const annID = '8589934593';
export const samID = '8589934594';

export const emails: Record<string, string> = { [annID]: 'ann@acme.test', [samID]: 'sam@acme.test' };

export const catalog = [
  { name: 'openid', description: 'Know who you are (your account identifier)', standard: true },
  { name: 'invoices:read', description: 'Read invoices', standard: false },
  { name: 'invoices:write', description: 'Edit invoices', standard: false },
  { name: 'refunds:preview', description: 'Preview refunds', standard: false },
];

export function agent(overrides: Record<string, unknown>) {
  return {
    id: '101',
    clientID: 'agent-101',
    name: 'Agent',
    role: '',
    sponsorID: annID,
    status: 'active',
    scopeCeiling: ['invoices:read'],
    tools: [],
    depth: 0,
    parentID: '0',
    parentRun: '',
    createdAt: '2026-11-24T12:00:00Z',
    ...overrides,
  };
}

/** Planner → Researcher → Scraper, and a suspended Auditor of its own. */
export function fleet() {
  return [
    agent({
      id: '101',
      clientID: 'planner-id',
      name: 'Planner',
      role: 'Plans the month-end close',
      scopeCeiling: ['invoices:read', 'invoices:write'],
      tools: ['search', 'calendar.read'],
    }),
    agent({ id: '104', clientID: 'auditor-id', name: 'Auditor', sponsorID: samID, status: 'suspended', parentID: null }),
    agent({ id: '102', clientID: 'researcher-id', name: 'Researcher', depth: 1, parentID: '101', tools: ['search'], parentRun: 'run-7' }),
    agent({ id: '103', clientID: 'scraper-id', name: 'Scraper', depth: 2, parentID: '102', tools: ['search'] }),
  ];
}

export function grant(overrides: Record<string, unknown>) {
  return {
    id: '301',
    userID: annID,
    agentID: '102',
    scopes: ['invoices:read'],
    expiresAt: '2099-01-01T00:00:00Z',
    status: 'active',
    revokedAt: null as string | null,
    createdAt: '2026-11-25T09:00:00Z',
    ...overrides,
  };
}

type Agent = ReturnType<typeof agent>;
type Grant = ReturnType<typeof grant>;

/** Answers MemberEmails for the user ids asked about. */
export function memberEmails(v: Record<string, unknown>) {
  const ids = v.userIDs as string[];
  return {
    data: {
      members: {
        edges: ids
          .filter((id) => emails[id])
          .map((id) => ({ node: { id: `m${id}`, userID: id, user: { id, email: emails[id] } } })),
      },
    },
  };
}

/**
 * The workspace with a mutable fleet and grants: handlers may change them,
 * and the next query sees the change.
 */
export function agentsServer(
  state: { agents: Agent[]; grants?: Grant[] },
  handlers: Record<string, (v: Record<string, unknown>) => unknown> = {},
  viewer = acmeOwner,
) {
  return mockServer({
    WorkspaceViewer: viewerHandler(viewer),
    Agents: () => ({ data: { agents: state.agents } }),
    DelegationGrants: () => ({ data: { delegationGrants: state.grants ?? [] } }),
    MemberEmails: memberEmails,
    ScopeCatalog: () => ({ data: { scopeCatalog: catalog } }),
    AuditEvents: () => ({ data: { auditEvents: connection([], { hasNextPage: false, endCursor: null }) } }),
    ...handlers,
  });
}

/** Sets the status of these agents in state and returns them as a status mutation does. */
export function setStatus(state: { agents: Agent[] }, ids: string[], status: string) {
  state.agents = state.agents.map((a) => (ids.includes(a.id) ? { ...a, status } : a));
  return state.agents
    .filter((a) => ids.includes(a.id))
    .map(({ id, name, status: s, depth, parentID }) => ({ id, name, status: s, depth, parentID }));
}
