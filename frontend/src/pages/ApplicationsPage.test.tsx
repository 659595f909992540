import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';
import { lines } from './ApplicationsPage';

const catalog = [
  { name: 'openid', description: 'Know who you are (your account identifier)', standard: true },
  { name: 'profile', description: 'See your name', standard: true },
  { name: 'email', description: 'See your email address', standard: true },
  { name: 'offline_access', description: 'Stay connected when you are not using it', standard: true },
  { name: 'invoices:read', description: 'Read your invoices', standard: false },
];

function client(overrides: Record<string, unknown> = {}) {
  return {
    id: '25769803777',
    clientID: 'web-app-id',
    name: 'Web app',
    public: false,
    tokenEndpointAuthMethod: 'client_secret_basic',
    redirectUris: ['https://app.example.com/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    audience: [],
    tokenFormat: 'jwt',
    signingAlg: 'ES256',
    requirePar: false,
    backchannelLogoutURI: '',
    jwksURI: '',
    hasJwks: false,
    disabledAt: null,
    createdAt: '2026-11-24T12:00:00Z',
    ...overrides,
  };
}

const spa = client({
  id: '25769803778',
  clientID: 'spa-id',
  name: 'Single-page app',
  public: true,
  tokenEndpointAuthMethod: 'none',
  tokenFormat: 'opaque',
  disabledAt: '2026-11-25T08:00:00Z',
});
const signer = client({
  id: '25769803779',
  clientID: 'signer-id',
  name: 'Batch job',
  tokenEndpointAuthMethod: 'private_key_jwt',
  grantTypes: ['client_credentials'],
  redirectUris: [],
  hasJwks: true,
  signingAlg: 'RS256',
});

function issuerServer(clients: () => unknown[], handlers: Record<string, (v: Record<string, unknown>) => unknown> = {}) {
  return mockServer({
    WorkspaceViewer: viewerHandler(),
    OAuthClients: () => ({ data: { oauthClients: clients() } }),
    ScopeCatalog: () => ({ data: { scopeCatalog: catalog } }),
    ...handlers,
  });
}

/** Types a long value at once (typing it key by key is slow and tests nothing more). */
async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.click(field);
  await user.paste(text);
}

function row(name: string) {
  return screen.getByRole('row', { name: new RegExp(`^${name}`) });
}

// Long forms and big tables: role queries over them are slow in jsdom.
describe('applications page', { timeout: 15_000 }, () => {
  it('lists the apps with their type, grants and state, and tells developers the issuer', async () => {
    signedIn();
    issuerServer(() => [client(), spa, signer]);
    renderApp('/w/acme/applications');

    expect(await screen.findByText('3 applications')).toBeInTheDocument();
    const web = within(row('Web app'));
    expect(web.getByText('web-app-id')).toBeInTheDocument();
    expect(web.getByText('confidential')).toBeInTheDocument();
    expect(web.getByText('client_secret_basic')).toBeInTheDocument();
    expect(web.getByText('Authorization code')).toBeInTheDocument();
    expect(web.getByText('Refresh token')).toBeInTheDocument();
    expect(web.getByRole('button', { name: 'Rotate secret Web app' })).toBeInTheDocument();
    expect(web.getByRole('button', { name: 'Disable Web app' })).toBeInTheDocument();

    const public_ = within(row('Single-page app'));
    expect(public_.getByText('public')).toBeInTheDocument();
    expect(public_.getByText('disabled')).toBeInTheDocument();
    expect(public_.getByText('opaque')).toBeInTheDocument();
    expect(public_.queryByRole('button', { name: /Rotate secret/ })).not.toBeInTheDocument();
    expect(public_.getByRole('button', { name: 'Enable Single-page app' })).toBeInTheDocument();

    const batch = within(row('Batch job'));
    expect(batch.getByText('private_key_jwt')).toBeInTheDocument();
    expect(batch.getByText('Client credentials')).toBeInTheDocument();
    expect(batch.getByText('RS256')).toBeInTheDocument();
    expect(batch.queryByRole('button', { name: /Rotate secret/ })).not.toBeInTheDocument();

    const developers = within(screen.getByRole('region', { name: 'For developers' }));
    const issuer = `${window.location.origin}/t/acme`;
    expect(developers.getByText(issuer)).toBeInTheDocument();
    expect(developers.getByRole('link', { name: `${issuer}/.well-known/openid-configuration` })).toHaveAttribute(
      'href',
      `${issuer}/.well-known/openid-configuration`,
    );
    expect(screen.getByRole('navigation', { name: 'Workspace' })).toHaveTextContent('Applications');
  });

  it('registers an app and shows its secret once, then never again', async () => {
    signedIn();
    let created = false;
    const newClient = client({
      id: '25769803780',
      clientID: 'new-client-id',
      name: 'Billing',
      grantTypes: ['authorization_code', 'client_credentials', 'refresh_token'],
      scopes: ['openid', 'email', 'invoices:read'],
    });
    const server = issuerServer(() => (created ? [newClient] : []), {
      CreateOAuthClient: () => {
        created = true;
        return {
          data: {
            createOAuthClient: {
              clientSecret: 'the-client-secret-shown-once',
              client: { id: newClient.id, clientID: 'new-client-id', name: 'Billing', tokenEndpointAuthMethod: 'client_secret_basic' },
            },
          },
        };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await screen.findByText('0 applications');

    await user.click(screen.getByRole('button', { name: 'Register an application' }));
    const form = within(screen.getByRole('form', { name: 'Register an application' }));
    expect(form.getByLabelText('Name')).toHaveFocus();
    await user.type(form.getByLabelText('Name'), 'Billing');
    await fill(user, form.getByLabelText('Redirect URIs'), 'https://billing.example.com/cb\n\nhttps://billing.example.com/cb2');
    expect(form.getByRole('checkbox', { name: 'Authorization code' })).toBeChecked();
    await user.click(form.getByRole('checkbox', { name: 'Client credentials' }));
    await user.selectOptions(form.getByLabelText('The secret is sent'), 'client_secret_post');
    await user.selectOptions(form.getByLabelText('Access token format'), 'opaque');
    await user.selectOptions(form.getByLabelText('Signing algorithm'), 'EdDSA');
    expect(await form.findByRole('checkbox', { name: 'invoices:read' })).not.toBeChecked();
    await user.click(form.getByRole('checkbox', { name: 'invoices:read' }));
    await user.click(form.getByRole('checkbox', { name: 'profile' }));
    await user.click(form.getByRole('checkbox', { name: 'offline_access' }));
    await fill(user, form.getByLabelText('Audience'), 'https://api.example.com');
    await user.click(form.getByRole('checkbox', { name: 'Require pushed authorization requests (PAR)' }));
    await fill(user, form.getByLabelText('Post-logout redirect URIs'), 'https://billing.example.com/bye');
    await fill(user, form.getByLabelText('Back-channel logout URI'), 'https://billing.example.com/logout');
    await user.click(form.getByRole('button', { name: 'Register application' }));

    const box = await screen.findByRole('region', { name: 'Application “Billing” registered' });
    expect(within(box).getByLabelText('Client secret of Billing')).toHaveValue('the-client-secret-shown-once');
    expect(within(box).getByLabelText('Client secret of Billing')).toHaveFocus();
    expect(box).toHaveTextContent('you will not see it again');
    expect(box).toHaveTextContent('Client ID: new-client-id');
    expect(within(box).getByRole('button', { name: 'Copy' })).toBeInTheDocument();
    expect(server.callsTo('CreateOAuthClient')[0]?.variables).toEqual({
      input: {
        name: 'Billing',
        redirectUris: ['https://billing.example.com/cb', 'https://billing.example.com/cb2'],
        postLogoutRedirectUris: ['https://billing.example.com/bye'],
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        public: false,
        tokenFormat: 'opaque',
        signingAlg: 'EdDSA',
        audience: ['https://api.example.com'],
        requirePar: true,
        scopes: ['openid', 'email', 'invoices:read'],
        backchannelLogoutURI: 'https://billing.example.com/logout',
        tokenEndpointAuthMethod: 'client_secret_post',
      },
    });
    expect(screen.queryByRole('form', { name: 'Register an application' })).not.toBeInTheDocument();
    expect(await screen.findByText('1 application')).toBeInTheDocument();
    expect(within(row('Billing')).getByText('new-client-id')).toBeInTheDocument();
    expect(JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })).not.toContain('the-client-secret');

    await user.click(within(box).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('region', { name: /registered/ })).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('the-client-secret-shown-once');
  });

  it('registers a public app: no secret to show, and no keys or client credentials allowed', async () => {
    signedIn();
    const server = issuerServer(() => [], {
      CreateOAuthClient: () => ({
        data: {
          createOAuthClient: {
            clientSecret: null,
            client: { id: '1', clientID: 'spa-id', name: 'SPA', tokenEndpointAuthMethod: 'none' },
          },
        },
      }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await user.click(await screen.findByRole('button', { name: 'Register an application' }));
    const form = within(screen.getByRole('form', { name: 'Register an application' }));
    await user.type(form.getByLabelText('Name'), 'SPA');
    await fill(user, form.getByLabelText('Redirect URIs'), 'http://localhost:5173/cb');
    await user.click(form.getByRole('checkbox', { name: 'Public client' }));
    expect(form.queryByLabelText('Public keys (JWK set, optional)')).not.toBeInTheDocument();
    expect(form.queryByLabelText('The secret is sent')).not.toBeInTheDocument();
    await user.click(form.getByRole('checkbox', { name: 'Client credentials' }));
    await user.click(form.getByRole('button', { name: 'Register application' }));
    expect(await form.findByRole('alert')).toHaveTextContent('A public app cannot use client credentials');
    expect(server.callsTo('CreateOAuthClient')).toHaveLength(0);

    await user.click(form.getByRole('checkbox', { name: 'Client credentials' }));
    await user.click(form.getByRole('button', { name: 'Register application' }));
    const box = await screen.findByRole('region', { name: 'Application “SPA” registered' });
    expect(box).toHaveTextContent('It has no client secret');
    expect(within(box).queryByRole('textbox')).not.toBeInTheDocument();
    expect(server.callsTo('CreateOAuthClient')[0]?.variables).toMatchObject({ input: { public: true } });
    expect(server.callsTo('CreateOAuthClient')[0]?.variables.input).not.toHaveProperty('tokenEndpointAuthMethod');
  });

  it('registers a private_key_jwt app with an inline JWK set, checked as JSON first', async () => {
    signedIn();
    const server = issuerServer(() => [], {
      CreateOAuthClient: () => ({
        data: {
          createOAuthClient: {
            clientSecret: null,
            client: { id: '1', clientID: 'signer-id', name: 'Batch job', tokenEndpointAuthMethod: 'private_key_jwt' },
          },
        },
      }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await user.click(await screen.findByRole('button', { name: 'Register an application' }));
    const form = within(screen.getByRole('form', { name: 'Register an application' }));
    await user.type(form.getByLabelText('Name'), 'Batch job');
    await user.click(form.getByRole('checkbox', { name: 'Authorization code' }));
    await user.click(form.getByRole('checkbox', { name: 'Refresh token' }));
    await user.click(form.getByRole('checkbox', { name: 'Client credentials' }));
    const jwks = form.getByLabelText('Public keys (JWK set, optional)');
    await fill(user, jwks, '{"keys": [');
    await user.click(form.getByRole('button', { name: 'Register application' }));
    expect(await form.findByRole('alert')).toHaveTextContent('The JWK set is not valid JSON.');

    const set = '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y"}]}';
    await user.clear(jwks);
    await user.paste(set);
    expect(form.queryByLabelText('The secret is sent')).not.toBeInTheDocument();
    await user.click(form.getByRole('button', { name: 'Register application' }));
    await screen.findByRole('region', { name: 'Application “Batch job” registered' });
    expect(server.callsTo('CreateOAuthClient')[0]?.variables).toMatchObject({
      input: { grantTypes: ['client_credentials'], jwks: set, redirectUris: [] },
    });
    expect(server.callsTo('CreateOAuthClient')[0]?.variables.input).not.toHaveProperty('tokenEndpointAuthMethod');
  });

  it('shows the server’s refusal and keeps what was typed', async () => {
    signedIn();
    issuerServer(() => [], {
      CreateOAuthClient: () =>
        graphQLError('redirect URI "http://app.example.com/cb": plain http only to a loopback address', 'BAD_USER_INPUT'),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await user.click(await screen.findByRole('button', { name: 'Register an application' }));
    const form = within(screen.getByRole('form', { name: 'Register an application' }));
    await user.click(form.getByRole('button', { name: 'Register application' }));
    const alert = await form.findByRole('alert');
    expect(within(alert).getByText('Give the application a name.')).toBeInTheDocument();
    expect(within(alert).getByText('The authorization code grant needs at least one redirect URI.')).toBeInTheDocument();

    await user.type(form.getByLabelText('Name'), 'Web');
    await fill(user, form.getByLabelText('Redirect URIs'), 'http://app.example.com/cb');
    await user.click(form.getByRole('button', { name: 'Register application' }));
    expect(await form.findByText(/plain http only to a loopback address/)).toBeInTheDocument();
    expect(form.getByLabelText('Name')).toHaveValue('Web');
    expect(screen.queryByRole('region', { name: /registered/ })).not.toBeInTheDocument();
  });

  it('edits an app, sending only what changed', async () => {
    signedIn();
    let name = 'Web app';
    const server = issuerServer(() => [client({ name })], {
      UpdateOAuthClient: (v) => {
        name = (v.input as { name?: string }).name ?? name;
        return { data: { updateOAuthClient: { id: '25769803777', clientID: 'web-app-id', name } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await user.click(await screen.findByRole('button', { name: 'Edit Web app' }));
    const form = within(screen.getByRole('form', { name: 'Edit “Web app”' }));
    expect(form.getByText('web-app-id')).toBeInTheDocument();
    expect(form.queryByRole('checkbox', { name: 'Public client' })).not.toBeInTheDocument();
    expect(form.getByLabelText('Redirect URIs')).toHaveValue('https://app.example.com/callback');
    expect(await form.findByRole('checkbox', { name: 'openid' })).toBeChecked();
    await user.clear(form.getByLabelText('Name'));
    await user.type(form.getByLabelText('Name'), 'Web portal');
    await user.click(form.getByRole('checkbox', { name: 'invoices:read' }));
    await user.selectOptions(form.getByLabelText('Signing algorithm'), 'RS256');
    await user.click(form.getByRole('button', { name: 'Save changes' }));

    expect(await screen.findByText('Saved Web portal.')).toBeInTheDocument();
    expect(server.callsTo('UpdateOAuthClient')[0]?.variables).toEqual({
      clientID: 'web-app-id',
      input: {
        name: 'Web portal',
        scopes: ['openid', 'profile', 'email', 'offline_access', 'invoices:read'],
        signingAlg: 'RS256',
      },
    });
    expect(screen.queryByRole('form', { name: /Edit/ })).not.toBeInTheDocument();
    expect(await screen.findByRole('row', { name: /^Web portal/ })).toBeInTheDocument();
  });

  it('rotates a secret after confirmation and shows the new one once', async () => {
    signedIn();
    const server = issuerServer(() => [client()], {
      RotateOAuthClientSecret: () => ({
        data: {
          rotateOAuthClientSecret: {
            clientSecret: 'rotated-secret-value',
            client: { id: '25769803777', clientID: 'web-app-id', name: 'Web app' },
          },
        },
      }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await user.click(await screen.findByRole('button', { name: 'Rotate secret Web app' }));
    expect(server.callsTo('RotateOAuthClientSecret')).toHaveLength(0);
    const confirm = within(screen.getByRole('group', { name: /Replace the secret of Web app/ }));
    expect(confirm.getByRole('button', { name: 'Confirm rotate' })).toHaveFocus();
    await user.click(confirm.getByRole('button', { name: 'Confirm rotate' }));

    const box = await screen.findByRole('region', { name: 'New secret for “Web app”' });
    expect(within(box).getByLabelText('Client secret of Web app')).toHaveValue('rotated-secret-value');
    expect(box).toHaveTextContent('you will not see it again');
    expect(box).toHaveTextContent('The old secret stopped working');
    expect(server.callsTo('RotateOAuthClientSecret')[0]?.variables).toEqual({ clientID: 'web-app-id' });
    await user.click(within(box).getByRole('button', { name: 'Done' }));
    expect(document.body.innerHTML).not.toContain('rotated-secret-value');
  });

  it('disables and enables an app, each after confirmation, and shows a refusal', async () => {
    signedIn();
    let disabledAt: string | null = null;
    let refuse = false;
    const server = issuerServer(() => [client({ disabledAt })], {
      DisableOAuthClient: () => {
        disabledAt = '2026-11-25T08:00:00Z';
        return { data: { disableOAuthClient: { id: '1', clientID: 'web-app-id', disabledAt } } };
      },
      EnableOAuthClient: () => {
        if (refuse) return graphQLError('only an admin can manage applications', 'FORBIDDEN');
        disabledAt = null;
        return { data: { enableOAuthClient: { id: '1', clientID: 'web-app-id', disabledAt } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/applications');
    await user.click(await screen.findByRole('button', { name: 'Disable Web app' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Disable Web app' })).toHaveFocus());
    expect(server.callsTo('DisableOAuthClient')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Disable Web app' }));
    expect(screen.getByRole('group', { name: /Its tokens stop working at once/ })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Confirm disable' }));
    expect(await screen.findByText('Disabled Web app: its tokens stopped working.')).toBeInTheDocument();
    expect(await within(row('Web app')).findByText('disabled')).toBeInTheDocument();

    refuse = true;
    await user.click(screen.getByRole('button', { name: 'Enable Web app' }));
    await user.click(screen.getByRole('button', { name: 'Confirm enable' }));
    expect(await within(row('Web app')).findByRole('alert')).toHaveTextContent('only an admin can manage applications');

    refuse = false;
    await user.click(screen.getByRole('button', { name: 'Confirm enable' }));
    expect(await screen.findByText('Enabled Web app.')).toBeInTheDocument();
    expect(server.callsTo('EnableOAuthClient')).toHaveLength(2);
    await waitFor(() => expect(within(row('Web app')).queryByText('disabled')).not.toBeInTheDocument());
  });

  it('explains a FORBIDDEN answer and hides the nav entries from members', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }),
      OAuthClients: () => graphQLError('only an admin can manage applications', 'FORBIDDEN'),
      ScopeCatalog: () => ({ data: { scopeCatalog: catalog } }),
    });
    renderApp('/w/acme/applications');
    expect(await screen.findByRole('alert')).toHaveTextContent('only an admin can manage applications');
    const nav = screen.getByRole('navigation', { name: 'Workspace' });
    expect(within(nav).queryByRole('link', { name: 'Applications' })).not.toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Signing keys' })).not.toBeInTheDocument();
  });
});

describe('lines', () => {
  it('keeps each non-empty line once, trimmed', () => {
    expect(lines(' https://a.example/cb \n\nhttps://b.example/cb\r\nhttps://a.example/cb\n')).toEqual([
      'https://a.example/cb',
      'https://b.example/cb',
    ]);
  });
});
