// The sign-in page's second steps and other ways in: a code after the
// password, enrolling when the workspace requires it, passkeys (button,
// autofill, second factor), social buttons and their errors, and the
// step-up an issuer or account page asks for. The browser's passkey
// prompt is faked at src/auth/webauthn (the real one runs in e2e/).
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PendingSignIn } from '../api/auth';
import { getSession } from '../auth/session';
import { annHuman, annSignedIn, mockServer, problem, renderApp, viewerHandler } from '../test/server';

const webauthn = vi.hoisted(() => ({
  supported: true,
  conditional: false,
  getPasskey: vi.fn(),
  createPasskey: vi.fn(),
}));
const redirect = vi.hoisted(() => ({ loadPage: vi.fn() }));

vi.mock('../auth/webauthn', async (importOriginal) => {
  const real = await importOriginal<typeof import('../auth/webauthn')>();
  return {
    ...real,
    passkeysSupported: () => webauthn.supported,
    conditionalMediationAvailable: async () => webauthn.conditional,
    getPasskey: webauthn.getPasskey,
    createPasskey: webauthn.createPasskey,
    cancelPasskeyRequest: () => undefined,
  };
});
vi.mock('../auth/redirect', () => redirect);

// Typing codes and passwords key by key is slow on a busy machine.
vi.setConfig({ testTimeout: 20_000 });

beforeEach(() => {
  webauthn.supported = true;
  webauthn.conditional = false;
  webauthn.getPasskey.mockReset();
  webauthn.createPasskey.mockReset();
  redirect.loadPage.mockReset();
});

const dashboard = {
  WorkspaceViewer: viewerHandler(annHuman),
  Overview: () => ({
    data: {
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
    },
  }),
  OverviewCounts: () => ({ data: { members: { totalCount: 1 }, apiTokens: { totalCount: 0 }, auditEvents: { totalCount: 3 } } }),
};

function pending(status: PendingSignIn['status'], methods: string[]): PendingSignIn {
  return { status, methods, amr: ['pwd'], email: 'ann@acme.test' };
}

const passkeyOptions = { publicKey: { challenge: 'Y2hhbGxlbmdl', rpId: 'localhost', userVerification: 'required' } };
const assertion = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: { signature: 'c2ln' } };

async function passwordFirst(user = userEvent.setup()) {
  await user.type(screen.getByLabelText('Email'), 'ann@acme.test');
  await user.type(screen.getByLabelText('Password'), 'correct horse battery staple');
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
  return user;
}

describe('second step after the password', () => {
  it('asks for the authenticator code, refuses a wrong one, and signs in with the right one', async () => {
    const server = mockServer(dashboard, {
      'POST signin': () => ({ status: 200, body: pending('mfa_required', ['totp', 'recovery']) }),
      'POST mfa/totp': (body) =>
        body?.code === '123456' ? { status: 200, body: annSignedIn('csrf-mfa') } : problem(401, 'invalid_code', 'wrong code'),
    });
    renderApp('/t/acme/signin');
    const user = await passwordFirst();

    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument();
    expect(screen.getByText('ann@acme.test')).toBeInTheDocument();
    const code = screen.getByLabelText('Authentication code');
    expect(code).toHaveAttribute('autocomplete', 'one-time-code');
    expect(code).toHaveAttribute('inputmode', 'numeric');
    expect(code).toHaveFocus();
    // No session yet: only the pending cookie.
    expect(getSession('acme')).toBeNull();

    await user.type(code, '000000');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong code.');
    expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin');

    await user.clear(code);
    await user.type(code, '123 456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    expect(server.authCallsTo('POST', 'mfa/totp').map((c) => c.body)).toEqual([{ code: '000000' }, { code: '123456' }]);
    expect(getSession('acme')).toMatchObject({ kind: 'password', csrfToken: 'csrf-mfa' });
  });

  it('takes a recovery code instead', async () => {
    const server = mockServer(dashboard, {
      'POST signin': () => ({ status: 200, body: pending('mfa_required', ['totp', 'recovery']) }),
      'POST mfa/recovery': () => ({ status: 200, body: annSignedIn() }),
    });
    renderApp('/t/acme/signin');
    const user = await passwordFirst();
    await user.click(await screen.findByRole('button', { name: 'Use a recovery code' }));
    await user.type(screen.getByLabelText('Recovery code'), ' ABCDE-FGHIJ ');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    expect(server.authCallsTo('POST', 'mfa/recovery')[0]?.body).toEqual({ code: 'ABCDE-FGHIJ' });
  });

  it('starts over, saying why, when the pending sign-in has expired', async () => {
    mockServer(dashboard, {
      'POST signin': () => ({ status: 200, body: pending('mfa_required', ['totp']) }),
      'POST mfa/totp': () => problem(401, 'no_pending_signin', 'this sign-in has expired or was already completed: sign in again'),
    });
    renderApp('/t/acme/signin');
    const user = await passwordFirst();
    await user.type(await screen.findByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This sign-in has expired or was already completed: sign in again.');
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toHaveValue('');
  });

  it('confirms with a passkey as the second factor', async () => {
    webauthn.getPasskey.mockResolvedValue(assertion);
    const server = mockServer(dashboard, {
      'POST signin': () => ({ status: 200, body: pending('mfa_required', ['passkey']) }),
      'POST passkeys/second-factor/begin': () => ({ status: 200, body: passkeyOptions }),
      'POST passkeys/second-factor/finish': () => ({ status: 200, body: annSignedIn('csrf-hwk') }),
    });
    renderApp('/t/acme/signin');
    const user = await passwordFirst();
    expect(await screen.findByText(/Confirm with your passkey/)).toBeInTheDocument();
    expect(screen.queryByLabelText('Authentication code')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Use a passkey' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    expect(webauthn.getPasskey).toHaveBeenCalledWith(passkeyOptions);
    expect(server.authCallsTo('POST', 'passkeys/second-factor/finish')[0]?.body).toEqual(assertion);
  });
});

describe('enrollment the workspace requires', () => {
  it('sets up an authenticator app (QR code and key), then shows the recovery codes once', async () => {
    const codes = ['AAAAA-BBBBB', 'CCCCC-DDDDD'];
    const server = mockServer(dashboard, {
      'POST signin': () => ({ status: 200, body: pending('enrollment_required', []) }),
      'POST mfa/enroll/totp/begin': () => ({
        status: 200,
        body: { otpauthURI: 'otpauth://totp/Acme:ann@acme.test?secret=JBSWY3DPEHPK3PXP', qrCodePNG: 'data:image/png;base64,iVBORw0KGgo=', secret: 'JBSWY3DPEHPK3PXP' },
      }),
      'POST mfa/enroll/totp/confirm': () => ({ status: 200, body: { ...annSignedIn('csrf-new'), recoveryCodes: codes } }),
    });
    renderApp('/t/acme/signin');
    const user = await passwordFirst();

    expect(await screen.findByRole('heading', { name: 'Set up two-step verification' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Set up an authenticator app' }));
    const qr = await screen.findByRole('img', { name: /QR code/ });
    expect(qr).toHaveAttribute('src', 'data:image/png;base64,iVBORw0KGgo=');
    expect(screen.getByText('JBSW Y3DP EHPK 3PXP')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Code from the app'), '654321');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(codes);
    expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin');
    expect(getSession('acme')).toMatchObject({ csrfToken: 'csrf-new' });
    expect(server.authCallsTo('POST', 'mfa/enroll/totp/confirm')[0]?.body).toEqual({ code: '654321' });
    // Nothing of the codes is kept anywhere.
    expect(JSON.stringify(sessionStorage) + JSON.stringify(localStorage)).not.toContain('AAAAA');

    await user.click(screen.getByRole('button', { name: 'I saved them, continue' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
  });

  it('or creates a passkey during the sign-in', async () => {
    const attestation = { id: 'new-cred', type: 'public-key', response: { attestationObject: 'o2Nm' } };
    webauthn.createPasskey.mockResolvedValue(attestation);
    const server = mockServer(dashboard, {
      'POST signin': () => ({ status: 200, body: pending('enrollment_required', []) }),
      'POST passkeys/register/begin': () => ({ status: 200, body: passkeyOptions }),
      'POST passkeys/register/finish': () => ({ status: 200, body: annSignedIn('csrf-pk') }),
    });
    renderApp('/t/acme/signin');
    const user = await passwordFirst();
    await user.click(await screen.findByRole('button', { name: 'Create a passkey' }));
    await user.type(screen.getByLabelText('Name for this passkey'), 'Laptop');
    await user.click(screen.getByRole('button', { name: 'Create the passkey' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    const begin = server.authCallsTo('POST', 'passkeys/register/begin')[0];
    expect(begin?.body).toEqual({ name: 'Laptop' });
    expect(begin?.csrfToken).toBeUndefined();
    expect(webauthn.createPasskey).toHaveBeenCalledWith(passkeyOptions);
    expect(server.authCallsTo('POST', 'passkeys/register/finish')[0]?.body).toEqual(attestation);
  });
});

describe('passkey sign-in', () => {
  it('signs in with the passkey button alone', async () => {
    webauthn.getPasskey.mockResolvedValue(assertion);
    const server = mockServer(dashboard, {
      'POST passkeys/login/begin': () => ({ status: 200, body: passkeyOptions }),
      'POST passkeys/login/finish': () => ({ status: 200, body: annSignedIn('csrf-pk') }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/signin');
    await user.click(screen.getByRole('button', { name: 'Sign in with a passkey' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    expect(webauthn.getPasskey).toHaveBeenCalledWith(passkeyOptions);
    expect(server.authCallsTo('POST', 'passkeys/login/finish')[0]?.body).toEqual(assertion);
    expect(server.authCallsTo('POST', 'signin')).toHaveLength(0);
    expect(getSession('acme')).toMatchObject({ csrfToken: 'csrf-pk' });
  });

  it('offers passkeys in the email field’s autofill (conditional mediation)', async () => {
    webauthn.conditional = true;
    webauthn.getPasskey.mockImplementation(async (_options, how) => {
      expect(how).toEqual({ conditional: true });
      return assertion;
    });
    mockServer(dashboard, {
      'POST passkeys/login/begin': () => ({ status: 200, body: passkeyOptions }),
      'POST passkeys/login/finish': () => ({ status: 200, body: annSignedIn() }),
    });
    renderApp('/t/acme/signin');
    expect(screen.getByLabelText('Email')).toHaveAttribute('autocomplete', 'username webauthn');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    expect(webauthn.getPasskey).toHaveBeenCalledTimes(1);
  });

  it('says nothing when the autofill request ends without a pick', async () => {
    webauthn.conditional = true;
    const refused = Object.assign(new Error('not allowed'), { name: 'NotAllowedError' });
    webauthn.getPasskey.mockRejectedValue(refused);
    const server = mockServer({}, { 'POST passkeys/login/begin': () => ({ status: 200, body: passkeyOptions }) });
    renderApp('/t/acme/signin');
    await waitFor(() => expect(webauthn.getPasskey).toHaveBeenCalledWith(passkeyOptions, { conditional: true }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(server.authCallsTo('POST', 'passkeys/login/finish')).toHaveLength(0);
  });

  it('says so when the browser prompt is closed, and stays', async () => {
    const closed = Object.assign(new Error('The operation either timed out or was not allowed.'), { name: 'NotAllowedError' });
    webauthn.getPasskey.mockRejectedValue(closed);
    mockServer(dashboard, { 'POST passkeys/login/begin': () => ({ status: 200, body: passkeyOptions }) });
    const user = userEvent.setup();
    renderApp('/t/acme/signin');
    await user.click(screen.getByRole('button', { name: 'Sign in with a passkey' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The passkey prompt was closed or timed out.');
    expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin');
  });

  it('shows no passkey button where the browser has no WebAuthn', () => {
    webauthn.supported = false;
    mockServer({});
    renderApp('/t/acme/signin');
    expect(screen.queryByRole('button', { name: 'Sign in with a passkey' })).not.toBeInTheDocument();
  });
});

describe('social sign-in', () => {
  const providers = {
    providers: [
      { slug: 'github', displayName: 'GitHub', kind: 'github' },
      { slug: 'corp', displayName: 'Corp SSO', kind: 'oidc' },
    ],
    errors: { link_required: 'An account with this email address already exists. Sign in to it, then link the provider.' },
  };

  it('shows a button per provider that starts its sign-in and comes back here', async () => {
    mockServer({}, { 'GET social/providers': () => ({ status: 200, body: providers }) });
    renderApp('/t/acme/signin');
    const github = await screen.findByRole('link', { name: 'Sign in with GitHub' });
    expect(github).toHaveAttribute('href', '/t/acme/auth/social/github/start?return_to=%2Fw%2Facme');
    expect(screen.getByRole('link', { name: 'Sign in with Corp SSO' })).toHaveAttribute(
      'href',
      '/t/acme/auth/social/corp/start?return_to=%2Fw%2Facme',
    );
  });

  it('carries the issuer’s return_to through the provider', async () => {
    mockServer({}, { 'GET social/providers': () => ({ status: 200, body: providers }) });
    const back = '/t/acme/oauth2/authorize?client_id=app&request_uri=urn%3Ax';
    renderApp(`/t/acme/signin?return_to=${encodeURIComponent(back)}`);
    expect(await screen.findByRole('link', { name: 'Sign in with GitHub' })).toHaveAttribute(
      'href',
      `/t/acme/auth/social/github/start?return_to=${encodeURIComponent(back)}`,
    );
  });

  it('shows the error a federated sign-in came back with', async () => {
    mockServer({}, { 'GET social/providers': () => ({ status: 200, body: providers }) });
    renderApp('/t/acme/signin?error=link_required&provider=github');
    expect(await screen.findByText(/already exists\. Sign in to it, then link the provider\. \(GitHub\)/)).toBeInTheDocument();
  });

  it('shows no buttons when the workspace has none', async () => {
    const server = mockServer({}, { 'GET social/providers': () => ({ status: 200, body: { providers: [] } }) });
    renderApp('/t/acme/signin');
    await waitFor(() => expect(server.authCallsTo('GET', 'social/providers')).toHaveLength(1));
    expect(screen.getAllByRole('link').filter((a) => a.getAttribute('href')?.includes('/auth/social/'))).toEqual([]);
  });

  it('continues a federated sign-in that needs a second step (?step=mfa)', async () => {
    mockServer(dashboard, {
      'GET pending': () => ({ status: 200, body: { ...pending('mfa_required', ['totp']), amr: ['fed'] } }),
      'POST mfa/totp': () => ({ status: 200, body: annSignedIn() }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/signin?step=mfa&return_to=%2Ft%2Facme%2Faccount');
    await user.type(await screen.findByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/t\/acme\/account$/));
  });
});

describe('step-up', () => {
  const back = '/t/acme/oauth2/authorize?client_id=app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax';

  it('asks a signed-in person for a code when an app wants a second factor, then goes back to the issuer', async () => {
    const server = mockServer({}, {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-old') }),
      'POST step-up/totp': () => ({ status: 200, body: annSignedIn('csrf-new') }),
    });
    const user = userEvent.setup();
    renderApp(`/t/acme/signin?step_up=mfa&methods=totp%20recovery&return_to=${encodeURIComponent(back)}`);
    const code = await screen.findByLabelText('Authentication code');
    expect(screen.getByRole('heading', { name: 'Confirm it is you' })).toBeInTheDocument();
    expect(screen.getByText(/asks for a second step/)).toBeInTheDocument();
    expect(screen.queryByLabelText('Your password')).not.toBeInTheDocument();
    await user.type(code, '123456');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(redirect.loadPage).toHaveBeenCalledWith(back));
    const call = server.authCallsTo('POST', 'step-up/totp')[0];
    expect(call?.body).toEqual({ code: '123456' });
    expect(call?.csrfToken).toBe('csrf-old');
    expect(getSession('acme')).toMatchObject({ csrfToken: 'csrf-new' });
  });

  it('offers a passkey when the issuer names it', async () => {
    webauthn.getPasskey.mockResolvedValue(assertion);
    const server = mockServer({}, {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-old') }),
      'POST passkeys/step-up/begin': () => ({ status: 200, body: passkeyOptions }),
      'POST passkeys/step-up/finish': () => ({ status: 200, body: annSignedIn('csrf-new') }),
    });
    const user = userEvent.setup();
    renderApp(`/t/acme/signin?step_up=mfa&methods=passkey&return_to=${encodeURIComponent(back)}`);
    await user.click(await screen.findByRole('button', { name: 'Use a passkey' }));
    await waitFor(() => expect(redirect.loadPage).toHaveBeenCalledWith(back));
    expect(server.authCallsTo('POST', 'passkeys/step-up/finish')[0]?.csrfToken).toBe('csrf-old');
  });

  it('re-authenticates with the password for step_up=login, then follows return_to to the link page', async () => {
    const link = '/t/acme/auth/social/github/link?return_to=%2Ft%2Facme%2Fsecurity';
    const server = mockServer({}, {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-old') }),
      'GET mfa': () => ({ status: 200, body: { totp: { enabled: false, confirmedAt: null }, recoveryCodesRemaining: 0, recentlyAuthenticated: false, stepUpMinutes: 10, mfaRequired: false, hasPassword: true, session: { amr: ['pwd'], authTime: '2026-11-20T10:00:00Z' } } }),
      'GET passkeys': () => ({ status: 200, body: { passkeys: [] } }),
      'POST step-up/password': () => ({ status: 200, body: annSignedIn('csrf-new') }),
    });
    const user = userEvent.setup();
    renderApp(`/t/acme/signin?step_up=login&return_to=${encodeURIComponent(link)}`);
    await user.type(await screen.findByLabelText('Your password'), 'correct horse battery staple');
    expect(screen.queryByRole('button', { name: 'Use a code from your authenticator app' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(redirect.loadPage).toHaveBeenCalledWith(link));
    expect(server.authCallsTo('POST', 'step-up/password')[0]?.body).toEqual({ password: 'correct horse battery staple' });
  });

  it('is a plain sign-in when nobody is signed in', async () => {
    mockServer({});
    renderApp(`/t/acme/signin?step_up=mfa&methods=totp&return_to=${encodeURIComponent(back)}`);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toBeInTheDocument();
  });
});

describe('invitation with a passkey', () => {
  it('joins with a passkey instead of a password (a passkey-only account)', async () => {
    const attestation = { id: 'new-cred', type: 'public-key', response: { attestationObject: 'o2Nm' } };
    webauthn.createPasskey.mockResolvedValue(attestation);
    const server = mockServer(dashboard, {
      'POST passkeys/invitation/begin': () => ({ status: 200, body: passkeyOptions }),
      'POST passkeys/invitation/finish': () => ({ status: 200, body: annSignedIn('csrf-inv') }),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/accept-invitation?token=inv-secret');
    await user.type(screen.getByLabelText('Your name'), 'Ann');
    await user.click(screen.getByRole('button', { name: 'Join with a passkey instead (no password)' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/w\/acme$/));
    expect(server.authCallsTo('POST', 'passkeys/invitation/begin')[0]?.body).toEqual({ token: 'inv-secret', name: 'Ann', passkeyName: '' });
    expect(server.authCallsTo('POST', 'passkeys/invitation/finish')[0]?.body).toEqual(attestation);
    expect(server.authCallsTo('POST', 'accept-invitation')).toHaveLength(0);
    expect(getSession('acme')).toMatchObject({ csrfToken: 'csrf-inv' });
  });

  it('shows why a used invitation link fails', async () => {
    mockServer({}, { 'POST passkeys/invitation/begin': () => problem(400, 'invalid_link', 'this link is invalid, expired or already used') });
    const user = userEvent.setup();
    renderApp('/t/acme/accept-invitation?token=used');
    await user.click(screen.getByRole('button', { name: 'Join with a passkey instead (no password)' }));
    expect(await screen.findByText('This link is invalid, expired or already used.')).toBeInTheDocument();
    expect(screen.getByText('Ask whoever invited you to send a new invitation.')).toBeInTheDocument();
  });
});
