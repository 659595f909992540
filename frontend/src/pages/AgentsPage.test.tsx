import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { agent, agentsServer, annID, fleet, samID, setStatus } from '../test/agents';
import { acmeOwner, graphQLError, renderApp, signedIn } from '../test/server';
import { jwksProblems, toolList } from './AgentsPage';

const publicJWKS = '{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1"}]}';
const privateJWKS = '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"the-private-part"}]}';

function node(name: string) {
  return screen.getByRole('article', { name });
}

/** Types a long value at once (typing it key by key is slow and tests nothing more). */
async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.click(field);
  await user.paste(text);
}

describe('agents page', { timeout: 15_000 }, () => {
  it('shows the fleet as a tree: each agent under its parent, with sponsor, ceiling, tools and depth', async () => {
    signedIn();
    const server = agentsServer({ agents: fleet() });
    renderApp('/w/acme/agents');

    expect(await screen.findByText('4 agents, 2 top-level')).toBeInTheDocument();
    const top = screen.getByRole('list', { name: 'Agents' });
    const topLevel = [...top.children].map((li) => li.querySelector('article')?.getAttribute('aria-labelledby'));
    expect(topLevel).toEqual(['agent-101-name', 'agent-104-name']);

    // Researcher sits in Planner's item, Scraper in Researcher's.
    const plannerItem = node('Planner').closest('li')!;
    const underPlanner = within(plannerItem).getByRole('list', { name: 'Subagents of Planner' });
    expect(within(underPlanner).getByRole('article', { name: 'Researcher' })).toBeInTheDocument();
    const underResearcher = within(underPlanner).getByRole('list', { name: 'Subagents of Researcher' });
    expect(within(underResearcher).getByRole('article', { name: 'Scraper' })).toBeInTheDocument();
    expect(within(node('Auditor').closest('li')!).queryByRole('list', { name: /Subagents/ })).not.toBeInTheDocument();

    // Heading levels follow the tree, and each name opens the agent.
    expect(screen.getByRole('heading', { level: 3, name: 'Planner' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 4, name: 'Researcher' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 5, name: 'Scraper' })).toBeInTheDocument();
    expect(within(node('Planner')).getByRole('link', { name: 'Planner' })).toHaveAttribute('href', '/w/acme/agents/101');

    const planner = within(node('Planner'));
    expect(await planner.findByText('ann@acme.test')).toBeInTheDocument();
    expect(planner.getByText('Plans the month-end close')).toBeInTheDocument();
    expect(planner.getByText('active')).toHaveClass('badge');
    expect(planner.getByText('invoices:write')).toBeInTheDocument();
    expect(planner.getByText('calendar.read')).toBeInTheDocument();
    expect(planner.getByText('0 (top-level)')).toBeInTheDocument();
    expect(planner.getByRole('button', { name: 'Suspend Planner' })).toBeInTheDocument();
    expect(planner.getByRole('button', { name: 'Revoke Planner' })).toBeInTheDocument();

    expect(within(node('Scraper')).getByText('2')).toBeInTheDocument();
    const auditor = within(node('Auditor'));
    expect(auditor.getByText('sam@acme.test')).toBeInTheDocument();
    expect(auditor.getByText('suspended')).toBeInTheDocument();
    expect(auditor.getByText('None')).toBeInTheDocument();
    expect(auditor.getByRole('button', { name: 'Resume Auditor' })).toBeInTheDocument();
    expect(auditor.queryByRole('button', { name: 'Suspend Auditor' })).not.toBeInTheDocument();

    // One lookup for the sponsors, each once.
    expect(server.callsTo('MemberEmails').at(-1)?.variables).toEqual({ userIDs: [annID, samID] });
    const nav = screen.getByRole('navigation', { name: 'Workspace' });
    expect(within(nav).getByRole('link', { name: 'Agents' })).toHaveAttribute('aria-current', 'page');
  });

  it('registers an agent with its public keys and shows its client_id', async () => {
    signedIn();
    const state = { agents: fleet().slice(0, 1) };
    const server = agentsServer(state, {
      CreateAgent: (v) => {
        const input = v.input as { name: string };
        state.agents = [...state.agents, agent({ id: '105', clientID: 'travel-client-id', name: input.name, sponsorID: samID })];
        return { data: { createAgent: { clientID: 'travel-client-id', agent: { id: '105', name: input.name, status: 'active' } } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/agents');
    await user.click(await screen.findByRole('button', { name: 'Register an agent' }));
    const form = within(screen.getByRole('form', { name: 'Register an agent' }));
    expect(form.getByLabelText('Name')).toHaveFocus();
    const jwks = form.getByLabelText('Public JWK set');
    expect(jwks).toBeRequired();
    expect(jwks).toHaveAccessibleDescription(/The agent keeps its private key: the server never sees it/);

    await user.click(form.getByRole('button', { name: 'Register agent' }));
    const problems = await form.findByRole('alert');
    expect(within(problems).getByText('Give the agent a name.')).toBeInTheDocument();
    expect(within(problems).getByText('Name its sponsor: the member accountable for it.')).toBeInTheDocument();
    expect(within(problems).getByText('Choose its scope ceiling: at least one scope.')).toBeInTheDocument();
    expect(within(problems).getByText(/Paste the agent’s public JWK set/)).toBeInTheDocument();
    expect(server.callsTo('CreateAgent')).toHaveLength(0);

    await user.type(form.getByLabelText('Name'), 'Travel booker');
    await user.type(form.getByLabelText('Role (optional)'), 'Books trips');
    await user.type(form.getByLabelText('Sponsor email'), 'sam@acme.test');
    const scopes = within(form.getByRole('group', { name: 'Scope ceiling' }));
    expect(await scopes.findByRole('checkbox', { name: 'invoices:read' })).not.toBeChecked();
    expect(scopes.getByRole('checkbox', { name: 'openid' })).toBeInTheDocument();
    await user.click(scopes.getByRole('checkbox', { name: 'invoices:read' }));
    await user.click(scopes.getByRole('checkbox', { name: 'refunds:preview' }));
    await user.type(form.getByLabelText('Tools (optional)'), 'search, calendar.read,search');
    await fill(user, jwks, privateJWKS);
    await user.click(form.getByRole('button', { name: 'Register agent' }));
    expect(await form.findByRole('alert')).toHaveTextContent('Key 1 holds private key material ("d"): paste only the public key.');
    expect(server.callsTo('CreateAgent')).toHaveLength(0);

    await user.clear(jwks);
    await fill(user, jwks, publicJWKS);
    await fill(user, form.getByLabelText('Redirect URIs (optional)'), 'https://travel.example.com/cb');
    await user.click(form.getByRole('button', { name: 'Register agent' }));

    const box = await screen.findByRole('region', { name: 'Agent “Travel booker” registered' });
    expect(box).toHaveTextContent('Client ID: travel-client-id');
    expect(box).toHaveTextContent('It has no secret');
    expect(within(box).getByRole('button', { name: 'Done' })).toHaveFocus();
    expect(server.callsTo('CreateAgent')[0]?.variables).toEqual({
      input: {
        name: 'Travel booker',
        role: 'Books trips',
        sponsorEmail: 'sam@acme.test',
        scopes: ['invoices:read', 'refunds:preview'],
        tools: ['search', 'calendar.read'],
        jwks: publicJWKS,
        redirectUris: ['https://travel.example.com/cb'],
      },
    });
    expect(screen.queryByRole('form', { name: 'Register an agent' })).not.toBeInTheDocument();
    expect(await screen.findByRole('article', { name: 'Travel booker' })).toBeInTheDocument();
    expect(await screen.findByText('2 agents, 2 top-level')).toBeInTheDocument();

    await user.click(within(box).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('region', { name: /registered/ })).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Register an agent' })).toHaveFocus());
  });

  it('shows the server’s refusal and keeps what was typed', async () => {
    signedIn();
    agentsServer(
      { agents: [] },
      { CreateAgent: () => graphQLError('the sponsor "bob@acme.test" is not an active member of this workspace', 'BAD_USER_INPUT') },
    );
    const user = userEvent.setup();
    renderApp('/w/acme/agents');
    expect(await screen.findByText('No agents yet.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Register an agent' }));
    const form = within(screen.getByRole('form', { name: 'Register an agent' }));
    await user.type(form.getByLabelText('Name'), 'Helper');
    await user.type(form.getByLabelText('Sponsor email'), 'bob@acme.test');
    await user.click(await form.findByRole('checkbox', { name: 'invoices:read' }));
    await fill(user, form.getByLabelText('Public JWK set'), publicJWKS);
    await user.click(form.getByRole('button', { name: 'Register agent' }));
    expect(await form.findByRole('alert')).toHaveTextContent('is not an active member of this workspace');
    expect(form.getByLabelText('Name')).toHaveValue('Helper');
  });

  it('suspends an agent after confirmation and lists every subagent the suspension reached', async () => {
    signedIn();
    const state = { agents: fleet() };
    const server = agentsServer(state, {
      SuspendAgent: () => ({ data: { suspendAgent: setStatus(state, ['101', '102', '103'], 'suspended') } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/agents');
    await user.click(await screen.findByRole('button', { name: 'Suspend Planner' }));
    expect(server.callsTo('SuspendAgent')).toHaveLength(0);
    const confirm = within(screen.getByRole('group', { name: /^Confirm: Suspend Planner/ }));
    expect(confirm.getByText('Suspend Planner and its 2 subagents? Their tokens stop working at once, until resumed.')).toBeInTheDocument();
    expect(confirm.getByRole('button', { name: 'Confirm suspend' })).toHaveFocus();
    await user.click(confirm.getByRole('button', { name: 'Confirm suspend' }));

    const result = await screen.findByRole('region', { name: 'Suspended “Planner”' });
    expect(result).toHaveTextContent('3 agents suspended: their tokens stopped working at once');
    const affected = within(within(result).getByRole('list', { name: 'Affected agents' })).getAllByRole('listitem');
    expect(affected.map((li) => li.textContent)).toEqual([
      'Planner suspended',
      'Researcher suspended (subagent of Planner)',
      'Scraper suspended (subagent of Researcher)',
    ]);
    expect(within(result).getByRole('button', { name: 'Done' })).toHaveFocus();
    expect(server.callsTo('SuspendAgent')[0]?.variables).toEqual({ id: '101' });

    // The tree shows what the server now has.
    for (const name of ['Planner', 'Researcher', 'Scraper']) {
      await waitFor(() => expect(within(node(name)).getByText('suspended')).toBeInTheDocument());
    }
    expect(within(node('Planner')).getByRole('button', { name: 'Resume Planner' })).toBeInTheDocument();

    await user.click(within(result).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(within(node('Planner')).getByRole('link', { name: 'Planner' })).toHaveFocus());
  });

  it('revokes an agent for good, with its subagents, after saying it is final', async () => {
    signedIn();
    const state = { agents: fleet() };
    agentsServer(state, {
      RevokeAgent: () => ({ data: { revokeAgent: setStatus(state, ['102', '103'], 'revoked') } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/agents');
    await user.click(await screen.findByRole('button', { name: 'Revoke Researcher' }));
    const confirm = within(screen.getByRole('group', { name: /^Confirm: Revoke Researcher/ }));
    expect(confirm.getByText(/^Revoke Researcher and its subagent for good\?/)).toHaveTextContent(
      'This cannot be undone: a revoked agent cannot be resumed.',
    );
    await user.click(confirm.getByRole('button', { name: 'Confirm revoke' }));

    const result = await screen.findByRole('region', { name: 'Revoked “Researcher”' });
    expect(result).toHaveTextContent('2 agents revoked for good, with their delegation grants');
    expect(within(result).getByText('Scraper').closest('li')).toHaveTextContent('Scraper revoked (subagent of Researcher)');
    await waitFor(() => expect(within(node('Scraper')).getByText('Revoked: this is final.')).toBeInTheDocument());
    expect(within(node('Researcher')).queryByRole('button')).not.toBeInTheDocument();
    expect(within(node('Planner')).getByRole('button', { name: 'Suspend Planner' })).toBeInTheDocument();
  });

  it('cancels with the focus back on the button, and shows a refusal in place', async () => {
    signedIn();
    const server = agentsServer(
      { agents: fleet() },
      { ResumeAgent: () => graphQLError('only an admin, the agent’s sponsor or an ancestor agent may change its status', 'FORBIDDEN') },
    );
    const user = userEvent.setup();
    renderApp('/w/acme/agents');
    await user.click(await screen.findByRole('button', { name: 'Resume Auditor' }));
    await user.click(within(node('Auditor')).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Resume Auditor' })).toHaveFocus());
    expect(server.callsTo('ResumeAgent')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Resume Auditor' }));
    expect(within(node('Auditor')).getByRole('group')).toHaveTextContent('Resume Auditor? It can get tokens again.');
    await user.click(screen.getByRole('button', { name: 'Confirm resume' }));
    expect(await within(node('Auditor')).findByRole('alert')).toHaveTextContent('may change its status');
    expect(screen.queryByRole('region', { name: /Resumed/ })).not.toBeInTheDocument();
  });

  it('shows members the fleet, with actions only on the agents they sponsor', async () => {
    signedIn();
    const server = agentsServer({ agents: fleet() }, {}, { ...acmeOwner, kind: 'human', id: samID, label: 'sam@acme.test', role: 'member' });
    renderApp('/w/acme/agents');
    expect(await screen.findByRole('article', { name: 'Planner' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Register an agent' })).not.toBeInTheDocument();
    expect(within(node('Planner')).queryByRole('button')).not.toBeInTheDocument();
    expect(within(node('Auditor')).getByRole('button', { name: 'Resume Auditor' })).toBeInTheDocument();
    expect(server.callsTo('ScopeCatalog')).toHaveLength(0);
    const nav = screen.getByRole('navigation', { name: 'Workspace' });
    expect(within(nav).getByRole('link', { name: 'Agents' })).toBeInTheDocument();
  });
});

describe('toolList', () => {
  it('splits on commas and spaces, keeping each tool once', () => {
    expect(toolList(' search, calendar.read ,search\nmail:send,, ')).toEqual(['search', 'calendar.read', 'mail:send']);
  });
});

describe('jwksProblems', () => {
  it.each([
    ['', /Paste the agent’s public JWK set/],
    ['{"keys": [', /not valid JSON/],
    ['{"keys": []}', /"keys" array with at least one key/],
    ['[]', /"keys" array/],
    ['{"keys": [{"x": "1"}]}', /Key 1 is not a JWK/],
    ['{"keys": [{"kty": "RSA", "n": "n", "e": "AQAB", "d": "d", "p": "p"}]}', /Key 1 holds private key material \("d", "p"\)/],
    ['{"keys": [{"kty": "oct", "k": "secret"}]}', /Key 1 holds private key material \("k"\)/],
  ])('refuses %s', (text, problem) => {
    expect(jwksProblems(text).join(' ')).toMatch(problem);
  });

  it('accepts public keys', () => {
    expect(jwksProblems(publicJWKS)).toEqual([]);
  });
});
