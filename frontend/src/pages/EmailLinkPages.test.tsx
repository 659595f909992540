// The pages opened from emailed links, and the two that mail them.
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { annSignedIn, mockServer, problem, renderApp } from '../test/server';

describe('sign-up page', () => {
  it('posts name, email and password, then says to check the inbox', async () => {
    const server = mockServer({}, {
      'POST signup': () => ({ status: 202, body: { status: 'accepted', message: 'Check your inbox: we sent a link to finish signing up.' } }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/signup');
    expect(screen.getByLabelText('Email')).toHaveAttribute('type', 'email');
    expect(screen.getByLabelText('Password')).toHaveAttribute('autocomplete', 'new-password');
    await user.type(screen.getByLabelText('Name'), 'Dora');
    await user.type(screen.getByLabelText('Email'), 'dora@acme.test');
    await user.type(screen.getByLabelText('Password'), 'a long enough password');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { name: 'Check your inbox' })).toBeInTheDocument();
    expect(screen.getByText('Check your inbox: we sent a link to finish signing up.')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'signup')[0]?.body).toEqual({
      email: 'dora@acme.test',
      password: 'a long enough password',
      name: 'Dora',
    });
  });

  it('shows why sign-up is refused', async () => {
    mockServer({}, { 'POST signup': () => problem(403, 'invite_only', 'this workspace is invite only') });
    const user = userEvent.setup();
    renderApp('/t/acme/signup');
    await user.type(screen.getByLabelText('Email'), 'dora@acme.test');
    await user.type(screen.getByLabelText('Password'), 'a long enough password');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This workspace is invite only.');
  });
});

describe('verify-email page', () => {
  it('posts the token from the URL once, even under StrictMode, and says it worked', async () => {
    const server = mockServer({}, { 'POST verify-email': () => ({ status: 200, body: { status: 'verified' } }) });
    render(
      <StrictMode>
        <MemoryRouter initialEntries={['/t/acme/verify-email?token=tok-verify-1']}>
          <App />
        </MemoryRouter>
      </StrictMode>,
    );
    expect(await screen.findByText('Your email address is verified. You can sign in now.')).toBeInTheDocument();
    const calls = server.authCallsTo('POST', 'verify-email');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('/t/acme/auth/verify-email');
    expect(calls[0]?.body).toEqual({ token: 'tok-verify-1' });
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/t/acme/signin');
  });

  it('shows why a link failed and offers a new one', async () => {
    const server = mockServer({}, {
      'POST verify-email': () => problem(400, 'invalid_link', 'this link is invalid, expired or already used'),
      'POST resend-verification': () => ({ status: 202, body: { status: 'accepted' } }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/verify-email?token=tok-used');
    expect(await screen.findByRole('alert')).toHaveTextContent('This link is invalid, expired or already used.');
    await user.type(screen.getByLabelText('Email'), 'dora@acme.test');
    await user.click(screen.getByRole('button', { name: 'Send a new link' }));
    await waitFor(() => expect(server.authCallsTo('POST', 'resend-verification')[0]?.body).toEqual({ email: 'dora@acme.test' }));
  });
});

describe('forgot-password page', () => {
  it('posts the address and shows the same answer whoever asks', async () => {
    const server = mockServer({}, {
      'POST forgot-password': () => ({ status: 202, body: { status: 'accepted', message: 'If that address has an account, we sent it a link to reset the password.' } }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/forgot-password');
    await user.type(screen.getByLabelText('Email'), 'ann@acme.test');
    await user.click(screen.getByRole('button', { name: 'Send the link' }));
    expect(await screen.findByText(/we sent it a link to reset the password/)).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'forgot-password')[0]?.body).toEqual({ email: 'ann@acme.test' });
  });
});

describe('reset-password page', () => {
  it('reads the token from the URL and posts it with the new password', async () => {
    const server = mockServer({}, { 'POST reset-password': () => ({ status: 200, body: { status: 'password_reset' } }) });
    const user = userEvent.setup();
    renderApp('/t/acme/reset-password?token=tok%2Freset');
    const field = screen.getByLabelText('New password');
    expect(field).toHaveAttribute('type', 'password');
    expect(field).toHaveAttribute('autocomplete', 'new-password');
    await user.type(field, 'a brand new password');
    await user.click(screen.getByRole('button', { name: 'Set the new password' }));
    expect(await screen.findByText(/Your password is changed/)).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'reset-password')[0]?.body).toEqual({
      token: 'tok/reset',
      newPassword: 'a brand new password',
    });
  });

  it('shows the password rule the server broke, and a way to a new link when the link is spent', async () => {
    let answer = problem(400, 'invalid_input', 'password: too common');
    mockServer({}, { 'POST reset-password': () => answer });
    const user = userEvent.setup();
    renderApp('/t/acme/reset-password?token=abc');
    await user.type(screen.getByLabelText('New password'), 'password1');
    await user.click(screen.getByRole('button', { name: 'Set the new password' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Password: too common.');
    expect(screen.queryByRole('link', { name: 'Ask for a new link' })).not.toBeInTheDocument();

    answer = problem(400, 'invalid_link', 'this link is invalid, expired or already used');
    await user.click(screen.getByRole('button', { name: 'Set the new password' }));
    expect(await screen.findByRole('link', { name: 'Ask for a new link' })).toHaveAttribute('href', '/t/acme/forgot-password');
  });

  it('says so when the link has no token', () => {
    mockServer({});
    renderApp('/t/acme/reset-password');
    expect(screen.getByRole('alert')).toHaveTextContent('This link is incomplete');
    expect(screen.queryByLabelText('New password')).not.toBeInTheDocument();
  });
});

describe('confirm-email page', () => {
  it('posts the token from the URL and confirms', async () => {
    const server = mockServer({}, { 'POST confirm-email': () => ({ status: 200, body: { status: 'email_changed' } }) });
    renderApp('/t/acme/confirm-email?token=tok-mail');
    expect(await screen.findByText(/Your new address is confirmed/)).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'confirm-email')).toHaveLength(1);
    expect(server.authCallsTo('POST', 'confirm-email')[0]?.body).toEqual({ token: 'tok-mail' });
  });
});

describe('accept-invitation page', () => {
  it('posts token, name and password, then offers sign-in', async () => {
    const server = mockServer({}, { 'POST accept-invitation': () => ({ status: 200, body: { status: 'joined' } }) });
    const user = userEvent.setup();
    renderApp('/t/acme/accept-invitation?token=tok-invite');
    await user.type(screen.getByLabelText('Your name'), 'Dora');
    await user.type(screen.getByLabelText('Choose a password'), 'a long enough password');
    await user.click(screen.getByRole('button', { name: 'Join the workspace' }));
    expect(await screen.findByText(/You have joined the workspace/)).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'accept-invitation')[0]?.body).toEqual({
      token: 'tok-invite',
      password: 'a long enough password',
      name: 'Dora',
    });
  });

  it('goes straight to the dashboard if the server signs the new member in', async () => {
    mockServer(
      { WorkspaceViewer: () => ({ data: null, errors: [{ message: 'stop here', extensions: { code: 'INTERNAL' } }] }) },
      { 'POST accept-invitation': () => ({ status: 200, body: annSignedIn('csrf-new') }) },
    );
    const user = userEvent.setup();
    renderApp('/t/acme/accept-invitation?token=tok-invite-2');
    await user.type(screen.getByLabelText('Choose a password'), 'a long enough password');
    await user.click(screen.getByRole('button', { name: 'Join the workspace' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
  });
});
