import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { agentsServer, annID, fleet, grant, samID, setStatus } from '../test/agents';
import { acmeOwner, connection, graphQLError, renderApp, signedIn } from '../test/server';

function grants() {
  return [
    grant({ id: '301', userID: annID, agentID: '102', scopes: ['invoices:read'] }),
    grant({ id: '302', userID: samID, agentID: '102', status: 'revoked', revokedAt: '2026-11-26T10:00:00Z' }),
    grant({ id: '303', userID: samID, agentID: '102', expiresAt: '2020-01-01T00:00:00Z' }),
    // To another agent: not shown here.
    grant({ id: '304', userID: annID, agentID: '101', scopes: ['invoices:write'] }),
  ];
}

describe('agent page', { timeout: 15_000 }, () => {
  it('shows the agent’s fields, its subagents and the grants people gave it', async () => {
    signedIn();
    agentsServer({ agents: fleet(), grants: grants() });
    renderApp('/w/acme/agents/102');

    expect(await screen.findByRole('heading', { level: 1, name: 'Researcher' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '← All agents' })).toHaveAttribute('href', '/w/acme/agents');
    // The agent's own facts come first; its subagents' follow in their tree.
    const facts = (term: string) => screen.getAllByText(term, { selector: 'dt' })[0]!.nextElementSibling;
    expect(facts('Client ID')).toHaveTextContent('researcher-id');
    expect(facts('Status')).toHaveTextContent('active');
    expect(facts('Scope ceiling')).toHaveTextContent('invoices:read');
    expect(facts('Tools')).toHaveTextContent('search');
    expect(facts('Depth')).toHaveTextContent('1');
    expect(facts('Registered by run')).toHaveTextContent('run-7');
    expect(within(facts('Parent') as HTMLElement).getByRole('link', { name: 'Planner' })).toHaveAttribute('href', '/w/acme/agents/101');
    await waitFor(() => expect(facts('Sponsor')).toHaveTextContent('ann@acme.test'));
    expect(screen.getByRole('button', { name: 'Suspend Researcher' })).toBeInTheDocument();

    const subagents = within(screen.getByRole('region', { name: 'Subagents' }));
    expect(subagents.getByText('1 subagent below Researcher.')).toBeInTheDocument();
    expect(subagents.getByRole('list', { name: 'Subagents of Researcher' })).toBeInTheDocument();
    expect(subagents.getByRole('article', { name: 'Scraper' })).toBeInTheDocument();

    const section = within(screen.getByRole('region', { name: 'Delegation grants' }));
    expect(section.getByText('3 grants')).toBeInTheDocument();
    const rows = section.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-grant-id'))).toEqual(['301', '302', '303']);
    const ann = within(await section.findByRole('row', { name: /^ann@acme\.test/ }));
    expect(ann.getByText('active')).toBeInTheDocument();
    expect(ann.getByRole('button', { name: 'Revoke ann@acme.test' })).toBeInTheDocument();
    expect(within(rows[1]!).getByText('revoked')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('expired')).toBeInTheDocument();
    expect(within(rows[1]!).queryByRole('button')).not.toBeInTheDocument();
    expect(within(rows[2]!).queryByRole('button')).not.toBeInTheDocument();
  });

  it('revokes a grant after confirmation', async () => {
    signedIn();
    const state = { agents: fleet(), grants: grants() };
    const server = agentsServer(state, {
      RevokeDelegationGrant: (v) => {
        state.grants = state.grants.map((g) => (g.id === v.id ? { ...g, status: 'revoked', revokedAt: '2026-11-27T08:00:00Z' } : g));
        return { data: { revokeDelegationGrant: { id: v.id, status: 'revoked', revokedAt: '2026-11-27T08:00:00Z' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/agents/102');
    const section = within(await screen.findByRole('region', { name: 'Delegation grants' }));
    await user.click(await section.findByRole('button', { name: 'Revoke ann@acme.test' }));
    expect(server.callsTo('RevokeDelegationGrant')).toHaveLength(0);
    const confirm = within(section.getByRole('group', { name: 'Confirm revoking ann@acme.test' }));
    expect(confirm.getByText('Revoke the grant ann@acme.test gave Researcher? Its tokens acting for them stop working at once.')).toBeInTheDocument();
    expect(confirm.getByRole('button', { name: 'Confirm revoke' })).toHaveFocus();
    await user.click(confirm.getByRole('button', { name: 'Confirm revoke' }));

    expect(await section.findByText('Revoked the grant ann@acme.test gave Researcher.')).toBeInTheDocument();
    expect(server.callsTo('RevokeDelegationGrant')[0]?.variables).toEqual({ id: '301' });
    const row = within(section.getByRole('row', { name: /^ann@acme\.test/ }));
    await waitFor(() => expect(row.getByText('revoked')).toBeInTheDocument());
    expect(row.queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
  });

  it('shows a refused revocation in its row', async () => {
    signedIn();
    agentsServer(
      { agents: fleet(), grants: grants() },
      { RevokeDelegationGrant: () => graphQLError('only the person who gave the grant, the agent’s sponsor or an admin may revoke it', 'FORBIDDEN') },
    );
    const user = userEvent.setup();
    renderApp('/w/acme/agents/102');
    const section = within(await screen.findByRole('region', { name: 'Delegation grants' }));
    await user.click(await section.findByRole('button', { name: 'Revoke ann@acme.test' }));
    await user.click(section.getByRole('button', { name: 'Confirm revoke' }));
    expect(await within(section.getByRole('row', { name: /^ann@acme\.test/ })).findByRole('alert')).toHaveTextContent('may revoke it');
  });

  it('narrows a grant from the agent’s page', async () => {
    signedIn();
    const state = {
      agents: fleet(),
      grants: [grant({ id: '301', userID: annID, agentID: '102', scopes: ['invoices:read', 'refunds:preview'] })],
    };
    const server = agentsServer(state, {
      NarrowDelegationGrant: (v) => {
        state.grants = state.grants.map((g) => (g.id === v.id ? { ...g, scopes: v.scopes as string[] } : g));
        const { id, scopes, expiresAt, status } = state.grants[0]!;
        return { data: { narrowDelegationGrant: { id, scopes, expiresAt, status } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/agents/102');
    const section = within(await screen.findByRole('region', { name: 'Delegation grants' }));
    await user.click(await section.findByRole('button', { name: 'Narrow ann@acme.test' }));
    const form = within(section.getByRole('form', { name: 'Narrow ann@acme.test' }));
    await user.click(form.getByRole('checkbox', { name: 'refunds:preview' }));
    await user.click(form.getByRole('button', { name: 'Save narrowing' }));
    expect(await section.findByText('Narrowed the grant ann@acme.test gave Researcher.')).toBeInTheDocument();
    expect(server.callsTo('NarrowDelegationGrant')[0]?.variables).toEqual({ id: '301', scopes: ['invoices:read'], expiresAt: null });
    const row = within(section.getByRole('row', { name: /^ann@acme\.test/ }));
    await waitFor(() => expect(row.queryByText('refunds:preview')).not.toBeInTheDocument());
  });

  it('suspends from the detail page and shows the cascade', async () => {
    signedIn();
    const state = { agents: fleet(), grants: grants() };
    agentsServer(state, { SuspendAgent: () => ({ data: { suspendAgent: setStatus(state, ['102', '103'], 'suspended') } }) });
    const user = userEvent.setup();
    renderApp('/w/acme/agents/102');
    await user.click(await screen.findByRole('button', { name: 'Suspend Researcher' }));
    await user.click(screen.getByRole('button', { name: 'Confirm suspend' }));
    const result = await screen.findByRole('region', { name: 'Suspended “Researcher”' });
    expect(within(result).getByRole('list', { name: 'Affected agents' })).toHaveTextContent('Scraper suspended (subagent of Researcher)');
    await waitFor(() => expect(screen.getByText('Status', { selector: 'dt' }).nextElementSibling).toHaveTextContent('suspended'));
    expect(within(screen.getByRole('article', { name: 'Scraper' })).getByText('suspended')).toBeInTheDocument();
  });

  it('says when there is no such agent', async () => {
    signedIn();
    agentsServer({ agents: fleet() });
    renderApp('/w/acme/agents/999');
    expect(await screen.findByText('There is no agent with this id in the workspace.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '← All agents' })).toBeInTheDocument();
  });

  describe('recent actions', () => {
    function auditEvent(seq: number, action: string, extra: Record<string, unknown> = {}) {
      return {
        id: String(30064771072 + seq),
        seq,
        occurredAt: '2026-11-26T09:00:00Z',
        actorType: 'agent',
        actorID: '102',
        actorLabel: 'Researcher',
        agentID: '102',
        agentChain: ['101', '102'],
        clientID: 'researcher-id',
        runID: '',
        scope: null,
        action,
        targetType: '',
        targetID: '',
        outcome: 'success',
        details: null,
        ip: '',
        userAgent: '',
        ...extra,
      };
    }

    it('lists the agent’s latest audit events, newest first, with a link to each run’s trace', async () => {
      signedIn();
      const server = agentsServer(
        { agents: fleet() },
        {
          AuditEvents: () => ({
            data: {
              auditEvents: connection(
                [
                  auditEvent(9, 'token.exchanged', { runID: 'run-9', scope: ['invoices:read', 'openid'] }),
                  auditEvent(8, 'tool.called', { outcome: 'denied', actorLabel: '', actorID: 'researcher-id' }),
                ],
                { hasNextPage: true, endCursor: 'c1' },
                31,
              ),
            },
          }),
        },
      );
      renderApp('/w/acme/agents/102');
      const section = within(await screen.findByRole('region', { name: 'Recent actions' }));
      expect(await section.findByText('The latest 2 of 31 actions, newest first')).toBeInTheDocument();
      const rows = section.getAllByRole('row').slice(1);
      expect(rows.map((r) => r.getAttribute('data-action'))).toEqual(['token.exchanged', 'tool.called']);

      const first = within(rows[0]!);
      expect(first.getByText('success')).toBeInTheDocument();
      expect(first.getByText('Researcher')).toBeInTheDocument();
      expect(first.getByRole('time')).toHaveAttribute('dateTime', '2026-11-26T09:00:00.000Z');
      expect(first.getByRole('link', { name: 'Trace run run-9' })).toHaveAttribute('href', '/w/acme/trace?run=run-9');
      expect(first.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['invoices:read', 'openid']);

      const second = within(rows[1]!);
      expect(second.getByText('denied')).toBeInTheDocument();
      expect(second.getByText('researcher-id')).toBeInTheDocument();
      expect(second.queryByRole('link')).not.toBeInTheDocument();

      const call = server.callsTo('AuditEvents')[0]!;
      expect(call.query).toMatch(/orderBy:\s*\{\s*field:\s*SEQ,\s*direction:\s*DESC\s*\}/);
      expect(call.variables).toEqual({ first: 20, where: { clientID: 'researcher-id' } });
    });

    it('says when the agent has done nothing yet', async () => {
      signedIn();
      agentsServer({ agents: fleet() });
      renderApp('/w/acme/agents/103');
      const section = within(await screen.findByRole('region', { name: 'Recent actions' }));
      expect(await section.findByText('No actions recorded for Scraper.')).toBeInTheDocument();
    });

    it('tells a member who is no admin that the audit log is not theirs to read, without asking for it', async () => {
      signedIn();
      const server = agentsServer({ agents: fleet() }, {}, { ...acmeOwner, kind: 'human', id: samID, label: 'sam@acme.test', role: 'member' });
      renderApp('/w/acme/agents/102');
      const section = within(await screen.findByRole('region', { name: 'Recent actions' }));
      expect(section.getByText('Only workspace admins can read the audit log, so Researcher’s actions are not shown.')).toBeInTheDocument();
      expect(section.queryByRole('table')).not.toBeInTheDocument();
      expect(server.callsTo('AuditEvents')).toHaveLength(0);
    });
  });

  describe('keys', () => {
    const oldAndNew =
      '{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"old"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"new"}]}';

    async function pasteKeys(user: ReturnType<typeof userEvent.setup>, text: string) {
      const keys = within(await screen.findByRole('region', { name: 'Keys' }));
      await user.click(keys.getByLabelText('New public JWK set'));
      await user.paste(text);
      await user.click(keys.getByRole('button', { name: 'Save keys' }));
      return keys;
    }

    it('replaces the agent’s public keys, and says how to rotate without downtime', async () => {
      signedIn();
      const server = agentsServer({ agents: fleet() }, { SetAgentKeys: (v) => ({ data: { setAgentKeys: { id: v.id, name: 'Researcher' } } }) });
      const user = userEvent.setup();
      renderApp('/w/acme/agents/102');
      const keys = within(await screen.findByRole('region', { name: 'Keys' }));
      expect(keys.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
        'Save the old and the new public keys together.',
        'Switch the agent to sign with the new private key.',
        'Save the new public key alone.',
      ]);

      await pasteKeys(user, ` ${oldAndNew}\n`);
      expect(await keys.findByRole('status')).toHaveTextContent('Saved: Researcher’s tokens are now checked against the keys you pasted.');
      expect(server.callsTo('SetAgentKeys')[0]?.variables).toEqual({ id: '102', jwks: oldAndNew });
      expect(keys.getByLabelText('New public JWK set')).toHaveValue('');
      expect(keys.queryByRole('alert')).not.toBeInTheDocument();
    });

    it('refuses private key material before it leaves the browser', async () => {
      signedIn();
      const server = agentsServer({ agents: fleet() });
      const user = userEvent.setup();
      renderApp('/w/acme/agents/102');
      const keys = await pasteKeys(user, '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"the-private-part"}]}');
      expect(keys.getByRole('alert')).toHaveTextContent('Key 1 holds private key material ("d"): paste only the public key.');
      expect(server.callsTo('SetAgentKeys')).toHaveLength(0);
      expect(keys.queryByRole('status')).toHaveTextContent('');
    });

    it('shows the server’s refusal', async () => {
      signedIn();
      agentsServer({ agents: fleet() }, { SetAgentKeys: () => graphQLError('jwks must hold asymmetric keys (RSA or EC)', 'INVALID_ARGUMENT') });
      const user = userEvent.setup();
      renderApp('/w/acme/agents/102');
      const keys = await pasteKeys(user, oldAndNew);
      expect(await keys.findByRole('alert')).toHaveTextContent('jwks must hold asymmetric keys (RSA or EC)');
      expect(keys.getByLabelText('New public JWK set')).toHaveValue(oldAndNew);
    });

    it('is not offered to a member who does not sponsor the agent, nor for a revoked agent', async () => {
      signedIn();
      agentsServer({ agents: fleet() }, {}, { ...acmeOwner, kind: 'human', id: samID, label: 'sam@acme.test', role: 'member' });
      const { unmount } = renderApp('/w/acme/agents/102');
      expect(await screen.findByRole('heading', { level: 1, name: 'Researcher' })).toBeInTheDocument();
      expect(screen.queryByRole('region', { name: 'Keys' })).not.toBeInTheDocument();
      unmount();

      agentsServer({ agents: fleet().map((a) => (a.id === '102' ? { ...a, status: 'revoked' } : a)) });
      renderApp('/w/acme/agents/102');
      expect(await screen.findByRole('heading', { level: 1, name: 'Researcher' })).toBeInTheDocument();
      expect(screen.queryByRole('region', { name: 'Keys' })).not.toBeInTheDocument();
    });
  });
});
