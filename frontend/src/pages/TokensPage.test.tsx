import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { connection, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

const ciToken = {
  id: '17179869186',
  name: 'ci',
  role: 'member',
  prefix: 'mdt_ab12',
  createdBy: '8589934593',
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
  createdAt: '2026-11-24T12:00:00Z',
};

describe('API tokens page', () => {
  it('creates a token and shows its secret once, with a warning', async () => {
    signedIn();
    let created = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      APITokens: () => ({ data: { apiTokens: connection(created ? [ciToken] : [], { hasNextPage: false, endCursor: null }) } }),
      CreateAPIToken: () => {
        created = true;
        return { data: { createAPIToken: { token: 'mdt_ab12_the_secret', apiToken: { ...ciToken } } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/tokens');
    await screen.findByText('0 tokens');

    await user.type(screen.getByLabelText('Name'), 'ci');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    const box = await screen.findByRole('region', { name: /Token “ci” created/ });
    expect(within(box).getByLabelText('New API token')).toHaveValue('mdt_ab12_the_secret');
    expect(box).toHaveTextContent('you will not see it again');
    expect(server.callsTo('CreateAPIToken')[0]?.variables).toEqual({ input: { name: 'ci', role: 'member', expiresAt: null } });
    expect(await screen.findByText('mdt_ab12')).toBeInTheDocument();

    await user.click(within(box).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('region', { name: /created/ })).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('mdt_ab12_the_secret');
  });

  it('revokes a token after confirmation', async () => {
    signedIn();
    let revoked = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      APITokens: () => ({
        data: {
          apiTokens: connection([{ ...ciToken, revokedAt: revoked ? '2026-11-24T13:00:00Z' : null }], {
            hasNextPage: false,
            endCursor: null,
          }),
        },
      }),
      RevokeAPIToken: (v) => {
        revoked = true;
        return { data: { revokeAPIToken: { id: v.id, revokedAt: '2026-11-24T13:00:00Z' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/tokens');
    await user.click(await screen.findByRole('button', { name: 'Revoke ci' }));
    expect(server.callsTo('RevokeAPIToken')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Confirm revoke' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Revoke ci' })).not.toBeInTheDocument());
    expect(server.callsTo('RevokeAPIToken')[0]?.variables).toEqual({ id: ciToken.id });
    expect(screen.getByText('Revoked ci.')).toBeInTheDocument();
  });
});
