import { useEffect, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, usePaginated } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { RoleSelect } from '../components/RoleSelect';
import { graphql } from '../gql';
import type { MembershipRole, MembersQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const MembersQueryDocument = graphql(`
  query Members($first: Int, $after: Cursor) {
    members(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          role
          createdAt
          user {
            id
            email
            name
            emailVerified
            disabled
          }
        }
      }
    }
  }
`);

export const AddMemberMutation = graphql(`
  mutation AddMember($input: AddMemberInput!) {
    addMember(input: $input) {
      id
      role
      user {
        id
        email
      }
    }
  }
`);

export const InviteMemberMutation = graphql(`
  mutation InviteMember($input: InviteMemberInput!) {
    inviteMember(input: $input) {
      id
      email
      role
      expiresAt
    }
  }
`);

export const DisableUserMutation = graphql(`
  mutation DisableUser($id: ID!) {
    disableUser(id: $id) {
      id
      disabled
    }
  }
`);

export const EnableUserMutation = graphql(`
  mutation EnableUser($id: ID!) {
    enableUser(id: $id) {
      id
      disabled
    }
  }
`);

export const DeleteUserMutation = graphql(`
  mutation DeleteUser($id: ID!) {
    deleteUser(id: $id) {
      deletedID
    }
  }
`);

export const RevokeUserSessionsMutation = graphql(`
  mutation RevokeUserSessions($userID: ID!) {
    revokeUserSessions(userID: $userID) {
      revoked
    }
  }
`);

export const ChangeMemberRoleMutation = graphql(`
  mutation ChangeMemberRole($id: ID!, $role: MembershipRole!) {
    changeMemberRole(id: $id, role: $role) {
      id
      role
    }
  }
`);

export const RemoveMemberMutation = graphql(`
  mutation RemoveMember($id: ID!) {
    removeMember(id: $id) {
      deletedID
    }
  }
`);

export const ResetMemberFactorsMutation = graphql(`
  mutation ResetMemberFactors($userID: ID!) {
    resetMemberFactors(userID: $userID) {
      userID
      totpRemoved
      recoveryCodesRemoved
      otherFactorsRemoved
    }
  }
`);

type Member = NonNullable<NonNullable<NonNullable<MembersQuery['members']['edges']>[number]>['node']>;

const noVariables = {};
const selectMembers = (result: MembersQuery) => result.members;

export function MembersPage() {
  const viewer = useViewer();
  const admin = canAdminister(viewer);
  const members = usePaginated(MembersQueryDocument, noVariables, selectMembers);
  const [notice, setNotice] = useState('');

  return (
    <section className="page" aria-labelledby="members-title">
      <h1 id="members-title">Members</h1>
      {admin && (
        <>
          <InviteMemberForm onInvited={setNotice} />
          <details className="add-member">
            <summary>Add someone without an invitation</summary>
            <AddMemberForm
              onAdded={async (message) => {
                setNotice(message);
                await members.reload();
              }}
            />
          </details>
        </>
      )}
      <Status>{notice}</Status>
      <Alert>{members.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {members.loading ? 'Loading members…' : `${members.totalCount} ${members.totalCount === 1 ? 'member' : 'members'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Added</th>
              {admin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {members.nodes.map((member) => (
              <MemberRow
                key={member.id}
                member={member}
                admin={admin}
                onChanged={async (message) => {
                  setNotice(message);
                  await members.reload();
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {members.hasNextPage && (
        <button type="button" className="secondary" onClick={() => void members.loadMore()} disabled={members.loadingMore}>
          {members.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}

function InviteMemberForm({ onInvited }: { onInvited: (message: string) => void }) {
  const run = useApi();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MembershipRole>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { inviteMember } = await run(InviteMemberMutation, { input: { email: email.trim(), role } });
      setEmail('');
      setRole('member');
      onInvited(`Invitation sent to ${inviteMember.email} as ${inviteMember.role}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-row" onSubmit={handleSubmit} aria-labelledby="invite-member-title">
      <h2 id="invite-member-title">Invite a member</h2>
      <p className="muted form-note">We email them a link to choose a password and join.</p>
      <div className="field">
        <label htmlFor="invite-email">Email</label>
        <input
          id="invite-email"
          name="email"
          type="email"
          required
          autoComplete="email"
          spellCheck={false}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="invite-role">Role</label>
        <RoleSelect id="invite-role" name="role" value={role} onChange={setRole} />
      </div>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send invitation'}
        </button>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}

function AddMemberForm({ onAdded }: { onAdded: (message: string) => Promise<void> }) {
  const run = useApi();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<MembershipRole>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const trimmedName = name.trim();
      const { addMember } = await run(AddMemberMutation, {
        input: { email: email.trim(), role, ...(trimmedName ? { name: trimmedName } : {}) },
      });
      setEmail('');
      setName('');
      setRole('member');
      await onAdded(`Added ${addMember.user.email} as ${addMember.role}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-row" onSubmit={handleSubmit} aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <div className="field">
        <label htmlFor="member-email">Email</label>
        <input
          id="member-email"
          name="email"
          type="email"
          required
          autoComplete="off"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="member-name">Name (optional)</label>
        <input id="member-name" name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="member-role">Role</label>
        <RoleSelect id="member-role" name="role" value={role} onChange={setRole} />
      </div>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add member'}
        </button>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}

type Confirmable = 'remove' | 'delete' | 'reset';

const confirmText: Record<Confirmable, { question: (email: string) => string; button: string }> = {
  remove: { question: (email) => `Remove ${email} from the workspace?`, button: 'Confirm remove' },
  delete: {
    question: (email) => `Delete ${email}'s account and personal data? This cannot be undone.`,
    button: 'Confirm delete',
  },
  reset: {
    question: (email) =>
      `Remove ${email}'s second factors (authenticator app, recovery codes, passkeys)? They are emailed, and set up new ones at their next sign-in if the workspace requires them.`,
    button: 'Confirm reset',
  },
};

/** "Removed the authenticator app, 8 recovery codes and 2 passkeys of ann@…" from a reset's answer. */
export function resetSummary(
  email: string,
  r: { totpRemoved: boolean; recoveryCodesRemoved: number; otherFactorsRemoved: number },
): string {
  const parts: string[] = [];
  if (r.totpRemoved) parts.push('the authenticator app');
  if (r.recoveryCodesRemoved > 0) parts.push(`${r.recoveryCodesRemoved} recovery ${r.recoveryCodesRemoved === 1 ? 'code' : 'codes'}`);
  if (r.otherFactorsRemoved > 0) parts.push(`${r.otherFactorsRemoved} ${r.otherFactorsRemoved === 1 ? 'passkey' : 'passkeys'}`);
  if (parts.length === 0) return `${email} had no second factors to reset.`;
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `Reset ${email}'s factors: removed ${list}. They were emailed.`;
}

function MemberRow({
  member,
  admin,
  onChanged,
}: {
  member: Member;
  admin: boolean;
  onChanged: (message: string) => Promise<void>;
}) {
  const run = useApi();
  const [role, setRole] = useState<MembershipRole>(member.role);
  const [confirming, setConfirming] = useState<Confirmable | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openers = useRef<Partial<Record<Confirmable, HTMLButtonElement | null>>>({});
  const email = member.user.email;
  const disabled = member.user.disabled;

  useEffect(() => setRole(member.role), [member.role]);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function act(action: () => Promise<string>) {
    setBusy(true);
    setError(undefined);
    try {
      const message = await action();
      setConfirming(null);
      await onChanged(message);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const changeRole = () =>
    act(async () => {
      const { changeMemberRole } = await run(ChangeMemberRoleMutation, { id: member.id, role });
      return `${email} is now ${changeMemberRole.role}.`;
    });

  const toggleDisabled = () =>
    act(async () => {
      if (disabled) {
        await run(EnableUserMutation, { id: member.user.id });
        return `Enabled ${email}.`;
      }
      await run(DisableUserMutation, { id: member.user.id });
      return `Disabled ${email}: their sessions ended and they cannot sign in.`;
    });

  const revokeSessions = () =>
    act(async () => {
      const { revokeUserSessions } = await run(RevokeUserSessionsMutation, { userID: member.user.id });
      const n = revokeUserSessions.revoked;
      return `Signed ${email} out of ${n} ${n === 1 ? 'session' : 'sessions'}.`;
    });

  const confirm = (what: Confirmable) =>
    act(async () => {
      if (what === 'remove') {
        await run(RemoveMemberMutation, { id: member.id });
        return `Removed ${email}.`;
      }
      if (what === 'reset') {
        const { resetMemberFactors } = await run(ResetMemberFactorsMutation, { userID: member.user.id });
        return resetSummary(email, resetMemberFactors);
      }
      await run(DeleteUserMutation, { id: member.user.id });
      return `Deleted ${email}.`;
    });

  function cancel() {
    const which = confirming;
    setConfirming(null);
    // The button that opened the question is back after this render.
    setTimeout(() => which && openers.current[which]?.focus());
  }

  return (
    <tr className={disabled ? 'disabled' : undefined}>
      <td>
        {email}
        {disabled && <span className="badge status-badge">disabled</span>}
      </td>
      <td>{member.user.name || <span className="muted">—</span>}</td>
      <td>
        {admin ? (
          <div className="inline">
            <RoleSelect
              id={`role-${member.id}`}
              aria-label={`Role for ${email}`}
              value={role}
              onChange={setRole}
              disabled={busy}
            />
            {role !== member.role && (
              <button type="button" onClick={() => void changeRole()} disabled={busy}>
                Save role
              </button>
            )}
          </div>
        ) : (
          <span className="badge">{member.role}</span>
        )}
      </td>
      <td>
        <DateTime value={member.createdAt} />
      </td>
      {admin && (
        <td>
          {confirming ? (
            <div className="inline confirm" role="group" aria-label={`Confirm: ${confirmText[confirming].question(email)}`}>
              <span>{confirmText[confirming].question(email)}</span>
              <button ref={confirmRef} type="button" className="danger" onClick={() => void confirm(confirming)} disabled={busy}>
                {confirmText[confirming].button}
              </button>
              <button type="button" className="secondary" onClick={cancel} disabled={busy}>
                Cancel
              </button>
            </div>
          ) : (
            <div className="inline row-actions">
              <button
                type="button"
                className="secondary"
                aria-label={`${disabled ? 'Enable' : 'Disable'} ${email}`}
                onClick={() => void toggleDisabled()}
                disabled={busy}
              >
                {disabled ? 'Enable' : 'Disable'}
              </button>
              <button
                type="button"
                className="secondary"
                aria-label={`Revoke sessions of ${email}`}
                onClick={() => void revokeSessions()}
                disabled={busy}
              >
                Revoke sessions
              </button>
              <button
                ref={(el) => {
                  openers.current.reset = el;
                }}
                type="button"
                className="secondary"
                aria-label={`Reset factors of ${email}`}
                onClick={() => setConfirming('reset')}
                disabled={busy}
              >
                Reset factors
              </button>
              <button
                ref={(el) => {
                  openers.current.remove = el;
                }}
                type="button"
                className="secondary"
                aria-label={`Remove ${email}`}
                onClick={() => setConfirming('remove')}
                disabled={busy}
              >
                Remove
              </button>
              <button
                ref={(el) => {
                  openers.current.delete = el;
                }}
                type="button"
                className="secondary danger-text"
                aria-label={`Delete ${email}`}
                onClick={() => setConfirming('delete')}
                disabled={busy}
              >
                Delete
              </button>
            </div>
          )}
          <Alert>{error}</Alert>
        </td>
      )}
    </tr>
  );
}
