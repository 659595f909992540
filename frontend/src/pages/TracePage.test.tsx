import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { agentsServer, annID, fleet, samID } from '../test/agents';
import { acmeOwner, graphQLError, renderApp, signedIn } from '../test/server';

let seq = 0;

function action(overrides: Record<string, unknown>) {
  seq += 1;
  return {
    id: `e${seq}`,
    occurredAt: '2026-11-27T09:00:00Z',
    action: 'token.issued',
    outcome: 'success',
    actorType: 'agent',
    actorID: '101',
    actorLabel: 'Planner',
    clientID: 'planner-id',
    grantID: '',
    runID: 'run-1',
    ...overrides,
  };
}

const planner = { id: '101', name: 'Planner', role: 'Plans the month-end close', tools: ['search', 'calendar.read'], status: 'active' };
const researcher = { id: '102', name: 'Researcher', role: '', tools: ['search'], status: 'active' };

function run(name: string, overrides: Record<string, unknown>) {
  return { run: name, parentRun: '', agent: null, scope: [], approval: 'none', actions: [], children: [], ...overrides };
}

/**
 * Planner's run-1 started Researcher's run-2, which started two more; the
 * chain goes deeper than the query asks, so the last level names only its
 * children's runs.
 */
function trace() {
  return run('run-1', {
    agent: planner,
    scope: ['invoices:read', 'invoices:write'],
    approval: 'approved',
    actions: [
      action({ action: 'token.issued', occurredAt: '2026-11-27T09:00:00Z' }),
      action({ action: 'ciba.approved', actorType: 'human', actorID: annID, actorLabel: 'ann@acme.test' }),
      action({ action: 'token.issued', outcome: 'denied', actorLabel: 'Planner' }),
    ],
    children: [
      run('run-2', {
        parentRun: 'run-1',
        agent: researcher,
        scope: ['invoices:read'],
        actions: [action({ runID: 'run-2', actorLabel: 'Researcher', clientID: 'researcher-id' })],
        children: [
          run('run-3', {
            parentRun: 'run-2',
            scope: ['openid'],
            actions: [action({ runID: 'run-3', actorType: 'client', actorLabel: 'Billing app', clientID: 'billing-app' })],
            children: [
              run('run-4', {
                parentRun: 'run-3',
                children: [run('run-5', { parentRun: 'run-4', approval: 'denied', children: [{ run: 'run-6' }] })],
              }),
            ],
          }),
          run('run-2b', { parentRun: 'run-2', agent: { ...researcher, id: '103', name: 'Scraper' } }),
        ],
      }),
    ],
  });
}

type Handler = (v: Record<string, unknown>) => unknown;

const traceHandler: Handler = (v) => ({ data: { agentTrace: v.run === 'run-1' ? trace() : run(String(v.run), {}) } });

function traceServer(handler: Handler = traceHandler, viewer = acmeOwner) {
  return agentsServer({ agents: fleet() }, { AgentTrace: handler }, viewer);
}

const runNode = (name: string) => screen.getByRole('article', { name: `Run ${name}` });

describe('trace page', { timeout: 15_000 }, () => {
  it('deep-links to a run and shows its tree: agent, tools, scope, approval and actions of each run', async () => {
    signedIn();
    const server = traceServer();
    renderApp('/w/acme/trace?run=run-1');

    expect(await screen.findByText('6 runs in this trace.')).toBeInTheDocument();
    expect(screen.getByLabelText('Run ID')).toHaveValue('run-1');
    expect(server.callsTo('AgentTrace')).toHaveLength(1);
    expect(server.callsTo('AgentTrace')[0]?.variables).toEqual({ run: 'run-1' });
    // Four levels of runs below the root are asked for, the last by id only.
    expect(server.callsTo('AgentTrace')[0]?.query.match(/children \{/g)).toHaveLength(5);

    // Each run sits in the item of the run that started it, headings one level down.
    const root = within(screen.getByRole('list', { name: 'Trace of run run-1' }));
    const below1 = within(root.getByRole('list', { name: 'Runs below run-1' }));
    const below2 = within(below1.getByRole('list', { name: 'Runs below run-2' }));
    expect(below2.getAllByRole('article').map((a) => a.getAttribute('data-run'))).toEqual(['run-3', 'run-4', 'run-5', 'run-2b']);
    expect(screen.getByRole('heading', { level: 3, name: 'Run run-1' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 4, name: 'Run run-2' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 6, name: 'Run run-4' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 6, name: 'Run run-5' })).toBeInTheDocument();

    const first = within(runNode('run-1'));
    const fact = (node: ReturnType<typeof within>, term: string) => node.getByText(term, { selector: 'dt' }).nextElementSibling as HTMLElement;
    expect(within(fact(first, 'Agent')).getByRole('link', { name: 'Planner' })).toHaveAttribute('href', '/w/acme/agents/101');
    expect(fact(first, 'Agent')).toHaveTextContent('Plans the month-end close');
    expect(fact(first, 'Tools')).toHaveTextContent('searchcalendar.read');
    expect(fact(first, 'Scope')).toHaveTextContent('invoices:readinvoices:write');
    expect(fact(first, 'Approval')).toHaveTextContent('approved');
    expect(first.getByText('approved', { selector: '.badge' })).toBeInTheDocument();
    expect(first.queryByText('Started by run')).not.toBeInTheDocument();

    const table = within(first.getByRole('table', { name: 'Actions of run run-1, oldest first' }));
    const rows = table.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-action'))).toEqual(['token.issued', 'ciba.approved', 'token.issued']);
    expect(within(rows[0]!).getByRole('cell', { name: /2026|27/ }).querySelector('time')).toHaveAttribute('dateTime', '2026-11-27T09:00:00.000Z');
    expect(rows[1]).toHaveTextContent('ciba.approvedsuccessann@acme.test');
    expect(within(rows[2]!).getByText('denied')).toHaveClass('outcome-denied');

    const second = within(runNode('run-2'));
    expect(within(fact(second, 'Started by run')).getByRole('link', { name: 'run-1' })).toHaveAttribute('href', '/w/acme/trace?run=run-1');
    expect(fact(second, 'Tools')).toHaveTextContent('search');

    // A run without an agent: the application its tokens went to.
    const third = within(runNode('run-3'));
    expect(fact(third, 'Agent')).toHaveTextContent('No agent: the application billing-app');
    expect(fact(third, 'Tools')).toHaveTextContent('—');
    expect(within(runNode('run-4')).getByText('No actions recorded.')).toBeInTheDocument();
    expect(fact(within(runNode('run-4')), 'Scope')).toHaveTextContent('—');
    expect(within(runNode('run-5')).getByText('denied', { selector: '.badge' })).toBeInTheDocument();
  });

  it('traces from a run beyond the depth fetched when its link is followed', async () => {
    signedIn();
    const server = traceServer();
    const user = userEvent.setup();
    renderApp('/w/acme/trace?run=run-1');
    const deeper = within(await screen.findByRole('article', { name: 'Run run-5' }));
    expect(deeper.getByText(/Runs further down, not shown here/)).toBeInTheDocument();
    await user.click(deeper.getByRole('link', { name: 'Trace run run-6' }));

    expect(await screen.findByText('1 run in this trace.')).toBeInTheDocument();
    expect(screen.getByTestId('search')).toHaveTextContent('?run=run-6');
    expect(screen.getByLabelText('Run ID')).toHaveValue('run-6');
    expect(server.callsTo('AgentTrace').at(-1)?.variables).toEqual({ run: 'run-6' });
  });

  it('traces the run typed in, and shows the server’s message for a run it does not know', async () => {
    signedIn();
    const server = traceServer((v) =>
      v.run === 'run-1' ? { data: { agentTrace: trace() } } : graphQLError(`no run "${String(v.run)}" in the recent audit trail`, 'NOT_FOUND'),
    );
    const user = userEvent.setup();
    renderApp('/w/acme/agents');
    await user.click(await screen.findByRole('link', { name: 'Trace a run' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Trace a run' })).toBeInTheDocument();
    expect(server.callsTo('AgentTrace')).toHaveLength(0);

    // Nothing is asked for an empty field: the browser says it is required.
    await user.click(screen.getByRole('button', { name: 'Trace' }));
    expect(server.callsTo('AgentTrace')).toHaveLength(0);
    expect(screen.getByLabelText('Run ID')).toBeInvalid();

    await user.type(screen.getByLabelText('Run ID'), 'run-nope');
    await user.click(screen.getByRole('button', { name: 'Trace' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('no run "run-nope" in the recent audit trail');
    expect(screen.getByTestId('search')).toHaveTextContent('?run=run-nope');
    expect(screen.queryByRole('article')).not.toBeInTheDocument();

    await user.clear(screen.getByLabelText('Run ID'));
    await user.type(screen.getByLabelText('Run ID'), ' run-1 ');
    await user.click(screen.getByRole('button', { name: 'Trace' }));
    expect(await screen.findByText('6 runs in this trace.')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(server.callsTo('AgentTrace').at(-1)?.variables).toEqual({ run: 'run-1' });

    // The same run again asks again.
    await user.click(screen.getByRole('button', { name: 'Trace' }));
    expect(await screen.findByText('6 runs in this trace.')).toBeInTheDocument();
    expect(server.callsTo('AgentTrace')).toHaveLength(3);
  });

  it('links the run that registered an agent to its trace', async () => {
    signedIn();
    traceServer();
    renderApp('/w/acme/agents/102');
    const link = await screen.findByRole('link', { name: 'Trace run run-7' });
    expect(link).toHaveAttribute('href', '/w/acme/trace?run=run-7');
  });

  it('tells a member that traces are for admins, and asks nothing', async () => {
    signedIn();
    const server = traceServer(undefined, { ...acmeOwner, kind: 'human', id: samID, label: 'sam@acme.test', role: 'member' });
    renderApp('/w/acme/trace?run=run-1');
    expect(await screen.findByText('Only admins can read agent traces.')).toBeInTheDocument();
    expect(screen.queryByLabelText('Run ID')).not.toBeInTheDocument();
    expect(server.callsTo('AgentTrace')).toHaveLength(0);
  });
});
