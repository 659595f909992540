// The Security page (/t/:slug/security): passkeys, the authenticator app,
// recovery codes and linked accounts of the signed-in person, each change
// asking to confirm it is them when the server answers step_up_required.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MFAStatus, PasskeyInfo } from '../api/auth';
import { getSession } from '../auth/session';
import { annSignedIn, graphQLError, mockServer, problem, renderApp, type AuthAnswer } from '../test/server';
import { describeAMR } from './SecurityPage';

const webauthn = vi.hoisted(() => ({ getPasskey: vi.fn(), createPasskey: vi.fn() }));
vi.mock('../auth/webauthn', async (importOriginal) => {
  const real = await importOriginal<typeof import('../auth/webauthn')>();
  return {
    ...real,
    passkeysSupported: () => true,
    conditionalMediationAvailable: async () => false,
    getPasskey: webauthn.getPasskey,
    createPasskey: webauthn.createPasskey,
    cancelPasskeyRequest: () => undefined,
  };
});

vi.setConfig({ testTimeout: 20_000 });

beforeEach(() => {
  webauthn.getPasskey.mockReset();
  webauthn.createPasskey.mockReset();
});

function status(over: Partial<MFAStatus> = {}): MFAStatus {
  return {
    totp: { enabled: false, confirmedAt: null },
    recoveryCodesRemaining: 0,
    recentlyAuthenticated: true,
    stepUpMinutes: 10,
    mfaRequired: false,
    hasPassword: true,
    session: { amr: ['pwd'], authTime: '2026-11-20T10:00:00Z' },
    ...over,
  };
}

function passkey(id: string, name: string, over: Partial<PasskeyInfo> = {}): PasskeyInfo {
  return {
    id,
    name,
    createdAt: '2026-11-20T10:00:00Z',
    lastUsedAt: null,
    attachment: 'platform',
    backupEligible: false,
    backupState: false,
    transports: ['internal'],
    cloneWarning: false,
    ...over,
  };
}

type AuthHandler = (body: Record<string, unknown> | undefined) => AuthAnswer;

/** Ann, signed in by cookie (csrf-1), on her Security page. */
function annSecurity(
  { mfa = status(), keys = [] as PasskeyInfo[] } = {},
  extra: Record<string, AuthHandler> = {},
  graphql: Record<string, (variables: Record<string, unknown>) => unknown> = {},
) {
  const state = { mfa, keys };
  const server = mockServer(
    {
      MyLinkedAccounts: () => ({ data: { myLinkedAccounts: [] } }),
      ConnectedAccounts: () => ({ data: { connectedAccounts: [] } }),
      ...graphql,
    },
    {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-1') }),
      'GET mfa': () => ({ status: 200, body: state.mfa }),
      'GET passkeys': () => ({ status: 200, body: { passkeys: state.keys } }),
      'GET social/providers': () => ({ status: 200, body: { providers: [] } }),
      ...extra,
    },
  );
  return { server, state };
}

const options = { publicKey: { challenge: 'Y2hhbGxlbmdl', rp: { id: 'localhost', name: 'Acme' }, user: { id: 'dXNlcg', name: 'ann', displayName: 'Ann' } } };

describe('security page', () => {
  it('describes how the session signed in', () => {
    expect(describeAMR(['pwd'])).toBe('password');
    expect(describeAMR(['pwd', 'otp', 'mfa'])).toBe('password + one-time code (two-step)');
    expect(describeAMR(['swk', 'user', 'mfa'])).toBe('synced passkey (two-step)');
    expect(describeAMR(null)).toBe('unknown');
  });

  it('lists the passkeys: name, synced or device-bound, last used', async () => {
    annSecurity({
      keys: [
        passkey('1', 'Laptop'),
        passkey('2', 'Phone', { backupEligible: true, attachment: 'cross-platform', lastUsedAt: '2026-11-21T10:00:00Z' }),
      ],
      mfa: status({ session: { amr: ['swk', 'user', 'mfa'], authTime: '2026-11-20T10:00:00Z' } }),
    });
    renderApp('/t/acme/security');
    const laptop = (await screen.findByText('Laptop')).closest('tr')!;
    expect(screen.getByRole('heading', { level: 1, name: 'Security' })).toBeInTheDocument();
    expect(within(laptop).getByText('Device-bound passkey, built into a device')).toBeInTheDocument();
    expect(within(laptop).getByText('Never')).toBeInTheDocument();
    const phone = screen.getByText('Phone').closest('tr')!;
    expect(within(phone).getByText('Synced passkey, security key or phone')).toBeInTheDocument();
    expect(screen.getByText('2 passkeys')).toBeInTheDocument();
    expect(screen.getByTestId('session-amr')).toHaveTextContent('synced passkey (two-step)');
  });

  it('adds a passkey after confirming it is you, retrying with the new session', async () => {
    const attestation = { id: 'cred', type: 'public-key', response: { attestationObject: 'o2Nm' } };
    webauthn.createPasskey.mockResolvedValue(attestation);
    let recent = false;
    const { server, state } = annSecurity({}, {
      'POST passkeys/register/begin': () =>
        recent ? { status: 200, body: options } : problem(403, 'step_up_required', 'confirm it is you: authenticate again to continue'),
      'POST step-up/password': (body) => {
        if (body?.password !== 'correct horse battery staple') return problem(401, 'invalid_credentials', 'wrong password');
        recent = true;
        return { status: 200, body: annSignedIn('csrf-2') };
      },
      'POST passkeys/register/finish': () => {
        state.keys = [passkey('9', 'Laptop')];
        return { status: 201, body: { passkey: passkey('9', 'Laptop') } };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/security');
    await screen.findByText('No passkeys yet.');
    const form = within(screen.getByRole('form', { name: 'Add a passkey' }));
    await user.type(form.getByLabelText('Name for the new passkey'), 'Laptop');
    await user.click(form.getByRole('button', { name: 'Add a passkey' }));

    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    await user.type(dialog.getByLabelText('Your password'), 'correct horse battery staple');
    await user.click(dialog.getByRole('button', { name: 'Confirm' }));

    expect(await screen.findByText('Passkey “Laptop” added: you can sign in with it now.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    const begins = server.authCallsTo('POST', 'passkeys/register/begin');
    expect(begins.map((c) => c.csrfToken)).toEqual(['csrf-1', 'csrf-2']);
    expect(begins[1]?.body).toEqual({ name: 'Laptop' });
    expect(server.authCallsTo('POST', 'step-up/password')[0]?.csrfToken).toBe('csrf-1');
    expect(server.authCallsTo('POST', 'passkeys/register/finish')[0]).toMatchObject({ body: attestation, csrfToken: 'csrf-2' });
    expect(getSession('acme')).toMatchObject({ csrfToken: 'csrf-2' });
    expect(await screen.findByText('1 passkey')).toBeInTheDocument();
  });

  it('renames and removes a passkey; a refused last method is shown', async () => {
    const { server, state } = annSecurity({ keys: [passkey('1', 'Laptop'), passkey('2', 'Key')] }, {
      'POST passkeys/rename': (body) => {
        state.keys = state.keys.map((k) => (k.id === body?.id ? { ...k, name: String(body?.name) } : k));
        return { status: 200, body: { passkey: state.keys[0] } };
      },
      'POST passkeys/remove': (body) => {
        if (body?.id === '2') return problem(409, 'last_signin_method', 'this is your last way to sign in');
        state.keys = state.keys.filter((k) => k.id !== body?.id);
        return { status: 204 };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/security');
    await user.click(await screen.findByRole('button', { name: 'Rename Laptop' }));
    const input = screen.getByLabelText('New name');
    await user.clear(input);
    await user.type(input, 'Work laptop{Enter}');
    expect(await screen.findByText('Renamed the passkey to “Work laptop”.')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'passkeys/rename')[0]).toMatchObject({ body: { id: '1', name: 'Work laptop' }, csrfToken: 'csrf-1' });

    await user.click(await screen.findByRole('button', { name: 'Remove Key' }));
    await user.click(screen.getByRole('button', { name: 'Confirm remove' }));
    expect(await screen.findByText('This is your last way to sign in.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await user.click(await screen.findByRole('button', { name: 'Remove Work laptop' }));
    await user.click(screen.getByRole('button', { name: 'Confirm remove' }));
    expect(await screen.findByText('Removed the passkey “Work laptop”.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByText('Work laptop')).not.toBeInTheDocument());
  });

  it('sets up the authenticator app and shows its recovery codes once', async () => {
    const codes = ['AAAAA-BBBBB', 'CCCCC-DDDDD'];
    const { server, state } = annSecurity({}, {
      'POST mfa/totp/begin': () => ({
        status: 200,
        body: { otpauthURI: 'otpauth://totp/x', qrCodePNG: 'data:image/png;base64,iVBORw0KGgo=', secret: 'JBSWY3DPEHPK3PXP' },
      }),
      'POST mfa/totp/confirm': (body) => {
        if (body?.code !== '123456') return problem(401, 'invalid_code', 'wrong code');
        state.mfa = status({ totp: { enabled: true, confirmedAt: '2026-11-22T10:00:00Z' }, recoveryCodesRemaining: 10 });
        return { status: 200, body: { recoveryCodes: codes } };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/security');
    await user.click(await screen.findByRole('button', { name: 'Set up an authenticator app' }));
    expect(await screen.findByRole('img', { name: /QR code/ })).toHaveAttribute('src', 'data:image/png;base64,iVBORw0KGgo=');
    expect(screen.getByTestId('totp-secret')).toHaveTextContent('JBSW Y3DP EHPK 3PXP');
    await user.type(screen.getByLabelText('Code from the app'), '123456');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(codes);
    expect(await screen.findByText(/Your authenticator app is on/)).toBeInTheDocument();
    expect(await screen.findByText('10 of 10 unused.')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'mfa/totp/confirm')[0]?.csrfToken).toBe('csrf-1');
    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('list', { name: 'Recovery codes' })).not.toBeInTheDocument();
    expect(screen.getByText('On')).toBeInTheDocument();
  });

  it('regenerates recovery codes after a step-up with the authenticator app', async () => {
    let recent = false;
    const { server } = annSecurity({ mfa: status({ totp: { enabled: true, confirmedAt: '2026-11-22T10:00:00Z' }, recoveryCodesRemaining: 2 }) }, {
      'POST mfa/recovery/regenerate': () =>
        recent ? { status: 200, body: { recoveryCodes: ['NEWAA-NEWBB'] } } : problem(403, 'step_up_required', 'confirm it is you'),
      'POST step-up/totp': () => {
        recent = true;
        return { status: 200, body: annSignedIn('csrf-2') };
      },
    });
    const user = userEvent.setup();
    renderApp('/t/acme/security');
    expect(await screen.findByText('2 of 10 unused. Make new ones before you run out.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Make new recovery codes' }));
    await user.click(screen.getByRole('button', { name: 'Confirm new codes' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    await user.click(dialog.getByRole('button', { name: 'Use a code from your authenticator app' }));
    await user.type(dialog.getByLabelText('Authentication code'), '123456');
    await user.click(dialog.getByRole('button', { name: 'Confirm' }));
    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getByText('NEWAA-NEWBB')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'mfa/recovery/regenerate').map((c) => c.csrfToken)).toEqual(['csrf-1', 'csrf-2']);
    expect(server.authCallsTo('POST', 'step-up/totp')[0]?.body).toEqual({ code: '123456' });
  });

  it('turning the app off, cancelled at the step-up, changes nothing', async () => {
    const { server } = annSecurity({ mfa: status({ totp: { enabled: true, confirmedAt: '2026-11-22T10:00:00Z' }, recoveryCodesRemaining: 10 }) }, {
      'POST mfa/totp/disable': () => problem(403, 'step_up_required', 'confirm it is you'),
    });
    const user = userEvent.setup();
    renderApp('/t/acme/security');
    await user.click(await screen.findByRole('button', { name: 'Turn off' }));
    await user.click(screen.getByRole('button', { name: 'Confirm turn off' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    await user.click(dialog.getByRole('button', { name: 'Cancel' }));
    expect(await screen.findByText('Nothing was changed: you did not confirm it was you.')).toBeInTheDocument();
    expect(server.authCallsTo('POST', 'mfa/totp/disable')).toHaveLength(1);
    expect(screen.getByText('On')).toBeInTheDocument();
  });

  it('lists linked accounts, links another provider, and unlinks after a passkey step-up', async () => {
    webauthn.getPasskey.mockResolvedValue({ id: 'cred', type: 'public-key' });
    let recent = false;
    let linked = [
      { id: '7', provider: 'github', providerName: 'GitHub', kind: 'github', email: 'ann@users.github.test', createdAt: '2026-11-20T10:00:00Z', lastUsedAt: null },
    ];
    // Ann has no password (she joined with a passkey): the step-up does
    // not offer one.
    const { server } = annSecurity(
      { mfa: status({ hasPassword: false }), keys: [passkey('1', 'Laptop')] },
      {
        'GET social/providers': () => ({
          status: 200,
          body: { providers: [{ slug: 'github', displayName: 'GitHub', kind: 'github' }, { slug: 'corp', displayName: 'Corp SSO', kind: 'oidc' }] },
        }),
        'POST passkeys/step-up/begin': () => ({ status: 200, body: options }),
        'POST passkeys/step-up/finish': () => {
          recent = true;
          return { status: 200, body: annSignedIn('csrf-2') };
        },
      },
      {
        MyLinkedAccounts: () => ({ data: { myLinkedAccounts: linked } }),
        UnlinkAccount: (v) => {
          if (!recent) return graphQLError('confirm it is you: authenticate again to continue', 'STEP_UP_REQUIRED');
          linked = linked.filter((a) => a.id !== v.id);
          return { data: { unlinkAccount: { deletedID: v.id } } };
        },
      },
    );
    const user = userEvent.setup();
    renderApp('/t/acme/security');
    const row = (await screen.findByText('ann@users.github.test')).closest('tr')!;
    expect(screen.getByRole('link', { name: 'Link Corp SSO' })).toHaveAttribute(
      'href',
      '/t/acme/auth/social/corp/link?return_to=%2Ft%2Facme%2Fsecurity%3Flinked%3Dcorp',
    );
    expect(screen.queryByRole('link', { name: 'Link GitHub' })).not.toBeInTheDocument();

    await user.click(within(row).getByRole('button', { name: 'Unlink GitHub' }));
    await user.click(screen.getByRole('button', { name: 'Confirm unlink' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    expect(dialog.queryByLabelText('Your password')).not.toBeInTheDocument();
    expect(dialog.queryByRole('button', { name: 'Use your password' })).not.toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Use a passkey' }));
    expect(await screen.findByText('Unlinked your GitHub account.')).toBeInTheDocument();
    expect(server.callsTo('UnlinkAccount').map((c) => c.csrfToken)).toEqual(['csrf-1', 'csrf-2']);
    expect(server.authCallsTo('POST', 'passkeys/step-up/begin')[0]?.csrfToken).toBe('csrf-1');
    expect(await screen.findByText('No linked accounts.')).toBeInTheDocument();
  });

  it('shows what a link attempt came back with', async () => {
    annSecurity({}, {
      'GET social/providers': () => ({ status: 200, body: { providers: [{ slug: 'corp', displayName: 'Corp SSO', kind: 'oidc' }] } }),
    });
    renderApp('/t/acme/security?linked=corp');
    expect(await screen.findByText('Linked your Corp SSO account: you can sign in with it now.')).toBeInTheDocument();
  });

  it('sends a signed-out visitor to sign in, and back here after', async () => {
    mockServer({}, { 'POST signin': () => ({ status: 200, body: annSignedIn() }) });
    renderApp('/t/acme/security');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
  });
});
