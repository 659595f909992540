import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { storageKey } from '../auth/session';
import { acmeOwner, graphQLError, mockServer, renderApp } from '../test/server';

describe('API token sign-in', () => {
  it('checks the token with the server, keeps it in sessionStorage and opens the workspace', async () => {
    const server = mockServer({
      SignInViewer: () => ({ data: { viewer: acmeOwner } }),
      WorkspaceViewer: () => ({ data: { viewer: acmeOwner } }),
    });
    const user = userEvent.setup();
    renderApp('/signin/token');

    await user.type(screen.getByLabelText('Workspace'), 'acme');
    await user.type(screen.getByLabelText('API token'), 'mdt_secret_value');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/w/acme'));
    const signInCall = server.callsTo('SignInViewer')[0];
    expect(signInCall?.url).toBe('/t/acme/graphql');
    expect(signInCall?.authorization).toBe('Bearer mdt_secret_value');
    expect(JSON.parse(sessionStorage.getItem(storageKey) ?? 'null')).toEqual({ slug: 'acme', token: 'mdt_secret_value' });
    expect(document.body.innerHTML).not.toContain('mdt_secret_value');
  });

  it('shows the server error and keeps nothing when the token is refused', async () => {
    mockServer({ SignInViewer: () => graphQLError('invalid or expired token', 'UNAUTHENTICATED') });
    const user = userEvent.setup();
    renderApp('/signin/token');

    await user.type(screen.getByLabelText('Workspace'), 'acme');
    await user.type(screen.getByLabelText('API token'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('invalid or expired token');
    expect(sessionStorage.getItem(storageKey)).toBeNull();
    expect(screen.getByTestId('location')).toHaveTextContent('/signin/token');
  });

  it('the token field is a password input, and both fields are labelled', () => {
    mockServer({});
    renderApp('/signin/token');
    expect(screen.getByLabelText('API token')).toHaveAttribute('type', 'password');
    expect(screen.getByLabelText('API token')).toHaveAttribute('name', 'token');
    expect(screen.getByLabelText('Workspace')).toHaveAttribute('name', 'workspace');
  });
});
