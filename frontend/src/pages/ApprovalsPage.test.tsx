// The approvals inbox (/w/:slug/approvals): what an approver sees of an
// agent's request, approving after a strong step-up (passkey or
// authenticator app, never a password), denying with a reason, and the
// email's link selecting one request.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MFAStatus } from '../api/auth';
import type { ApprovalRequest } from '../approvals/api';
import { annHuman, annSignedIn, graphQLError, mockServer, problem, renderApp, signedIn, viewerHandler } from '../test/server';

const webauthn = vi.hoisted(() => ({ getPasskey: vi.fn() }));
vi.mock('../auth/webauthn', async (importOriginal) => {
  const real = await importOriginal<typeof import('../auth/webauthn')>();
  return {
    ...real,
    passkeysSupported: () => true,
    conditionalMediationAvailable: async () => false,
    getPasskey: webauthn.getPasskey,
    cancelPasskeyRequest: () => undefined,
  };
});

vi.setConfig({ testTimeout: 20_000 });

beforeEach(() => {
  webauthn.getPasskey.mockReset();
});

const annMember = { ...annHuman, role: 'member' };

function request(over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'apr_refund1',
    kind: 'action',
    status: 'pending',
    agentName: 'billing',
    agentChain: ['agt_billing', 'agt_support', 'agt_planner'],
    clientID: 'agt_billing',
    userID: '8589934593',
    userEmail: 'ann@acme.test',
    grantID: '12884901889',
    scopes: ['openid', 'refunds:execute'],
    authorizationDetails: '[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"}]',
    summary: '"Refund INV-1001"; refund: amount 42.00, currency EUR, invoice INV-1001',
    bindingMessage: 'Refund INV-1001',
    requires: ['scope:refunds:execute', 'type:refund'],
    approverRole: '',
    run: 'run-7',
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 4.5 * 60_000).toISOString(),
    decidedByEmail: null,
    decidedAt: null,
    decidedAmr: [],
    denyReason: '',
    usedAt: null,
    canDecide: true,
    __typename: 'ApprovalRequest',
    ...over,
  } as ApprovalRequest;
}

function mfa(over: Partial<MFAStatus> = {}): MFAStatus {
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

const passkeyInfo = {
  id: '1',
  name: 'Laptop',
  createdAt: '2026-11-20T10:00:00Z',
  lastUsedAt: null,
  attachment: 'platform',
  backupEligible: false,
  backupState: false,
  transports: ['internal'],
  cloneWarning: false,
};

const options = { publicKey: { challenge: 'Y2hhbGxlbmdl', rpId: 'localhost', allowCredentials: [] } };

/** Ann signed in with her password (csrf-1), with the approvals server state given. */
function annInbox({
  requests = [request()],
  status = mfa(),
  passkeys = [passkeyInfo],
  graphql = {},
  auth = {},
}: {
  requests?: ApprovalRequest[];
  status?: MFAStatus;
  passkeys?: (typeof passkeyInfo)[];
  graphql?: Record<string, (v: Record<string, unknown>) => unknown>;
  auth?: Parameters<typeof mockServer>[1];
} = {}) {
  return mockServer(
    {
      WorkspaceViewer: viewerHandler(annMember),
      ApprovalRequests: (v) => ({
        data: { approvalRequests: requests.filter((r) => !v.status || r.status === v.status) },
      }),
      ApprovalRequest: (v) => ({ data: { approvalRequest: requests.find((r) => r.id === v.id) ?? null } }),
      ...graphql,
    },
    {
      'GET session': () => ({ status: 200, body: annSignedIn('csrf-1') }),
      'GET mfa': () => ({ status: 200, body: status }),
      'GET passkeys': () => ({ status: 200, body: { passkeys } }),
      ...auth,
    },
  );
}

describe('approvals inbox', () => {
  it('is in the nav for every member, and shows everything about a request', async () => {
    annInbox();
    renderApp('/w/acme');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('link', { name: 'Approvals' }));
    expect(screen.getByTestId('location')).toHaveTextContent('/w/acme/approvals');

    const article = await screen.findByRole('article', { name: /billing asks to act/ });
    const card = within(article);
    expect(card.getByText('Waiting for a decision')).toBeInTheDocument();
    const chain = within(card.getByRole('list', { name: 'Agent chain' }));
    expect(chain.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['agt_billing', 'agt_support', 'agt_planner']);
    expect(card.getByText('ann@acme.test')).toBeInTheDocument();
    expect(card.getByText('12884901889')).toBeInTheDocument();
    expect(card.getByText('Refund INV-1001', { selector: 'q' })).toBeInTheDocument();
    expect(card.getByText('refunds:execute')).toBeInTheDocument();
    expect(card.getByText('the scope refunds:execute, details of type refund')).toBeInTheDocument();
    expect(card.getByText('The person it acts for (ann@acme.test)')).toBeInTheDocument();
    expect(card.getByText(/^in 4 min \d\d s ·/)).toBeInTheDocument();

    // The details, field by field.
    const fields = within(article.querySelector('dl.detail-fields') as HTMLElement);
    const pairs = Array.from(fields.getAllByRole('term')).map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]);
    expect(pairs).toEqual([
      ['invoice', 'INV-1001'],
      ['amount', '42.00'],
      ['currency', 'EUR'],
    ]);
    expect(card.getByText('refund', { selector: '.detail-type code' })).toBeInTheDocument();
    expect(card.getByRole('button', { name: 'Approve' })).toBeInTheDocument();
    expect(card.getByRole('button', { name: 'Deny' })).toBeInTheDocument();
  });

  it('shows hostile details as text: no HTML, hidden characters escaped', async () => {
    const details = JSON.stringify([
      { type: 'refund', invoice: '<img src=x onerror="alert(1)">', amount: 42, currency: 'EUR\u202Egnp.exe', note: ' padded ', nested: { a: [1, 2] } },
    ]);
    annInbox({ requests: [request({ authorizationDetails: details, bindingMessage: 'line\nbreak', canDecide: false })] });
    renderApp('/w/acme/approvals');
    const card = await screen.findByRole('article', { name: /billing asks to act/ });
    expect(card.querySelector('img')).toBeNull();
    const fields = card.querySelector('dl.detail-fields') as HTMLElement;
    const pairs = Array.from(within(fields).getAllByRole('term')).map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]);
    expect(pairs).toEqual([
      ['invoice', '<img src=x onerror=\\"alert(1)\\">'],
      ['amount', '42'],
      ['currency', 'EUR\\u202egnp.exe'],
      ['note', '" padded "'],
      ['nested', '{\n  "a": [\n    1,\n    2\n  ]\n}'],
    ]);
    expect(within(card).getByText('line\\u000abreak', { selector: 'q' })).toBeInTheDocument();
    // Someone who may not decide sees no buttons.
    expect(within(card).queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
  });

  it('approves after a passkey step-up (no password offered), retrying with the new session', async () => {
    let strong = false;
    const approved = request({
      status: 'approved',
      canDecide: false,
      decidedByEmail: 'ann@acme.test',
      decidedAt: new Date().toISOString(),
      decidedAmr: ['pwd', 'hwk', 'mfa'],
    });
    webauthn.getPasskey.mockResolvedValue({ id: 'cred', type: 'public-key', response: {} });
    const server = annInbox({
      graphql: {
        Approve: (v) => {
          expect(v).toEqual({ id: 'apr_refund1' });
          return strong
            ? { data: { approve: approved } }
            : graphQLError('confirm it is you: authenticate again to continue', 'STEP_UP_REQUIRED');
        },
      },
      auth: {
        'POST passkeys/step-up/begin': () => ({ status: 200, body: options }),
        'POST passkeys/step-up/finish': () => {
          strong = true;
          return { status: 200, body: annSignedIn('csrf-2') };
        },
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/approvals');
    const card = within(await screen.findByRole('article', { name: /billing asks to act/ }));
    await user.click(card.getByRole('button', { name: 'Approve' }));

    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    expect(dialog.getByText(/a password is not enough/)).toBeInTheDocument();
    await dialog.findByRole('button', { name: 'Use a passkey' });
    expect(dialog.queryByLabelText('Your password')).not.toBeInTheDocument();
    expect(dialog.queryByRole('button', { name: 'Use your password' })).not.toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Use a passkey' }));

    expect(await card.findByText('Approved. The agent can now get a token for exactly this, once.')).toBeInTheDocument();
    expect(card.getByText('Approved', { selector: '.approval-status' })).toBeInTheDocument();
    expect(card.getByText(/with password \+ device-bound passkey \(two-step\)/)).toBeInTheDocument();
    expect(card.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
    expect(server.callsTo('Approve').map((c) => c.csrfToken)).toEqual(['csrf-1', 'csrf-2']);
    expect(server.authCallsTo('POST', 'passkeys/step-up/begin')[0]?.csrfToken).toBe('csrf-1');
    expect(server.authCallsTo('POST', 'step-up/password')).toHaveLength(0);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('approves after an authenticator-app step-up', async () => {
    let strong = false;
    const server = annInbox({
      status: mfa({ totp: { enabled: true, confirmedAt: '2026-11-20T10:00:00Z' } }),
      passkeys: [],
      graphql: {
        Approve: () =>
          strong
            ? { data: { approve: request({ status: 'approved', canDecide: false, decidedAt: new Date().toISOString(), decidedByEmail: 'ann@acme.test', decidedAmr: ['pwd', 'otp', 'mfa'] }) } }
            : graphQLError('confirm it is you: authenticate again to continue', 'STEP_UP_REQUIRED'),
      },
      auth: {
        'POST step-up/totp': (body) => {
          if (body?.code !== '123456') return problem(401, 'invalid_code', 'wrong code');
          strong = true;
          return { status: 200, body: annSignedIn('csrf-2') };
        },
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/approvals');
    const card = within(await screen.findByRole('article', { name: /billing asks to act/ }));
    await user.click(card.getByRole('button', { name: 'Approve' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    await user.type(await dialog.findByLabelText('Authentication code'), '123456');
    expect(dialog.queryByRole('button', { name: 'Use a passkey' })).not.toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Confirm' }));
    expect(await card.findByText(/with password \+ one-time code \(two-step\)/)).toBeInTheDocument();
    expect(server.callsTo('Approve').map((c) => c.csrfToken)).toEqual(['csrf-1', 'csrf-2']);
  });

  it('tells someone with only a password to add a strong method, and approves nothing', async () => {
    const server = annInbox({
      passkeys: [],
      graphql: { Approve: () => graphQLError('confirm it is you: authenticate again to continue', 'STEP_UP_REQUIRED') },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/approvals');
    const card = within(await screen.findByRole('article', { name: /billing asks to act/ }));
    await user.click(card.getByRole('button', { name: 'Approve' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Confirm it is you' }));
    expect(await dialog.findByRole('link', { name: 'Security page' })).toHaveAttribute('href', '/t/acme/security');
    expect(dialog.queryByLabelText('Your password')).not.toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Cancel' }));
    expect(await card.findByText('Nothing was changed: you did not confirm it was you.')).toBeInTheDocument();
    expect(server.callsTo('Approve')).toHaveLength(1);
  });

  it('denies with a reason', async () => {
    const server = annInbox({
      graphql: {
        Deny: (v) => ({
          data: {
            deny: request({ status: 'denied', canDecide: false, decidedByEmail: 'ann@acme.test', decidedAt: new Date().toISOString(), denyReason: String(v.reason) }),
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/approvals');
    const card = within(await screen.findByRole('article', { name: /billing asks to act/ }));
    await user.click(card.getByRole('button', { name: 'Deny' }));
    const form = within(card.getByRole('form', { name: 'Deny request apr_refund1' }));
    await user.type(form.getByLabelText('Reason (optional)'), '  Not this invoice  ');
    await user.click(form.getByRole('button', { name: 'Deny request' }));
    expect(await card.findByText('Denied. The agent is told its request was refused.')).toBeInTheDocument();
    expect(server.callsTo('Deny')[0]?.variables).toEqual({ id: 'apr_refund1', reason: 'Not this invoice' });
    expect(card.getByText('Denied', { selector: '.approval-status' })).toBeInTheDocument();
    expect(card.getByText('Not this invoice')).toBeInTheDocument();
    expect(server.authCallsTo('GET', 'mfa')).toHaveLength(0);
  });

  it('denies without a reason', async () => {
    const server = annInbox({
      graphql: { Deny: () => ({ data: { deny: request({ status: 'denied', canDecide: false, decidedAt: new Date().toISOString() }) } }) },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/approvals');
    const card = within(await screen.findByRole('article', { name: /billing asks to act/ }));
    await user.click(card.getByRole('button', { name: 'Deny' }));
    await user.click(card.getByRole('button', { name: 'Deny request' }));
    await card.findByText('Denied. The agent is told its request was refused.');
    expect(server.callsTo('Deny')[0]?.variables).toEqual({ id: 'apr_refund1', reason: null });
  });

  it('selects the request the email links to, and switches between pending and all', async () => {
    const old = request({
      id: 'apr_old',
      status: 'used',
      canDecide: false,
      agentName: 'support',
      decidedAt: '2026-11-20T10:00:00Z',
      decidedByEmail: 'bob@acme.test',
      decidedAmr: ['swk', 'user', 'mfa'],
      usedAt: '2026-11-20T10:01:00Z',
    });
    const server = annInbox({ requests: [request(), request({ id: 'apr_other', agentName: 'planner' }), old] });
    const user = userEvent.setup();
    renderApp('/w/acme/approvals?id=apr_refund1');
    const selected = await screen.findByRole('article', { current: true });
    expect(selected).toHaveAttribute('data-approval-id', 'apr_refund1');
    expect(within(selected).getByText('From your email')).toBeInTheDocument();
    expect(server.callsTo('ApprovalRequest')[0]?.variables).toEqual({ id: 'apr_refund1' });
    // Listed once, not twice.
    await screen.findByRole('article', { name: /planner asks to act/ });
    expect(screen.getAllByRole('article')).toHaveLength(2);
    expect(screen.queryByRole('article', { name: /support asks to act/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'All' }));
    const used = within(await screen.findByRole('article', { name: /support asks to act/ }));
    expect(used.getByText('Approved; its single-use token was spent')).toBeInTheDocument();
    expect(used.getByText(/bob@acme.test/)).toHaveTextContent('with synced passkey (two-step)');
    expect(server.callsTo('ApprovalRequests').map((c) => c.variables.status)).toEqual(['pending', null]);
  });

  it('says so when the linked request is not one the viewer can see', async () => {
    annInbox({ requests: [] });
    renderApp('/w/acme/approvals?id=apr_nope');
    expect(await screen.findByText(/No approval request/)).toHaveTextContent('apr_nope');
    expect(await screen.findByText('Nothing waits for a decision.')).toBeInTheDocument();
  });

  it('shows a signed-in API token the inbox without buttons', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler(),
      ApprovalRequests: () => ({ data: { approvalRequests: [request({ canDecide: false })] } }),
    });
    renderApp('/w/acme/approvals');
    const card = within(await screen.findByRole('article', { name: /billing asks to act/ }));
    await waitFor(() => expect(card.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument());
    expect(screen.getByText(/As an admin you see every request/)).toBeInTheDocument();
  });
});
