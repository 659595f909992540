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
        <AddMemberForm
          onAdded={async (message) => {
            setNotice(message);
            await members.reload();
          }}
        />
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
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const removeRef = useRef<HTMLButtonElement>(null);
  const email = member.user.email;

  useEffect(() => setRole(member.role), [member.role]);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function act(action: () => Promise<string>) {
    setBusy(true);
    setError(undefined);
    try {
      await onChanged(await action());
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

  const remove = () =>
    act(async () => {
      await run(RemoveMemberMutation, { id: member.id });
      return `Removed ${email}.`;
    });

  return (
    <tr>
      <td>{email}</td>
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
            <div className="inline confirm" role="group" aria-label={`Confirm removing ${email}`}>
              <span>Remove {email}?</span>
              <button ref={confirmRef} type="button" className="danger" onClick={() => void remove()} disabled={busy}>
                Confirm remove
              </button>
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setConfirming(false);
                  setTimeout(() => removeRef.current?.focus());
                }}
                disabled={busy}
              >
                Cancel
              </button>
            </div>
          ) : (
            <button
              ref={removeRef}
              type="button"
              className="secondary"
              aria-label={`Remove ${email}`}
              onClick={() => setConfirming(true)}
            >
              Remove
            </button>
          )}
          <Alert>{error}</Alert>
        </td>
      )}
    </tr>
  );
}
