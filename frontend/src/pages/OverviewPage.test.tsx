import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

const tenant = {
  id: '4294967297',
  slug: 'acme',
  name: 'Acme',
  createdAt: '2026-11-20T10:00:00Z',
  settings: {
    signUpMode: 'invite_only',
    sessionLifetimeMinutes: 720,
    sessionIdleMinutes: 60,
    auditRetentionDays: 365,
    accessTokenMinutes: 0,
    refreshTokenDays: 14,
    idTokenMinutes: 0,
  },
};

const counts = () => ({
  data: { members: { totalCount: 3 }, apiTokens: { totalCount: 2 }, auditEvents: { totalCount: 41 } },
});

// The settings form has many fields to type into: slow in jsdom on a busy machine.
describe('workspace overview', { timeout: 15_000 }, () => {
  it('shows the workspace, counts and lets an admin save settings', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Overview: () => ({ data: { tenant } }),
      OverviewCounts: counts,
      UpdateTenantSettings: (v) => {
        const { name, ...settings } = v.input as { name: string } & typeof tenant.settings;
        return { data: { updateTenantSettings: { ...tenant, name, settings } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme');

    expect(await screen.findByRole('heading', { level: 1, name: 'Acme' })).toBeInTheDocument();
    expect(await screen.findByText('41')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '3 Members' })).toHaveAttribute('href', '/w/acme/members');
    expect(screen.getByRole('link', { name: '41 Audit events' })).toHaveAttribute('href', '/w/acme/audit');

    const lifetime = await screen.findByLabelText('Session lifetime (minutes)');
    expect(lifetime).toHaveValue(720);
    await user.selectOptions(screen.getByLabelText('Sign-up mode'), 'closed');
    await user.clear(lifetime);
    await user.type(lifetime, '60');
    const idle = screen.getByLabelText('Sign out after idle (minutes)');
    expect(idle).toHaveValue(60);
    await user.clear(idle);
    await user.type(idle, '15');
    await user.clear(screen.getByLabelText('Audit retention (days, 0 keeps forever)'));
    await user.type(screen.getByLabelText('Audit retention (days, 0 keeps forever)'), '0');
    const access = screen.getByLabelText('Access token lifetime (minutes, 0 for the default 15)');
    expect(access).toHaveValue(0);
    await user.clear(access);
    await user.type(access, '5');
    expect(screen.getByLabelText('Refresh token lifetime (days, 0 for the default 30)')).toHaveValue(14);
    const idToken = screen.getByLabelText('ID token lifetime (minutes, 0 for the default 60)');
    await user.clear(idToken);
    await user.type(idToken, '10');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(server.callsTo('UpdateTenantSettings')[0]?.variables).toEqual({
      input: {
        name: 'Acme',
        signUpMode: 'closed',
        sessionLifetimeMinutes: 60,
        sessionIdleMinutes: 15,
        auditRetentionDays: 0,
        accessTokenMinutes: 5,
        refreshTokenDays: 14,
        idTokenMinutes: 10,
      },
    });
  });

  it('shows settings read-only to members and a FORBIDDEN message clearly', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }),
      Overview: () => ({ data: { tenant } }),
      OverviewCounts: () => graphQLError('members cannot read the audit log', 'FORBIDDEN'),
    });
    renderApp('/w/acme');
    expect(await screen.findByText('Invite only')).toBeInTheDocument();
    expect(screen.getByText('Access token lifetime').nextSibling).toHaveTextContent('Default (15 minutes)');
    expect(screen.getByText('Refresh token lifetime').nextSibling).toHaveTextContent('14 days');
    expect(screen.queryByRole('button', { name: 'Save settings' })).not.toBeInTheDocument();
    expect(await screen.findByText(/Counts unavailable: members cannot read the audit log/)).toBeInTheDocument();
  });

  it('signs out of an API token: forgets it and returns to the token sign-in', async () => {
    signedIn();
    mockServer({ WorkspaceViewer: viewerHandler(), Overview: () => ({ data: { tenant } }), OverviewCounts: counts });
    const user = userEvent.setup();
    renderApp('/w/acme');
    await user.click(await screen.findByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/signin/token'));
    expect(sessionStorage.length).toBe(0);
    expect(screen.getByLabelText('Workspace')).toHaveValue('acme');
  });

  it('sends a visitor without a session to the workspace sign-in page', async () => {
    const server = mockServer({});
    renderApp('/w/acme/members');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    expect(server.authCallsTo('GET', 'session')).toHaveLength(1);
    expect(screen.getByLabelText('Email')).toHaveAttribute('autocomplete', 'username webauthn');
  });
});
