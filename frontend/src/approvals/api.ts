// The approvals inbox and policies, as the dashboard asks GraphQL for them
// (graph/approvals.graphqls).
import { graphql } from '../gql';
import type { ApprovalPoliciesQuery, ApprovalRequestFieldsFragment } from '../gql/graphql';

export const ApprovalRequestFields = graphql(`
  fragment ApprovalRequestFields on ApprovalRequest {
    id
    kind
    status
    agentName
    agentChain
    clientID
    userID
    userEmail
    grantID
    scopes
    authorizationDetails
    summary
    bindingMessage
    requires
    approverRole
    run
    createdAt
    expiresAt
    decidedByEmail
    decidedAt
    decidedAmr
    denyReason
    usedAt
    canDecide
  }
`);

export const ApprovalRequestsQuery = graphql(`
  query ApprovalRequests($status: String, $first: Int) {
    approvalRequests(status: $status, first: $first) {
      ...ApprovalRequestFields
    }
  }
`);

export const ApprovalRequestQuery = graphql(`
  query ApprovalRequest($id: String!) {
    approvalRequest(id: $id) {
      ...ApprovalRequestFields
    }
  }
`);

export const ApproveMutation = graphql(`
  mutation Approve($id: String!) {
    approve(id: $id) {
      ...ApprovalRequestFields
    }
  }
`);

export const DenyMutation = graphql(`
  mutation Deny($id: String!, $reason: String) {
    deny(id: $id, reason: $reason) {
      ...ApprovalRequestFields
    }
  }
`);

export const ApprovalPoliciesQueryDocument = graphql(`
  query ApprovalPolicies {
    approvalPolicies {
      scopes {
        scope
        rule {
          approverRole
          waitMinutes
        }
      }
      detailTypes {
        type
        description
        schema
        approval {
          approverRole
          waitMinutes
        }
      }
    }
  }
`);

export const UpdateApprovalPoliciesMutation = graphql(`
  mutation UpdateApprovalPolicies($scopes: [ScopeApprovalInput!], $detailTypes: [AuthorizationDetailTypeInput!]) {
    updateApprovalPolicies(scopes: $scopes, detailTypes: $detailTypes) {
      scopes {
        scope
        rule {
          approverRole
          waitMinutes
        }
      }
      detailTypes {
        type
        description
        schema
        approval {
          approverRole
          waitMinutes
        }
      }
    }
  }
`);

export type ApprovalRequest = ApprovalRequestFieldsFragment;
export type ApprovalPolicies = ApprovalPoliciesQuery['approvalPolicies'];
