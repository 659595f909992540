import { useQuery } from '../api/hooks';
import { distinctIDs, MemberEmailsQueryDocument } from './api';

export interface MemberEmails {
  /** The member's email; a placeholder while loading, or when they are no longer a member. */
  label: (userID: string) => string;
  error: string | undefined;
}

/** Looks up the emails of the people agents and grants name by user id. */
export function useMemberEmails(userIDs: readonly string[]): MemberEmails {
  const ids = distinctIDs(userIDs);
  const members = useQuery(MemberEmailsQueryDocument, { userIDs: ids });
  const emails = new Map<string, string>();
  for (const edge of members.data?.members.edges ?? []) {
    if (edge?.node) emails.set(edge.node.userID, edge.node.user.email);
  }
  return {
    label: (userID) => {
      const email = emails.get(userID);
      if (email) return email;
      if (members.error) return `member ${userID}`;
      if (!members.data) return '…';
      return `a former member (${userID})`;
    },
    error: members.error,
  };
}
