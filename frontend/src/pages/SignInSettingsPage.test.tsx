// The admin's Sign-in page (/w/:slug/sign-in): MFA policy, step-up window,
// passkey relying party, and the workspace's social providers (client
// secrets write-only).
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { acmeOwner, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';
import { splitWords } from './SignInSettingsPage';

vi.setConfig({ testTimeout: 20_000 });

const settings = { mfaPolicy: 'off', stepUpMinutes: 0, passkeyRpId: '', passkeyOrigins: [] as string[] };

const github = {
  id: '30064771073',
  slug: 'github',
  kind: 'github',
  displayName: 'GitHub',
  clientID: 'Iv1.abc',
  hasClientSecret: true,
  issuer: '',
  scopes: ['read:user', 'user:email'],
  enabled: true,
  linkVerifiedEmail: false,
  allowSignUp: false,
  callbackURL: 'http://localhost:8080/t/acme/auth/social/github/callback',
  createdAt: '2026-11-20T10:00:00Z',
  updatedAt: '2026-11-20T10:00:00Z',
};

function adminServer(extra: Record<string, (variables: Record<string, unknown>) => unknown> = {}) {
  signedIn();
  let providers = [github];
  let current = { ...settings };
  const server = mockServer({
    WorkspaceViewer: viewerHandler(),
    SignInSettings: () => ({ data: { tenant: { id: '4294967297', settings: current } } }),
    UpdateSignInSettings: (v) => {
      const input = v.input as typeof settings;
      current = { ...current, ...input };
      return { data: { updateTenantSettings: { id: '4294967297', settings: current } } };
    },
    IdentityProviders: () => ({ data: { identityProviders: providers } }),
    CreateIdentityProvider: (v) => {
      const input = v.input as Record<string, unknown>;
      const created = {
        ...github,
        id: '30064771074',
        slug: String(input.slug),
        kind: String(input.kind),
        displayName: String(input.displayName ?? input.kind),
        clientID: String(input.clientID),
        issuer: String(input.issuer ?? ''),
        hasClientSecret: !!input.clientSecret,
        callbackURL: `http://localhost:8080/t/acme/auth/social/${String(input.slug)}/callback`,
      };
      providers = [...providers, created];
      return { data: { createIdentityProvider: { id: created.id, slug: created.slug, displayName: created.displayName, callbackURL: created.callbackURL } } };
    },
    UpdateIdentityProvider: (v) => {
      const input = v.input as Record<string, unknown>;
      providers = providers.map((p) => (p.id === v.id ? { ...p, ...input } : p));
      const p = providers.find((x) => x.id === v.id)!;
      return { data: { updateIdentityProvider: { id: p.id, slug: p.slug, displayName: p.displayName, enabled: p.enabled, hasClientSecret: p.hasClientSecret } } };
    },
    DeleteIdentityProvider: (v) => {
      providers = providers.filter((p) => p.id !== v.id);
      return { data: { deleteIdentityProvider: { deletedID: v.id } } };
    },
    ...extra,
  });
  return server;
}

describe('sign-in settings', () => {
  it('splits scopes on spaces and commas, once each', () => {
    expect(splitWords(' openid, email  profile email ')).toEqual(['openid', 'email', 'profile']);
  });

  it('requires two-step verification for everyone and sets the step-up window', async () => {
    const server = adminServer();
    const user = userEvent.setup();
    renderApp('/w/acme/sign-in');
    const form = within(await screen.findByRole('form', { name: 'Sign-in settings' }));
    expect(form.getByLabelText('Two-step verification')).toHaveValue('off');
    await user.selectOptions(form.getByLabelText('Two-step verification'), 'everyone');
    const minutes = form.getByLabelText('Confirm it is you after (minutes)');
    await user.clear(minutes);
    await user.type(minutes, '5');
    await user.type(form.getByLabelText('Passkey origins (one per line)'), 'https://id.acme.test{Enter}https://acme.test');
    await user.click(form.getByRole('button', { name: 'Save sign-in settings' }));
    expect(await screen.findByText('Sign-in settings saved.')).toBeInTheDocument();
    expect(server.callsTo('UpdateSignInSettings')[0]?.variables).toEqual({
      input: { mfaPolicy: 'everyone', stepUpMinutes: 5, passkeyRpId: '', passkeyOrigins: ['https://id.acme.test', 'https://acme.test'] },
    });
    await waitFor(() => expect(screen.getByLabelText('Two-step verification')).toHaveValue('everyone'));
  });

  it('adds an OpenID Connect provider: the secret is sent once and never shown', async () => {
    const server = adminServer();
    const user = userEvent.setup();
    renderApp('/w/acme/sign-in');
    await screen.findByRole('button', { name: 'Edit GitHub' });
    await user.click(screen.getByRole('button', { name: 'Add a provider' }));
    const form = within(screen.getByRole('form', { name: 'Add a provider' }));
    expect(form.getByLabelText('Kind')).toHaveValue('oidc');
    await user.type(form.getByLabelText('Short name (in URLs)'), 'corp');
    await user.type(form.getByLabelText('Button label'), 'Corp SSO');
    await user.type(form.getByLabelText('Client ID'), 'acme-login');
    const secret = form.getByLabelText('Client secret');
    expect(secret).toHaveAttribute('type', 'password');
    await user.type(secret, 's3cret-value');
    await user.type(form.getByLabelText('Issuer URL'), 'https://idp.corp.test');
    expect(form.getByText(/\/t\/acme\/auth\/social\/corp\/callback/)).toBeInTheDocument();
    await user.click(form.getByLabelText('Link to an existing account with the same address'));
    await user.click(form.getByRole('button', { name: 'Add provider' }));

    expect(await screen.findByText(/Added Corp SSO\. Register http:\/\/localhost:8080\/t\/acme\/auth\/social\/corp\/callback/)).toBeInTheDocument();
    expect(server.callsTo('CreateIdentityProvider')[0]?.variables).toEqual({
      input: {
        slug: 'corp',
        kind: 'oidc',
        clientID: 'acme-login',
        displayName: 'Corp SSO',
        clientSecret: 's3cret-value',
        issuer: 'https://idp.corp.test',
        enabled: true,
        linkVerifiedEmail: true,
        allowSignUp: false,
      },
    });
    const row = (await screen.findByText('Corp SSO')).closest('tr')!;
    expect(within(row).getByText('Client secret set')).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('s3cret-value');
  });

  it('edits a provider keeping its secret, disables and deletes it', async () => {
    const server = adminServer();
    const user = userEvent.setup();
    renderApp('/w/acme/sign-in');
    await user.click(await screen.findByRole('button', { name: 'Edit GitHub' }));
    const form = within(screen.getByRole('form', { name: 'Edit GitHub' }));
    expect(form.getByLabelText('New client secret')).toHaveValue('');
    expect(form.getByText('A secret is set and never shown. Leave empty to keep it.')).toBeInTheDocument();
    const label = form.getByLabelText('Button label');
    await user.clear(label);
    await user.type(label, 'GitHub (work)');
    await user.click(form.getByRole('button', { name: 'Save provider' }));
    expect(await screen.findByText('Saved GitHub (work).')).toBeInTheDocument();
    const input = server.callsTo('UpdateIdentityProvider')[0]?.variables.input as Record<string, unknown>;
    expect(input).toMatchObject({ displayName: 'GitHub (work)', clientID: 'Iv1.abc', scopes: ['read:user', 'user:email'] });
    expect(input).not.toHaveProperty('clientSecret');

    await user.click(await screen.findByRole('button', { name: 'Disable GitHub (work)' }));
    expect(await screen.findByText('Disabled GitHub (work).')).toBeInTheDocument();
    expect(server.callsTo('UpdateIdentityProvider')[1]?.variables).toEqual({ id: github.id, input: { enabled: false } });

    await user.click(await screen.findByRole('button', { name: 'Delete GitHub (work)' }));
    await user.click(screen.getByRole('button', { name: 'Confirm delete' }));
    expect(await screen.findByText(/Deleted GitHub \(work\)/)).toBeInTheDocument();
    expect(await screen.findByText('No social sign-in providers.')).toBeInTheDocument();
  });

  it('is not editable by a member', async () => {
    signedIn();
    mockServer({ WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }) });
    renderApp('/w/acme/sign-in');
    expect(await screen.findByText('Only admins and owners can change how people sign in.')).toBeInTheDocument();
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
  });
});
