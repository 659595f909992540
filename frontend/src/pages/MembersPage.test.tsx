import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { storageKey } from '../auth/session';
import { connection, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

const ann = {
  id: '12884901889',
  role: 'owner',
  createdAt: '2026-11-20T10:00:00Z',
  user: { id: '8589934593', email: 'ann@acme.test', name: 'Ann', emailVerified: true, disabled: false },
};
const carl = {
  id: '12884901890',
  role: 'member',
  createdAt: '2026-11-21T10:00:00Z',
  user: { id: '8589934594', email: 'carl@acme.test', name: '', emailVerified: false, disabled: false },
};
const bob = {
  id: '12884901891',
  role: 'admin',
  createdAt: '2026-11-22T10:00:00Z',
  user: { id: '8589934595', email: 'bob@acme.test', name: 'Bob', emailVerified: false, disabled: false },
};

function membersPage(nodes: unknown[], hasNextPage = false, endCursor: string | null = null) {
  return { data: { members: connection(nodes, { hasNextPage, endCursor }) } };
}

describe('members page', () => {
  it('renders a row per member from the server response', async () => {
    signedIn();
    const server = mockServer({ WorkspaceViewer: viewerHandler(), Members: () => membersPage([ann, carl]) });
    renderApp('/w/acme/members');

    await screen.findByText('carl@acme.test');
    const rows = screen.getAllByRole('row');
    // header + two members
    expect(rows).toHaveLength(3);
    expect(within(rows[1]!).getByText('ann@acme.test')).toBeInTheDocument();
    expect(within(rows[1]!).getByText('Ann')).toBeInTheDocument();
    expect(within(rows[1]!).getByLabelText('Role for ann@acme.test')).toHaveValue('owner');
    expect(within(rows[2]!).getByText('carl@acme.test')).toBeInTheDocument();
    expect(within(rows[2]!).getByLabelText('Role for carl@acme.test')).toHaveValue('member');
    expect(screen.getByText('2 members')).toBeInTheDocument();
    expect(server.callsTo('Members')[0]?.variables).toEqual({ first: 25 });
    expect(server.callsTo('Members')[0]?.authorization).toBe('Bearer mdt_test_secret');
  });

  it('adds a member with the entered email, name and role, then shows the new row', async () => {
    signedIn();
    let added = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage(added ? [ann, bob] : [ann]),
      AddMember: () => {
        added = true;
        return { data: { addMember: { id: bob.id, role: 'admin', user: { id: bob.user.id, email: bob.user.email } } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await screen.findByText('ann@acme.test');

    await user.click(screen.getByText('Add someone without an invitation'));
    const form = within(screen.getByRole('form', { name: 'Add a member' }));
    await user.type(form.getByLabelText('Email'), 'bob@acme.test');
    await user.type(form.getByLabelText('Name (optional)'), 'Bob');
    await user.selectOptions(form.getByLabelText('Role'), 'admin');
    await user.click(form.getByRole('button', { name: 'Add member' }));

    expect(await screen.findByText('Added bob@acme.test as admin.')).toBeInTheDocument();
    expect(server.callsTo('AddMember')).toHaveLength(1);
    expect(server.callsTo('AddMember')[0]?.variables).toEqual({
      input: { email: 'bob@acme.test', name: 'Bob', role: 'admin' },
    });
    expect(await screen.findByText('bob@acme.test')).toBeInTheDocument();
    expect(form.getByLabelText('Email')).toHaveValue('');
  });

  it('shows the server message when adding fails', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage([ann]),
      AddMember: () => graphQLError('bob@acme.test is already a member', 'CONFLICT'),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await screen.findByText('ann@acme.test');
    const form = within(screen.getByRole('form', { name: 'Add a member' }));
    await user.type(form.getByLabelText('Email'), 'bob@acme.test');
    await user.click(form.getByRole('button', { name: 'Add member' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('bob@acme.test is already a member');
  });

  it('changes a role with the membership id', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage([ann, carl]),
      ChangeMemberRole: (v) => ({ data: { changeMemberRole: { id: v.id, role: v.role } } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await user.selectOptions(await screen.findByLabelText('Role for carl@acme.test'), 'admin');
    await user.click(screen.getByRole('button', { name: 'Save role' }));
    expect(await screen.findByText('carl@acme.test is now admin.')).toBeInTheDocument();
    expect(server.callsTo('ChangeMemberRole')[0]?.variables).toEqual({ id: carl.id, role: 'admin' });
  });

  it('removes a member only after confirmation', async () => {
    signedIn();
    let removed = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage(removed ? [ann] : [ann, carl]),
      RemoveMember: (v) => {
        removed = true;
        return { data: { removeMember: { deletedID: v.id } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await user.click(await screen.findByRole('button', { name: 'Remove carl@acme.test' }));
    expect(server.callsTo('RemoveMember')).toHaveLength(0);
    const confirm = screen.getByRole('button', { name: 'Confirm remove' });
    expect(confirm).toHaveFocus();
    await user.click(confirm);
    await waitFor(() => expect(screen.queryByText('carl@acme.test')).not.toBeInTheDocument());
    expect(server.callsTo('RemoveMember')[0]?.variables).toEqual({ id: carl.id });
    expect(screen.getByText('Removed carl@acme.test.')).toBeInTheDocument();
  });

  it('pages with the end cursor', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: (v) => (v.after === 'cursor-page-1' ? membersPage([carl]) : membersPage([ann], true, 'cursor-page-1')),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await user.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('carl@acme.test')).toBeInTheDocument();
    expect(screen.getByText('ann@acme.test')).toBeInTheDocument();
    expect(server.callsTo('Members')[1]?.variables).toEqual({ first: 25, after: 'cursor-page-1' });
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('goes back to sign-in when the server no longer accepts the token', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => graphQLError('token revoked', 'UNAUTHENTICATED'),
    });
    renderApp('/w/acme/members');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/t/acme/signin'));
    expect(sessionStorage.getItem(storageKey)).toBeNull();
    expect(screen.getByRole('alert')).toHaveTextContent('token revoked');
    expect(screen.getByRole('link', { name: 'Sign in with an API token' })).toBeInTheDocument();
  });

  it('hides the controls from plain members', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler({ ...viewerHandler()().data.viewer, role: 'member' }),
      Members: () => membersPage([ann]),
    });
    renderApp('/w/acme/members');
    await screen.findByText('ann@acme.test');
    expect(screen.queryByRole('button', { name: 'Add member' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Send invitation' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Remove|Disable|Delete|Revoke/ })).not.toBeInTheDocument();
  });

  it('invites by email and role', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage([ann]),
      InviteMember: (v) => {
        const input = v.input as { email: string; role: string };
        return { data: { inviteMember: { id: '1', ...input, expiresAt: '2026-11-27T10:00:00Z' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await screen.findByText('ann@acme.test');
    const form = within(screen.getByRole('form', { name: 'Invite a member' }));
    await user.type(form.getByLabelText('Email'), 'dora@acme.test');
    await user.selectOptions(form.getByLabelText('Role'), 'admin');
    await user.click(form.getByRole('button', { name: 'Send invitation' }));
    expect(await screen.findByText('Invitation sent to dora@acme.test as admin.')).toBeInTheDocument();
    expect(server.callsTo('InviteMember')[0]?.variables).toEqual({ input: { email: 'dora@acme.test', role: 'admin' } });
    expect(form.getByLabelText('Email')).toHaveValue('');
  });

  it('disables and enables an account by user id, and revokes its sessions', async () => {
    signedIn();
    let disabled = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage([ann, { ...carl, user: { ...carl.user, disabled } }]),
      DisableUser: (v) => {
        disabled = true;
        return { data: { disableUser: { id: v.id, disabled: true } } };
      },
      EnableUser: (v) => {
        disabled = false;
        return { data: { enableUser: { id: v.id, disabled: false } } };
      },
      RevokeUserSessions: () => ({ data: { revokeUserSessions: { revoked: 2 } } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await user.click(await screen.findByRole('button', { name: 'Disable carl@acme.test' }));
    expect(await screen.findByText(/Disabled carl@acme.test/)).toBeInTheDocument();
    expect(server.callsTo('DisableUser')[0]?.variables).toEqual({ id: carl.user.id });
    await user.click(await screen.findByRole('button', { name: 'Enable carl@acme.test' }));
    expect(await screen.findByText('Enabled carl@acme.test.')).toBeInTheDocument();
    expect(server.callsTo('EnableUser')[0]?.variables).toEqual({ id: carl.user.id });

    await user.click(screen.getByRole('button', { name: 'Revoke sessions of carl@acme.test' }));
    expect(await screen.findByText('Signed carl@acme.test out of 2 sessions.')).toBeInTheDocument();
    expect(server.callsTo('RevokeUserSessions')[0]?.variables).toEqual({ userID: carl.user.id });
  });

  it('deletes an account only after confirmation, and cancel returns focus', async () => {
    signedIn();
    let deleted = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage(deleted ? [ann] : [ann, carl]),
      DeleteUser: (v) => {
        deleted = true;
        return { data: { deleteUser: { deletedID: v.id } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    const open = await screen.findByRole('button', { name: 'Delete carl@acme.test' });
    await user.click(open);
    expect(screen.getByText(/Delete carl@acme.test's account and personal data\?/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Delete carl@acme.test' })).toHaveFocus());
    expect(server.callsTo('DeleteUser')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Delete carl@acme.test' }));
    const confirm = screen.getByRole('button', { name: 'Confirm delete' });
    expect(confirm).toHaveFocus();
    await user.click(confirm);
    expect(await screen.findByText('Deleted carl@acme.test.')).toBeInTheDocument();
    expect(server.callsTo('DeleteUser')[0]?.variables).toEqual({ id: carl.user.id });
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'carl@acme.test' })).not.toBeInTheDocument());
  });
});

describe('resetting a member’s factors', () => {
  it('asks first, then removes them and says what went', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Members: () => membersPage([ann, carl]),
      ResetMemberFactors: (v) => ({
        data: { resetMemberFactors: { userID: v.userID, totpRemoved: true, recoveryCodesRemoved: 8, otherFactorsRemoved: 2 } },
      }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/members');
    await user.click(await screen.findByRole('button', { name: 'Reset factors of carl@acme.test' }));
    const confirm = within(screen.getByRole('group', { name: /Remove carl@acme\.test's second factors/ }));
    expect(server.callsTo('ResetMemberFactors')).toHaveLength(0);
    await user.click(confirm.getByRole('button', { name: 'Confirm reset' }));
    expect(
      await screen.findByText("Reset carl@acme.test's factors: removed the authenticator app, 8 recovery codes and 2 passkeys. They were emailed."),
    ).toBeInTheDocument();
    expect(server.callsTo('ResetMemberFactors')[0]?.variables).toEqual({ userID: carl.user.id });
  });

  it('says so when there was nothing to reset', async () => {
    const { resetSummary } = await import('./MembersPage');
    expect(resetSummary('bob@acme.test', { totpRemoved: false, recoveryCodesRemoved: 0, otherFactorsRemoved: 0 })).toBe(
      'bob@acme.test had no second factors to reset.',
    );
    expect(resetSummary('bob@acme.test', { totpRemoved: false, recoveryCodesRemoved: 0, otherFactorsRemoved: 1 })).toBe(
      "Reset bob@acme.test's factors: removed 1 passkey. They were emailed.",
    );
  });
});
