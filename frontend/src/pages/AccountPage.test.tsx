import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { SessionRow } from '../api/auth';
import { getSession } from '../auth/session';
import { annSignedIn, graphQLError, mockServer, problem, renderApp, signedIn, type AuthAnswer } from '../test/server';
import { annID, fleet, grant, samID } from '../test/agents';
import { describeAgent } from './AccountPage';

const chromeLinux =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const firefoxMac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0';

function row(id: string, current: boolean, userAgent: string, ip: string): SessionRow {
  return {
    id,
    current,
    createdAt: '2026-11-20T10:00:00Z',
    lastSeenAt: '2026-11-20T11:00:00Z',
    expiresAt: '2026-11-20T22:00:00Z',
    ip,
    userAgent,
    amr: ['pwd'],
    authTime: '2026-11-20T10:00:00Z',
  };
}

const notes = { clientID: 'notes-id', name: 'Notes', scopes: ['openid', 'email', 'notes:write'], grantedAt: '2026-11-21T09:00:00Z' };

/** A signed-in Ann (restored from GET session) with two sessions and one connected app. */
function annAccount(
  extra: Record<string, (body: Record<string, unknown> | undefined) => AuthAnswer> = {},
  graphql: Record<string, (variables: Record<string, unknown>) => unknown> = {},
) {
  let sessions = [row('42', true, chromeLinux, '127.0.0.1'), row('57', false, firefoxMac, '192.0.2.7')];
  const server = mockServer({
    ConnectedApps: () => ({ data: { connectedApps: [notes] } }),
    DelegationGrants: () => ({ data: { delegationGrants: [] } }),
    Agents: () => ({ data: { agents: fleet() } }),
    ...graphql,
  }, {
    'GET session': () => ({ status: 200, body: annSignedIn('csrf-1') }),
    'GET sessions': () => ({ status: 200, body: { sessions } }),
    'POST sessions/revoke': (body) => {
      const before = sessions.length;
      sessions = body?.others ? sessions.filter((s) => s.current) : sessions.filter((s) => s.id !== body?.id);
      return { status: 200, body: { revoked: before - sessions.length } };
    },
    ...extra,
  });
  return server;
}

describe('my account', () => {
  it('shows the profile and the sessions, marking this device', async () => {
    annAccount();
    renderApp('/t/acme/account');
    const profile = within(await screen.findByRole('region', { name: 'Profile' }));
    expect(screen.getByRole('heading', { level: 1, name: 'My account' })).toBeInTheDocument();
    expect(profile.getByText('ann@acme.test')).toBeInTheDocument();
    expect(profile.getByText('Ann')).toBeInTheDocument();

    const table = within(await screen.findByRole('table', { name: '2 sessions signed in' }));
    const rows = table.getAllByRole('row').slice(1);
    expect(within(rows[0]!).getByText('This device')).toBeInTheDocument();
    expect(within(rows[0]!).getByText('Chrome on Linux')).toBeInTheDocument();
    expect(within(rows[0]!).queryByRole('button')).not.toBeInTheDocument();
    expect(within(rows[1]!).queryByText('This device')).not.toBeInTheDocument();
    expect(within(rows[1]!).getByText('192.0.2.7')).toBeInTheDocument();
  });

  it('revokes the chosen session by id, with the CSRF header', async () => {
    const server = annAccount();
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    await user.click(await screen.findByRole('button', { name: /^Sign out Firefox on macOS/ }));
    expect(await screen.findByText('Signed out Firefox on macOS (192.0.2.7).')).toBeInTheDocument();
    const [call] = server.authCallsTo('POST', 'sessions/revoke');
    expect(call?.body).toEqual({ id: '57' });
    expect(call?.csrfToken).toBe('csrf-1');
    expect(await screen.findByText('1 session signed in')).toBeInTheDocument();
  });

  it('signs out every other session', async () => {
    const server = annAccount();
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    await screen.findByText('2 sessions signed in');
    await user.click(screen.getByRole('button', { name: 'Sign out all other sessions' }));
    expect(await screen.findByText('1 session signed in')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'sessions/revoke')[0]).toMatchObject({ body: { others: true }, csrfToken: 'csrf-1' });
    expect(screen.getByRole('button', { name: 'Sign out all other sessions' })).toBeDisabled();
  });

  it('changes the password and uses the new CSRF token from then on', async () => {
    const server = annAccount({ 'POST change-password': () => ({ status: 200, body: { status: 'password_changed', csrfToken: 'csrf-2' } }) });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const form = within(await screen.findByRole('form', { name: 'Change password' }));
    expect(form.getByLabelText('Current password')).toHaveAttribute('autocomplete', 'current-password');
    expect(form.getByLabelText('New password')).toHaveAttribute('autocomplete', 'new-password');
    await user.type(form.getByLabelText('Current password'), 'correct horse battery staple');
    await user.type(form.getByLabelText('New password'), 'an even better passphrase');
    await user.click(form.getByRole('button', { name: 'Change password' }));
    expect(await form.findByText('Password changed. Your other sessions were signed out.')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'change-password')[0]).toMatchObject({
      body: { password: 'correct horse battery staple', newPassword: 'an even better passphrase' },
      csrfToken: 'csrf-1',
    });
    expect(form.getByLabelText('Current password')).toHaveValue('');

    await user.click(screen.getByRole('button', { name: 'Sign out all other sessions' }));
    await waitFor(() => expect(server.authCallsTo('POST', 'sessions/revoke')[0]?.csrfToken).toBe('csrf-2'));
  });

  it('shows a wrong current password', async () => {
    annAccount({ 'POST change-password': () => problem(401, 'invalid_credentials', 'wrong password') });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const form = within(await screen.findByRole('form', { name: 'Change password' }));
    await user.type(form.getByLabelText('Current password'), 'wrong');
    await user.type(form.getByLabelText('New password'), 'an even better passphrase');
    await user.click(form.getByRole('button', { name: 'Change password' }));
    expect(await form.findByRole('alert')).toHaveTextContent('Wrong password.');
    // A wrong password is not an ended session: still here.
    expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/account');
  });

  it('asks for a new address with the password', async () => {
    const server = annAccount({
      'POST change-email': () => ({ status: 202, body: { status: 'accepted', message: 'We sent a link to the new address: your address changes when you follow it.' } }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const form = within(await screen.findByRole('form', { name: 'Change email' }));
    expect(form.getByLabelText('New email address')).toHaveAttribute('type', 'email');
    await user.type(form.getByLabelText('New email address'), 'ann@new.test');
    await user.type(form.getByLabelText('Your password'), 'correct horse battery staple');
    await user.click(form.getByRole('button', { name: 'Send a confirmation link' }));
    expect(await form.findByText(/We sent a link to the new address/)).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'change-email')[0]).toMatchObject({
      body: { newEmail: 'ann@new.test', password: 'correct horse battery staple' },
      csrfToken: 'csrf-1',
    });
  });

  it('deletes the account only after confirming with the password', async () => {
    const server = annAccount({ 'POST delete-account': () => ({ status: 204 }) });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    await user.click(await screen.findByRole('button', { name: 'Delete my account…' }));
    expect(server.authCallsTo('POST', 'delete-account')).toHaveLength(0);
    const confirm = within(screen.getByRole('form', { name: 'Confirm deleting your account' }));
    expect(confirm.getByLabelText('Your password, to confirm')).toHaveFocus();
    await user.type(confirm.getByLabelText('Your password, to confirm'), 'correct horse battery staple');
    await user.click(confirm.getByRole('button', { name: 'Delete my account permanently' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    expect(server.authCallsTo('POST', 'delete-account')[0]).toMatchObject({
      body: { password: 'correct horse battery staple' },
      csrfToken: 'csrf-1',
    });
    expect(screen.getByText('Your account is deleted.')).toBeInTheDocument();
    expect(getSession('acme')).toBeNull();
  });

  it('signs out with the CSRF header', async () => {
    const server = annAccount({ 'POST signout': () => ({ status: 204 }) });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    await screen.findByText('2 sessions signed in');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    expect(server.authCallsTo('POST', 'signout')[0]?.csrfToken).toBe('csrf-1');
    expect(screen.getByLabelText('Email')).toHaveValue('ann@acme.test');
  });

  it('lists the connected apps and revokes one after confirmation', async () => {
    let connected = [notes];
    const server = annAccount({}, {
      ConnectedApps: () => ({ data: { connectedApps: connected } }),
      RevokeConnectedApp: () => {
        connected = [];
        return { data: { revokeConnectedApp: true } };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const section = within(await screen.findByRole('region', { name: 'Connected apps' }));
    const app = within(await section.findByRole('row', { name: /^Notes/ }));
    expect(section.getByText('1 app connected')).toBeInTheDocument();
    expect(app.getByText('notes:write')).toBeInTheDocument();
    expect(app.getByText('email')).toBeInTheDocument();
    expect(app.getByRole('time')).toHaveAttribute('datetime', '2026-11-21T09:00:00.000Z');

    await user.click(app.getByRole('button', { name: 'Revoke Notes' }));
    expect(server.callsTo('RevokeConnectedApp')).toHaveLength(0);
    const confirm = within(section.getByRole('group', { name: 'Confirm revoking Notes' }));
    expect(confirm.getByText('Revoke Notes? It loses every token it holds for you.')).toBeInTheDocument();
    expect(confirm.getByRole('button', { name: 'Confirm revoke' })).toHaveFocus();
    await user.click(confirm.getByRole('button', { name: 'Confirm revoke' }));

    expect(await section.findByText('Revoked access for Notes: it can no longer use your account.')).toBeInTheDocument();
    expect(await section.findByText('No app can use your account.')).toBeInTheDocument();
    const [call] = server.callsTo('RevokeConnectedApp');
    expect(call?.variables).toEqual({ clientID: 'notes-id' });
    expect(call?.csrfToken).toBe('csrf-1');
  });

  it('shows a failed revocation and keeps the app', async () => {
    annAccount({}, { RevokeConnectedApp: () => graphQLError('no such connected app', 'NOT_FOUND') });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const section = within(await screen.findByRole('region', { name: 'Connected apps' }));
    await user.click(await section.findByRole('button', { name: 'Revoke Notes' }));
    await user.click(section.getByRole('button', { name: 'Confirm revoke' }));
    expect(await section.findByRole('alert')).toHaveTextContent('no such connected app');
    await user.click(section.getByRole('button', { name: 'Cancel' }));
    expect(section.queryByRole('alert')).not.toBeInTheDocument();
    expect(section.getByRole('row', { name: /^Notes/ })).toBeInTheDocument();
  });

  it('lists the agents acting for me and revokes one after confirmation', async () => {
    let grants = [
      grant({ id: '301', userID: annID, agentID: '102', scopes: ['invoices:read', 'invoices:write'], expiresAt: '2099-01-01T00:00:00Z' }),
      grant({ id: '302', userID: annID, agentID: '101', status: 'revoked', revokedAt: '2026-11-26T10:00:00Z' }),
      // Sam's grant to an agent Ann sponsors: the server lists it, but it is not Ann's own.
      grant({ id: '303', userID: samID, agentID: '103' }),
    ];
    const server = annAccount({}, {
      DelegationGrants: () => ({ data: { delegationGrants: grants } }),
      RevokeDelegationGrant: (v) => {
        grants = grants.map((g) => (g.id === v.id ? { ...g, status: 'revoked', revokedAt: '2026-11-27T08:00:00Z' } : g));
        return { data: { revokeDelegationGrant: { id: v.id, status: 'revoked', revokedAt: '2026-11-27T08:00:00Z' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const section = within(await screen.findByRole('region', { name: 'Agents acting for me' }));
    expect(await section.findByText('2 grants to agents')).toBeInTheDocument();
    expect(section.queryByText('Scraper')).not.toBeInTheDocument();
    const researcher = within(await section.findByRole('row', { name: /^Researcher/ }));
    expect(researcher.getByText('invoices:write')).toBeInTheDocument();
    expect(researcher.getByText('active')).toBeInTheDocument();
    expect(researcher.getAllByRole('time')[1]).toHaveAttribute('datetime', '2099-01-01T00:00:00.000Z');
    const planner = within(section.getByRole('row', { name: /^Planner/ }));
    expect(planner.getByText('revoked')).toBeInTheDocument();
    expect(planner.queryByRole('button')).not.toBeInTheDocument();

    await user.click(researcher.getByRole('button', { name: 'Revoke Researcher' }));
    expect(server.callsTo('RevokeDelegationGrant')).toHaveLength(0);
    const confirm = within(section.getByRole('group', { name: 'Confirm revoking Researcher' }));
    expect(confirm.getByText('Stop Researcher acting for you? Its tokens for you stop working at once.')).toBeInTheDocument();
    expect(confirm.getByRole('button', { name: 'Confirm revoke' })).toHaveFocus();
    await user.click(confirm.getByRole('button', { name: 'Confirm revoke' }));

    expect(await section.findByText('Revoked Researcher: it can no longer act for you.')).toBeInTheDocument();
    await waitFor(() => expect(researcher.getByText('revoked')).toBeInTheDocument());
    expect(researcher.queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
    const [call] = server.callsTo('RevokeDelegationGrant');
    expect(call?.variables).toEqual({ id: '301' });
    expect(call?.csrfToken).toBe('csrf-1');
  });

  it('narrows what an agent may do for me: fewer scopes and an earlier expiry', async () => {
    let grants = [grant({ id: '301', userID: annID, agentID: '102', scopes: ['invoices:read', 'invoices:write'], expiresAt: '2099-01-01T00:00:00Z' })];
    const server = annAccount({}, {
      DelegationGrants: () => ({ data: { delegationGrants: grants } }),
      NarrowDelegationGrant: (v) => {
        grants = grants.map((g) =>
          g.id === v.id ? { ...g, scopes: (v.scopes as string[] | null) ?? g.scopes, expiresAt: (v.expiresAt as string | null) ?? g.expiresAt } : g,
        );
        const { id, scopes, expiresAt, status } = grants[0]!;
        return { data: { narrowDelegationGrant: { id, scopes, expiresAt, status } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const section = within(await screen.findByRole('region', { name: 'Agents acting for me' }));
    const researcher = within(await section.findByRole('row', { name: /^Researcher/ }));
    const open = researcher.getByRole('button', { name: 'Narrow Researcher' });
    expect(open).toHaveAttribute('aria-expanded', 'false');
    await user.click(open);
    expect(open).toHaveAttribute('aria-expanded', 'true');
    const form = within(section.getByRole('form', { name: 'Narrow Researcher' }));
    const read = form.getByRole('checkbox', { name: 'invoices:read' });
    const write = form.getByRole('checkbox', { name: 'invoices:write' });
    expect(read).toBeChecked();
    expect(write).toBeChecked();
    expect(read).toHaveFocus();
    const expires = form.getByLabelText('Expires');
    expect(new Date((expires as HTMLInputElement).value).toISOString()).toBe('2099-01-01T00:00:00.000Z');

    // Mistakes are explained before anything is sent.
    await user.click(form.getByRole('button', { name: 'Save narrowing' }));
    expect(form.getByRole('alert')).toHaveTextContent('Nothing to narrow: untick a scope or pick an earlier expiry.');
    await user.click(read);
    await user.click(write);
    await user.clear(expires);
    await user.type(expires, '2099-06-01T12:00');
    await user.click(form.getByRole('button', { name: 'Save narrowing' }));
    const problems = form.getByRole('alert');
    expect(problems).toHaveTextContent('Keep at least one scope. To take them all back, revoke the grant instead.');
    expect(problems).toHaveTextContent('The new expiry cannot be later than the current one: a grant can only be narrowed.');
    expect(server.callsTo('NarrowDelegationGrant')).toHaveLength(0);

    await user.click(read);
    await user.clear(expires);
    await user.type(expires, '2098-06-01T12:00');
    await user.click(form.getByRole('button', { name: 'Save narrowing' }));
    expect(await section.findByText('Narrowed what Researcher may do for you.')).toBeInTheDocument();
    const [call] = server.callsTo('NarrowDelegationGrant');
    expect(call?.variables).toEqual({ id: '301', scopes: ['invoices:read'], expiresAt: new Date('2098-06-01T12:00').toISOString() });
    expect(call?.csrfToken).toBe('csrf-1');
    expect(section.queryByRole('form', { name: 'Narrow Researcher' })).not.toBeInTheDocument();
    await waitFor(() => expect(researcher.queryByText('invoices:write')).not.toBeInTheDocument());
    expect(researcher.getByText('invoices:read')).toBeInTheDocument();
    expect(researcher.getAllByRole('time')[1]).toHaveAttribute('datetime', new Date('2098-06-01T12:00').toISOString());
  });

  it('shows a refused narrowing in its form, and cancels', async () => {
    const server = annAccount({}, {
      DelegationGrants: () => ({
        data: { delegationGrants: [grant({ id: '301', userID: annID, agentID: '102', scopes: ['invoices:read', 'invoices:write'] })] },
      }),
      NarrowDelegationGrant: () => graphQLError('the grant is revoked: there is nothing left to narrow', 'CONFLICT'),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/account');
    const section = within(await screen.findByRole('region', { name: 'Agents acting for me' }));
    const researcher = within(await section.findByRole('row', { name: /^Researcher/ }));
    await user.click(researcher.getByRole('button', { name: 'Narrow Researcher' }));
    const form = within(section.getByRole('form', { name: 'Narrow Researcher' }));
    await user.click(form.getByRole('checkbox', { name: 'invoices:write' }));
    await user.click(form.getByRole('button', { name: 'Save narrowing' }));
    expect(await form.findByRole('alert')).toHaveTextContent('the grant is revoked: there is nothing left to narrow');
    expect(server.callsTo('NarrowDelegationGrant')[0]?.variables).toEqual({ id: '301', scopes: ['invoices:read'], expiresAt: null });
    await user.click(form.getByRole('button', { name: 'Cancel' }));
    expect(section.queryByRole('form', { name: 'Narrow Researcher' })).not.toBeInTheDocument();
    expect(researcher.getByRole('button', { name: 'Narrow Researcher' })).toHaveFocus();
  });

  it('says when no agent acts for me', async () => {
    annAccount();
    renderApp('/t/acme/account');
    const section = within(await screen.findByRole('region', { name: 'Agents acting for me' }));
    expect(await section.findByText('No agent can act for you.')).toBeInTheDocument();
  });

  it('goes to sign-in when the session has ended elsewhere', async () => {
    mockServer({}, {
      'GET session': () => ({ status: 200, body: annSignedIn() }),
      'GET sessions': () => problem(401, 'no_session', 'sign in first'),
    });
    renderApp('/t/acme/account');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    expect(screen.getByRole('alert')).toHaveTextContent('Sign in first.');
  });

  it('sends a visitor without a session to sign-in', async () => {
    mockServer({});
    renderApp('/t/acme/account');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
  });

  it('explains that an API token has no account', async () => {
    signedIn();
    const server = mockServer({});
    renderApp('/t/acme/account');
    expect(screen.getByText(/signed in with an API token/)).toBeInTheDocument();
    expect(server.authCalls).toHaveLength(0);
  });
});

describe('describeAgent', () => {
  it.each([
    [chromeLinux, 'Chrome on Linux'],
    [firefoxMac, 'Firefox on macOS'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Headless Chrome on Linux'],
    ['curl/8.5.0', 'curl'],
    ['', 'Unknown device'],
  ])('%s → %s', (agent, expected) => {
    expect(describeAgent(agent)).toBe(expected);
  });
});
