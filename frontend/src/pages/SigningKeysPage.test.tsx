import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';
import { keyState } from './SigningKeysPage';

const hour = 3_600_000;
const iso = (offset: number) => new Date(Date.now() + offset).toISOString();

const current = { kid: 'kid-current', alg: 'ES256', activatesAt: iso(-48 * hour), supersededAt: null, unpublishAt: null };
const old = { kid: 'kid-old', alg: 'ES256', activatesAt: iso(-96 * hour), supersededAt: iso(-48 * hour), unpublishAt: iso(-24 * hour) };

describe('signing keys page', () => {
  it('lists the keys with their dates and state, and rotates as an owner', async () => {
    signedIn();
    let keys = [current, old];
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      SigningKeys: () => ({ data: { signingKeys: keys } }),
      RotateSigningKey: (v) => {
        const next = { kid: 'kid-next', alg: v.alg as string, activatesAt: iso(30 * 60_000), supersededAt: null, unpublishAt: null };
        keys = [next, { ...current, supersededAt: next.activatesAt, unpublishAt: iso(25 * hour) }, old];
        return { data: { rotateSigningKey: { kid: next.kid, alg: next.alg, activatesAt: next.activatesAt } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/signing-keys');
    expect(await screen.findByText('2 keys, newest first')).toBeInTheDocument();
    const currentRow = within(screen.getByRole('row', { name: /kid-current/ }));
    expect(currentRow.getByText('Signing')).toBeInTheDocument();
    expect(currentRow.getByText('No')).toBeInTheDocument();
    expect(currentRow.getByText('Not scheduled')).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: /kid-old/ })).getByText('Retired')).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('Algorithm'), 'RS256');
    await user.clear(screen.getByLabelText('Publish first for (minutes)'));
    await user.type(screen.getByLabelText('Publish first for (minutes)'), '30');
    await user.click(screen.getByRole('button', { name: 'Rotate key' }));
    expect(await screen.findByText(/^Added RS256 key kid-next: published now, signing from/)).toBeInTheDocument();
    expect(server.callsTo('RotateSigningKey')[0]?.variables).toEqual({ alg: 'RS256', publishForMinutes: 30 });
    expect(await screen.findByText('3 keys, newest first')).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: /kid-next/ })).getByText('Published, not signing yet')).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: /kid-current/ })).getByText('Signing until the next key')).toBeInTheDocument();
  });

  it('shows why an admin who is not an owner cannot rotate', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'admin' }),
      SigningKeys: () => ({ data: { signingKeys: [current] } }),
      RotateSigningKey: () => graphQLError('only an owner can rotate signing keys', 'FORBIDDEN'),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/signing-keys');
    expect(await screen.findByText('Only owners can rotate the signing key.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Rotate key' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('only an owner can rotate signing keys');
  });

  it('refuses a publish time out of range before asking the server', async () => {
    signedIn();
    const server = mockServer({ WorkspaceViewer: viewerHandler(), SigningKeys: () => ({ data: { signingKeys: [] } }) });
    const user = userEvent.setup();
    renderApp('/w/acme/signing-keys');
    await screen.findByText('0 keys, newest first');
    await user.clear(screen.getByLabelText('Publish first for (minutes)'));
    await user.type(screen.getByLabelText('Publish first for (minutes)'), '20000');
    await user.click(screen.getByRole('button', { name: 'Rotate key' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('0 to 10080 minutes');
    expect(server.callsTo('RotateSigningKey')).toHaveLength(0);
  });
});

describe('keyState', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it.each([
    [{ activatesAt: '2026-11-24T12:10:00Z' }, 'Published, not signing yet'],
    [{ activatesAt: '2026-11-24T11:00:00Z' }, 'Signing'],
    [{ activatesAt: '2026-11-24T11:00:00Z', supersededAt: '2026-11-24T12:10:00Z' }, 'Signing until the next key'],
    [{ activatesAt: '2026-11-24T10:00:00Z', supersededAt: '2026-11-24T11:00:00Z', unpublishAt: '2026-11-25T11:00:00Z' }, 'Verifying only'],
    [{ activatesAt: '2026-11-23T10:00:00Z', supersededAt: '2026-11-23T11:00:00Z', unpublishAt: '2026-11-24T11:00:00Z' }, 'Retired'],
  ])('%o → %s', (dates, expected) => {
    expect(keyState({ kid: 'k', alg: 'ES256', supersededAt: null, unpublishAt: null, ...dates }, now)).toBe(expected);
  });
});
