import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { connection, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

function event(seq: number, action: string, extra: Record<string, unknown> = {}) {
  return {
    id: String(30064771072 + seq),
    seq,
    occurredAt: '2026-11-24T12:00:00Z',
    actorType: 'api_token',
    actorID: '17179869185',
    actorLabel: 'e2e',
    agentID: '',
    agentChain: null,
    action,
    targetType: 'user',
    targetID: '8589934595',
    outcome: 'success',
    details: { email: 'bob@acme.test' },
    ip: '127.0.0.1',
    userAgent: 'test',
    ...extra,
  };
}

describe('audit log page', () => {
  it('shows what allowed a gateway call (grant, credential, approval) and filters on gateway calls', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      AuditEvents: () => ({
        data: {
          auditEvents: connection(
            [
              event(9, 'gateway.call', {
                agentChain: ['billing', 'support', 'planner'],
                grantID: '12',
                credentialType: 'api_key',
                credentialID: '3',
                approvalRequired: true,
                approvalID: 'apr_x1',
                targetType: 'tool',
                targetID: 'billing',
                details: { method: 'POST', path: '/refunds/execute', upstream_status: '200' },
              }),
            ],
            { hasNextPage: false, endCursor: null },
          ),
        },
      }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/audit');
    const row = (await screen.findByText('gateway.call')).closest('tr')!;
    expect(within(row).getByText('billing → support → planner')).toBeInTheDocument();
    expect(within(row).getByText('api_key #3')).toBeInTheDocument();
    expect(within(row).getByText('apr_x1')).toBeInTheDocument();
    expect(within(row).getByText('12')).toBeInTheDocument();
    expect(within(row).getByText('/refunds/execute')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Gateway calls' }));
    await waitFor(() => expect(server.callsTo('AuditEvents')).toHaveLength(2));
    expect(server.callsTo('AuditEvents')[1]!.variables).toEqual({ first: 50, where: { actionContains: 'gateway.' } });
  });

  it('lists events newest first with actor, agent chain, action, target and outcome', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      AuditEvents: () => ({
        data: {
          auditEvents: connection(
            [
              event(4, 'member.added'),
              event(3, 'api_token.created', { agentChain: ['agent-a', 'agent-b'], outcome: 'denied' }),
            ],
            { hasNextPage: false, endCursor: 'x' },
          ),
        },
      }),
    });
    renderApp('/w/acme/audit');
    const row = (await screen.findByText('member.added')).closest('tr')!;
    expect(within(row).getByText('e2e')).toBeInTheDocument();
    const target = row.querySelector('td.target')!;
    expect(target).toHaveTextContent('bob@acme.test');
    expect(target).toHaveTextContent('user · 8589934595');
    expect(within(row).getByText('success')).toBeInTheDocument();
    const second = screen.getByText('api_token.created').closest('tr')!;
    expect(within(second).getByText('agent-a → agent-b')).toBeInTheDocument();
    expect(within(second).getByText('denied')).toBeInTheDocument();

    const call = server.callsTo('AuditEvents')[0]!;
    expect(call.query).toMatch(/orderBy:\s*\{\s*field:\s*SEQ,\s*direction:\s*DESC\s*\}/);
    expect(call.variables).toEqual({ where: {}, first: 50 });
  });

  it('sends the filters as a where input', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      AuditEvents: () => ({ data: { auditEvents: connection([event(1, 'member.added')], { hasNextPage: false, endCursor: null }) } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/audit');
    await screen.findByText('member.added');

    await user.type(screen.getByLabelText('Action contains'), 'member.');
    await user.type(screen.getByLabelText('Actor ID'), '17179869185');
    await user.type(screen.getByLabelText('Agent ID'), 'agent-7');
    await user.type(screen.getByLabelText('From'), '2026-11-01T08:30');
    await user.type(screen.getByLabelText('To'), '2026-11-30T17:45');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));

    await waitFor(() => expect(server.callsTo('AuditEvents')).toHaveLength(2));
    expect(server.callsTo('AuditEvents')[1]!.variables).toEqual({
      first: 50,
      where: {
        actionContains: 'member.',
        actorID: '17179869185',
        agentID: 'agent-7',
        occurredAtGTE: new Date('2026-11-01T08:30').toISOString(),
        occurredAtLTE: new Date(new Date('2026-11-30T17:45').getTime() + 59_999).toISOString(),
      },
    });

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(server.callsTo('AuditEvents')).toHaveLength(3));
    expect(server.callsTo('AuditEvents')[2]!.variables).toEqual({ first: 50, where: {} });
    expect(screen.getByLabelText('Action contains')).toHaveValue('');
  });

  it('"Load more" asks for the page after the last endCursor, keeping the filters', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      AuditEvents: (v) =>
        v.after === 'cursor-after-seq-9'
          ? { data: { auditEvents: connection([event(8, 'member.removed')], { hasNextPage: false, endCursor: 'cursor-after-seq-8' }, 2) } }
          : { data: { auditEvents: connection([event(9, 'member.added')], { hasNextPage: true, endCursor: 'cursor-after-seq-9' }, 2) } },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/audit');
    await screen.findByText('member.added');
    await user.type(screen.getByLabelText('Action contains'), 'member');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(server.callsTo('AuditEvents')).toHaveLength(2));

    await user.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('member.removed')).toBeInTheDocument();
    expect(screen.getByText('member.added')).toBeInTheDocument();
    expect(server.callsTo('AuditEvents')[2]!.variables).toEqual({
      first: 50,
      after: 'cursor-after-seq-9',
      where: { actionContains: 'member' },
    });
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });
});
