// The Security page's connected accounts: the person's accounts at the
// workspace's providers that agents acting for them may use through the
// tool gateway (metadata only), with Connect and Disconnect.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { annSignedIn, mockServer, renderApp } from '../test/server';
import { connectURL } from './ConnectedAccountsSection';

vi.setConfig({ testTimeout: 20_000 });

function annWithConnections(initial: { provider: string; scopes: string[] }[]) {
  const state = { connections: initial };
  const server = mockServer(
    {
      MyLinkedAccounts: () => ({ data: { myLinkedAccounts: [] } }),
      ConnectedAccounts: () => ({
        data: {
          connectedAccounts: state.connections.map((c, i) => ({
            id: String(i + 1),
            provider: c.provider,
            scopes: c.scopes,
            expiresAt: '2026-11-25T11:00:00Z',
            createdAt: '2026-11-20T10:00:00Z',
            lastUsedAt: null,
          })),
        },
      }),
      DisconnectAccount: (v) => {
        const gone = state.connections.find((c) => c.provider === v.provider);
        state.connections = state.connections.filter((c) => c.provider !== v.provider);
        return { data: { disconnectAccount: { id: '1', provider: gone?.provider } } };
      },
    },
    {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-1') }),
      'GET mfa': () => ({
        status: 200,
        body: {
          totp: { enabled: false, confirmedAt: null },
          recoveryCodesRemaining: 0,
          recentlyAuthenticated: true,
          stepUpMinutes: 10,
          mfaRequired: false,
          hasPassword: true,
          session: { amr: ['pwd'], authTime: '2026-11-20T10:00:00Z' },
        },
      }),
      'GET passkeys': () => ({ status: 200, body: { passkeys: [] } }),
      'GET social/providers': () => ({
        status: 200,
        body: {
          providers: [
            { slug: 'gh', displayName: 'GitHub', kind: 'github' },
            { slug: 'gl', displayName: 'GitLab', kind: 'gitlab' },
          ],
        },
      }),
    },
  );
  return { server, state };
}

describe('connected accounts', () => {
  it('builds the connect URL under the workspace', () => {
    expect(connectURL('acme', 'gh', '/t/acme/security?connected=gh')).toBe(
      '/t/acme/auth/social/gh/connect?return_to=%2Ft%2Facme%2Fsecurity%3Fconnected%3Dgh',
    );
  });

  it('lists connections without tokens, connects others, and disconnects', async () => {
    const user = userEvent.setup();
    const { server } = annWithConnections([{ provider: 'gh', scopes: ['repo', 'read:user'] }]);
    renderApp('/t/acme/security?connected=gh');
    const section = within((await screen.findByRole('heading', { name: 'Connected accounts' })).closest('section')!);
    expect(await section.findByText('Connected your GitHub account.')).toBeInTheDocument();
    const row = (await section.findByText('repo read:user')).closest('tr')!;
    expect(within(row).getByText('GitHub')).toBeInTheDocument();
    // Only providers not yet connected get a Connect button.
    expect(section.queryByRole('link', { name: 'Connect GitHub' })).not.toBeInTheDocument();
    expect(section.getByRole('link', { name: 'Connect GitLab' })).toHaveAttribute(
      'href',
      '/t/acme/auth/social/gl/connect?return_to=%2Ft%2Facme%2Fsecurity%3Fconnected%3Dgl',
    );
    await user.click(within(row).getByRole('button', { name: 'Disconnect GitHub' }));
    await user.click(section.getByRole('button', { name: 'Confirm disconnect' }));
    expect(await section.findByText('Disconnected your GitHub account.')).toBeInTheDocument();
    expect(await section.findByText('No connected accounts.')).toBeInTheDocument();
    expect(server.callsTo('DisconnectAccount').map((c) => [c.variables, c.csrfToken])).toEqual([[{ provider: 'gh' }, 'csrf-1']]);
    expect(section.getByRole('link', { name: 'Connect GitHub' })).toBeInTheDocument();
  });
});
