import type { MembershipRole } from '../gql/graphql';

export const roles: readonly MembershipRole[] = ['member', 'admin', 'owner'];

export function isRole(value: string): value is MembershipRole {
  return (roles as readonly string[]).includes(value);
}

interface RoleSelectProps {
  id: string;
  name?: string;
  value: MembershipRole;
  onChange: (role: MembershipRole) => void;
  disabled?: boolean;
  'aria-label'?: string;
}

export function RoleSelect({ onChange, ...props }: RoleSelectProps) {
  return (
    <select
      {...props}
      onChange={(event) => {
        if (isRole(event.target.value)) onChange(event.target.value);
      }}
    >
      {roles.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
}
