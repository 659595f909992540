import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { getSession, lastWorkspaceKey } from '../auth/session';
import { annHuman, annSignedIn, mockServer, problem, renderApp, viewerHandler } from '../test/server';

const overview = {
  tenant: {
    id: '4294967297',
    slug: 'acme',
    name: 'Acme',
    createdAt: '2026-11-20T10:00:00Z',
    settings: {
      signUpMode: 'open',
      sessionLifetimeMinutes: 720,
      sessionIdleMinutes: 60,
      auditRetentionDays: 365,
      accessTokenMinutes: 0,
      refreshTokenDays: 0,
      idTokenMinutes: 0,
    },
  },
};
const dashboard = {
  WorkspaceViewer: viewerHandler(annHuman),
  Overview: () => ({ data: overview }),
  OverviewCounts: () => ({ data: { members: { totalCount: 1 }, apiTokens: { totalCount: 0 }, auditEvents: { totalCount: 3 } } }),
};

async function fillAndSubmit(email: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
  return user;
}

describe('hosted sign-in page', () => {
  it('is a plain, labelled form with the right autocomplete hints', () => {
    mockServer({});
    renderApp('/t/acme/signin');
    const email = screen.getByLabelText('Email');
    const password = screen.getByLabelText('Password');
    expect(email).toHaveAttribute('type', 'email');
    expect(email).toHaveAttribute('autocomplete', 'username webauthn');
    expect(email).toHaveFocus();
    expect(password).toHaveAttribute('type', 'password');
    expect(password).toHaveAttribute('autocomplete', 'current-password');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveAttribute('type', 'submit');
    expect(screen.getByRole('link', { name: 'Forgot your password?' })).toHaveAttribute('href', '/t/acme/forgot-password');
    expect(screen.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', '/t/acme/signup');
    expect(screen.getByRole('link', { name: 'Sign in with an API token' })).toHaveAttribute('href', '/signin/token');
  });

  it('posts email and password, keeps the CSRF token in memory, opens the dashboard and sends X-CSRF-Token to GraphQL', async () => {
    const server = mockServer(dashboard, { 'POST signin': () => ({ status: 200, body: annSignedIn('csrf-abc') }) });
    renderApp('/t/acme/signin');
    await fillAndSubmit('  ann@acme.test ', 'correct horse battery staple');

    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    const [call] = server.authCallsTo('POST', 'signin');
    expect(call?.url).toBe('/t/acme/auth/signin');
    expect(call?.body).toEqual({ email: 'ann@acme.test', password: 'correct horse battery staple' });
    expect(call?.credentials).toBe('same-origin');

    expect(await screen.findByRole('heading', { level: 1, name: 'Acme' })).toBeInTheDocument();
    const graphql = server.callsTo('WorkspaceViewer')[0];
    expect(graphql?.csrfToken).toBe('csrf-abc');
    expect(graphql?.authorization).toBeUndefined();
    expect(graphql?.credentials).toBe('same-origin');
    expect(screen.getByRole('link', { name: 'My account' })).toHaveAttribute('href', '/t/acme/account');
    // Nothing secret is stored: the cookie is HttpOnly, the CSRF token only in memory.
    expect(sessionStorage.length).toBe(0);
    expect(localStorage.getItem(lastWorkspaceKey)).toBe('acme');
    expect(JSON.stringify(localStorage)).not.toContain('csrf-abc');
    expect(getSession('acme')).toMatchObject({ kind: 'password', csrfToken: 'csrf-abc' });
  });

  it('shows the server detail on a wrong password and stays', async () => {
    mockServer({}, { 'POST signin': () => problem(401, 'invalid_credentials', 'wrong email or password') });
    renderApp('/t/acme/signin');
    await fillAndSubmit('ann@acme.test', 'nope nope nope');
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
    expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin');
    expect(getSession('acme')).toBeNull();
  });

  it('on 429 says when to try again, from Retry-After', async () => {
    mockServer({}, {
      'POST signin': () => problem(429, 'rate_limited', 'too many attempts; try again later', { 'Retry-After': '900' }),
    });
    renderApp('/t/acme/signin');
    await fillAndSubmit('ann@acme.test', 'guess guess guess');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^Too many attempts\. Try again in 15 minutes \(at \d{1,2}:\d{2}/);
  });

  it('offers to resend the verification link when the address is not verified', async () => {
    const server = mockServer({}, {
      'POST signin': () => problem(403, 'email_not_verified', 'verify your email address first: we sent you a link'),
      'POST resend-verification': () => ({ status: 202, body: { status: 'accepted', message: 'If that address has an unverified account, we sent it a new link.' } }),
    });
    renderApp('/t/acme/signin');
    const user = await fillAndSubmit('new@acme.test', 'a long enough password');
    expect(await screen.findByRole('alert')).toHaveTextContent('Verify your email address first: we sent you a link');
    await user.click(screen.getByRole('button', { name: 'Send the verification link again' }));
    expect(await screen.findByText(/we sent it a new link/)).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'resend-verification')[0]?.body).toEqual({ email: 'new@acme.test' });
  });

  it('goes back to where a signed-out visitor was sent from', async () => {
    mockServer({}, {
      'POST signin': () => ({ status: 200, body: annSignedIn() }),
      'GET sessions': () => ({ status: 200, body: { sessions: [] } }),
    });
    renderApp('/t/acme/account');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    await fillAndSubmit('ann@acme.test', 'correct horse battery staple');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/account'));
  });
});

describe('dashboard sign-in', () => {
  it('asks for the workspace, then opens its sign-in page', async () => {
    mockServer({});
    const user = userEvent.setup();
    renderApp('/signin');
    const workspace = screen.getByLabelText('Workspace');
    expect(workspace).toHaveFocus();
    await user.type(workspace, 'Acme{Enter}');
    expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin');
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('refuses a name that cannot be a workspace, and links to the API-token sign-in', async () => {
    mockServer({});
    const user = userEvent.setup();
    renderApp('/signin');
    await user.type(screen.getByLabelText('Workspace'), 'not a slug{Enter}');
    expect(screen.getByRole('alert')).toHaveTextContent('lower-case letters');
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/signin$/);
    const nav = within(screen.getByRole('navigation', { name: 'More' }));
    await user.click(nav.getByRole('link', { name: 'Sign in with an API token' }));
    expect(screen.getByTestId('location')).toHaveTextContent('/signin/token');
    expect(screen.getByLabelText('API token')).toHaveAttribute('type', 'password');
  });

  it('restores a cookie session after a reload, from GET session', async () => {
    const server = mockServer(dashboard, { 'GET session': () => ({ status: 200, body: annSignedIn('csrf-restored') }) });
    renderApp('/w/acme');
    expect(await screen.findByRole('heading', { level: 1, name: 'Acme' })).toBeInTheDocument();
    expect(server.authCallsTo('GET', 'session')).toHaveLength(1);
    // The layout's own query can render the heading before the page's
    // query is sent: wait for it rather than race it.
    await waitFor(() => expect(server.callsTo('Overview')[0]?.csrfToken).toBe('csrf-restored'));
  });

  it('signs out of a cookie session with the CSRF header and lands on the workspace sign-in page', async () => {
    const server = mockServer(dashboard, {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-9') }),
      'POST signout': () => ({ status: 204 }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme');
    await user.click(await screen.findByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    expect(server.authCallsTo('POST', 'signout')[0]?.csrfToken).toBe('csrf-9');
    expect(screen.getByText('You are signed out.')).toBeInTheDocument();
    expect(getSession('acme')).toBeNull();
  });
});
