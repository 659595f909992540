import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

const stripe = {
  id: '38654705665',
  name: 'stripe',
  kind: 'api_key',
  ownerKind: 'workspace',
  ownerID: null,
  provider: '',
  expiresAt: null,
  lastUsedAt: '2026-11-24T13:00:00Z',
  rotatedAt: null,
  revokedAt: null,
  createdAt: '2026-11-24T12:00:00Z',
};

describe('vault page', () => {
  it('stores a credential, clears the secret and never shows it', async () => {
    signedIn();
    let stored = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Credentials: () => ({ data: { credentials: stored ? [stripe] : [] } }),
      CreateCredential: () => {
        stored = true;
        return { data: { createCredential: { id: stripe.id, name: 'stripe' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/vault');
    await screen.findByText('0 credentials');
    expect(screen.getByRole('navigation', { name: 'Workspace' })).toHaveTextContent('Vault');

    await user.type(screen.getByLabelText('Name'), 'stripe');
    const secret = screen.getByLabelText('API key');
    expect(secret).toHaveAttribute('type', 'password');
    await user.type(secret, 'sk_live_the_secret');
    await user.click(screen.getByRole('button', { name: 'Store credential' }));

    expect(await screen.findByText('1 credential')).toBeInTheDocument();
    expect(server.callsTo('CreateCredential')[0]?.variables).toEqual({
      input: { name: 'stripe', kind: 'api_key', token: 'sk_live_the_secret' },
    });
    expect(screen.getByLabelText('API key')).toHaveValue('');
    expect(document.body.innerHTML).not.toContain('sk_live_the_secret');
    const row = screen.getByRole('row', { name: /stripe/ });
    expect(row).toHaveTextContent('API key');
    expect(row).toHaveTextContent('Workspace');
    expect(row).toHaveTextContent('Active');
  });

  it('sends basic auth as a username and password', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Credentials: () => ({ data: { credentials: [] } }),
      CreateCredential: () => ({ data: { createCredential: { id: '1', name: 'legacy' } } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/vault');
    await screen.findByText('0 credentials');
    await user.type(screen.getByLabelText('Name'), 'legacy');
    await user.selectOptions(screen.getByLabelText('Kind'), 'basic');
    await user.type(screen.getByLabelText('Username'), 'svc');
    await user.type(screen.getByLabelText('Password'), 'pw-secret');
    await user.click(screen.getByRole('button', { name: 'Store credential' }));
    await screen.findByText('Stored legacy.');
    expect(server.callsTo('CreateCredential')[0]?.variables).toEqual({
      input: { name: 'legacy', kind: 'basic', username: 'svc', password: 'pw-secret' },
    });
  });

  it('rotates and revokes a credential', async () => {
    signedIn();
    let revoked = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Credentials: () => ({
        data: { credentials: [{ ...stripe, revokedAt: revoked ? '2026-11-24T14:00:00Z' : null }] },
      }),
      RotateCredential: () => ({ data: { rotateCredential: { id: stripe.id, rotatedAt: '2026-11-24T13:30:00Z' } } }),
      RevokeCredential: () => {
        revoked = true;
        return { data: { revokeCredential: { id: stripe.id, revokedAt: '2026-11-24T14:00:00Z' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/vault');
    await screen.findByText('1 credential');

    await user.click(screen.getByRole('button', { name: 'Rotate stripe' }));
    const form = screen.getByRole('form', { name: 'Rotate stripe' });
    const input = within(form).getByLabelText('New value of stripe');
    expect(input).toHaveAttribute('type', 'password');
    await user.type(input, 'sk_live_new_secret');
    await user.click(within(form).getByRole('button', { name: 'Save new value' }));
    await screen.findByText('Rotated stripe.');
    expect(server.callsTo('RotateCredential')[0]?.variables).toEqual({ id: stripe.id, input: { token: 'sk_live_new_secret' } });
    expect(document.body.innerHTML).not.toContain('sk_live_new_secret');

    await user.click(screen.getByRole('button', { name: 'Revoke stripe' }));
    await user.click(screen.getByRole('button', { name: 'Confirm revoke' }));
    await screen.findByText('Revoked stripe.');
    expect(server.callsTo('RevokeCredential')).toHaveLength(1);
    expect(await screen.findByText('Revoked')).toBeInTheDocument();
  });
});
