/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Agents {\n    agents {\n      id\n      clientID\n      name\n      role\n      sponsorID\n      status\n      scopeCeiling\n      tools\n      depth\n      parentID\n      parentRun\n      createdAt\n    }\n  }\n": typeof types.AgentsDocument,
    "\n  query DelegationGrants {\n    delegationGrants {\n      id\n      userID\n      agentID\n      scopes\n      expiresAt\n      status\n      revokedAt\n      createdAt\n    }\n  }\n": typeof types.DelegationGrantsDocument,
    "\n  query MemberEmails($userIDs: [ID!]!) {\n    members(first: 500, where: { userIDIn: $userIDs }) {\n      edges {\n        node {\n          id\n          userID\n          user {\n            id\n            email\n          }\n        }\n      }\n    }\n  }\n": typeof types.MemberEmailsDocument,
    "\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      clientID\n      agent {\n        id\n        name\n        status\n      }\n    }\n  }\n": typeof types.CreateAgentDocument,
    "\n  mutation SuspendAgent($id: ID!) {\n    suspendAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n": typeof types.SuspendAgentDocument,
    "\n  mutation ResumeAgent($id: ID!) {\n    resumeAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n": typeof types.ResumeAgentDocument,
    "\n  mutation RevokeAgent($id: ID!) {\n    revokeAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n": typeof types.RevokeAgentDocument,
    "\n  mutation RevokeDelegationGrant($id: ID!) {\n    revokeDelegationGrant(id: $id) {\n      id\n      status\n      revokedAt\n    }\n  }\n": typeof types.RevokeDelegationGrantDocument,
    "\n  mutation NarrowDelegationGrant($id: ID!, $scopes: [String!], $expiresAt: Time) {\n    narrowDelegationGrant(id: $id, scopes: $scopes, expiresAt: $expiresAt) {\n      id\n      scopes\n      expiresAt\n      status\n    }\n  }\n": typeof types.NarrowDelegationGrantDocument,
    "\n  mutation SetAgentKeys($id: ID!, $jwks: String) {\n    setAgentKeys(id: $id, jwks: $jwks) {\n      id\n      name\n    }\n  }\n": typeof types.SetAgentKeysDocument,
    "\n  fragment AgentTraceNodeFields on AgentTraceNode {\n    run\n    parentRun\n    agent {\n      id\n      name\n      role\n      tools\n      status\n    }\n    scope\n    approval\n    actions {\n      id\n      occurredAt\n      action\n      outcome\n      actorType\n      actorID\n      actorLabel\n      clientID\n      grantID\n      runID\n    }\n  }\n": typeof types.AgentTraceNodeFieldsFragmentDoc,
    "\n  query AgentTrace($run: String!) {\n    agentTrace(run: $run) {\n      ...AgentTraceNodeFields\n      children {\n        ...AgentTraceNodeFields\n        children {\n          ...AgentTraceNodeFields\n          children {\n            ...AgentTraceNodeFields\n            children {\n              ...AgentTraceNodeFields\n              children {\n                run\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.AgentTraceDocument,
    "\n  fragment ApprovalRequestFields on ApprovalRequest {\n    id\n    kind\n    status\n    agentName\n    agentChain\n    clientID\n    userID\n    userEmail\n    grantID\n    scopes\n    authorizationDetails\n    summary\n    bindingMessage\n    requires\n    approverRole\n    run\n    createdAt\n    expiresAt\n    decidedByEmail\n    decidedAt\n    decidedAmr\n    denyReason\n    usedAt\n    canDecide\n  }\n": typeof types.ApprovalRequestFieldsFragmentDoc,
    "\n  query ApprovalRequests($status: String, $first: Int) {\n    approvalRequests(status: $status, first: $first) {\n      ...ApprovalRequestFields\n    }\n  }\n": typeof types.ApprovalRequestsDocument,
    "\n  query ApprovalRequest($id: String!) {\n    approvalRequest(id: $id) {\n      ...ApprovalRequestFields\n    }\n  }\n": typeof types.ApprovalRequestDocument,
    "\n  mutation Approve($id: String!) {\n    approve(id: $id) {\n      ...ApprovalRequestFields\n    }\n  }\n": typeof types.ApproveDocument,
    "\n  mutation Deny($id: String!, $reason: String) {\n    deny(id: $id, reason: $reason) {\n      ...ApprovalRequestFields\n    }\n  }\n": typeof types.DenyDocument,
    "\n  query ApprovalPolicies {\n    approvalPolicies {\n      scopes {\n        scope\n        rule {\n          approverRole\n          waitMinutes\n        }\n      }\n      detailTypes {\n        type\n        description\n        schema\n        approval {\n          approverRole\n          waitMinutes\n        }\n      }\n    }\n  }\n": typeof types.ApprovalPoliciesDocument,
    "\n  mutation UpdateApprovalPolicies($scopes: [ScopeApprovalInput!], $detailTypes: [AuthorizationDetailTypeInput!]) {\n    updateApprovalPolicies(scopes: $scopes, detailTypes: $detailTypes) {\n      scopes {\n        scope\n        rule {\n          approverRole\n          waitMinutes\n        }\n      }\n      detailTypes {\n        type\n        description\n        schema\n        approval {\n          approverRole\n          waitMinutes\n        }\n      }\n    }\n  }\n": typeof types.UpdateApprovalPoliciesDocument,
    "\n  query SignInViewer {\n    viewer {\n      kind\n      label\n      role\n      tenant {\n        slug\n        name\n      }\n    }\n  }\n": typeof types.SignInViewerDocument,
    "\n  query ConnectedApps {\n    connectedApps {\n      clientID\n      name\n      scopes\n      grantedAt\n    }\n  }\n": typeof types.ConnectedAppsDocument,
    "\n  mutation RevokeConnectedApp($clientID: String!) {\n    revokeConnectedApp(clientID: $clientID)\n  }\n": typeof types.RevokeConnectedAppDocument,
    "\n  query OAuthClients {\n    tenant {\n      issuerURL\n    }\n    oauthClients {\n      id\n      clientID\n      name\n      public\n      tokenEndpointAuthMethod\n      redirectUris\n      postLogoutRedirectUris\n      grantTypes\n      scopes\n      audience\n      tokenFormat\n      signingAlg\n      requirePar\n      backchannelLogoutURI\n      jwksURI\n      hasJwks\n      disabledAt\n      createdAt\n    }\n  }\n": typeof types.OAuthClientsDocument,
    "\n  mutation CreateOAuthClient($input: CreateOAuthClientInput!) {\n    createOAuthClient(input: $input) {\n      clientSecret\n      client {\n        id\n        clientID\n        name\n        tokenEndpointAuthMethod\n      }\n    }\n  }\n": typeof types.CreateOAuthClientDocument,
    "\n  mutation UpdateOAuthClient($clientID: String!, $input: UpdateOAuthClientInput!) {\n    updateOAuthClient(clientID: $clientID, input: $input) {\n      id\n      clientID\n      name\n    }\n  }\n": typeof types.UpdateOAuthClientDocument,
    "\n  mutation RotateOAuthClientSecret($clientID: String!) {\n    rotateOAuthClientSecret(clientID: $clientID) {\n      clientSecret\n      client {\n        id\n        clientID\n        name\n      }\n    }\n  }\n": typeof types.RotateOAuthClientSecretDocument,
    "\n  mutation DisableOAuthClient($clientID: String!) {\n    disableOAuthClient(clientID: $clientID) {\n      id\n      clientID\n      disabledAt\n    }\n  }\n": typeof types.DisableOAuthClientDocument,
    "\n  mutation EnableOAuthClient($clientID: String!) {\n    enableOAuthClient(clientID: $clientID) {\n      id\n      clientID\n      disabledAt\n    }\n  }\n": typeof types.EnableOAuthClientDocument,
    "\n  query AuditEvents($first: Int, $after: Cursor, $where: AuditEventWhereInput) {\n    auditEvents(first: $first, after: $after, where: $where, orderBy: { field: SEQ, direction: DESC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          seq\n          occurredAt\n          actorType\n          actorID\n          actorLabel\n          agentID\n          agentChain\n          clientID\n          runID\n          grantID\n          credentialType\n          credentialID\n          approvalRequired\n          approvalID\n          scope\n          action\n          targetType\n          targetID\n          outcome\n          details\n          ip\n          userAgent\n        }\n      }\n    }\n  }\n": typeof types.AuditEventsDocument,
    "\n  query ConnectedAccounts {\n    connectedAccounts {\n      id\n      provider\n      scopes\n      expiresAt\n      createdAt\n      lastUsedAt\n    }\n  }\n": typeof types.ConnectedAccountsDocument,
    "\n  mutation DisconnectAccount($provider: String!) {\n    disconnectAccount(provider: $provider) {\n      id\n      provider\n    }\n  }\n": typeof types.DisconnectAccountDocument,
    "\n  query Members($first: Int, $after: Cursor) {\n    members(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          role\n          createdAt\n          user {\n            id\n            email\n            name\n            emailVerified\n            disabled\n          }\n        }\n      }\n    }\n  }\n": typeof types.MembersDocument,
    "\n  mutation AddMember($input: AddMemberInput!) {\n    addMember(input: $input) {\n      id\n      role\n      user {\n        id\n        email\n      }\n    }\n  }\n": typeof types.AddMemberDocument,
    "\n  mutation InviteMember($input: InviteMemberInput!) {\n    inviteMember(input: $input) {\n      id\n      email\n      role\n      expiresAt\n    }\n  }\n": typeof types.InviteMemberDocument,
    "\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      id\n      disabled\n    }\n  }\n": typeof types.DisableUserDocument,
    "\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      id\n      disabled\n    }\n  }\n": typeof types.EnableUserDocument,
    "\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id) {\n      deletedID\n    }\n  }\n": typeof types.DeleteUserDocument,
    "\n  mutation RevokeUserSessions($userID: ID!) {\n    revokeUserSessions(userID: $userID) {\n      revoked\n    }\n  }\n": typeof types.RevokeUserSessionsDocument,
    "\n  mutation ChangeMemberRole($id: ID!, $role: MembershipRole!) {\n    changeMemberRole(id: $id, role: $role) {\n      id\n      role\n    }\n  }\n": typeof types.ChangeMemberRoleDocument,
    "\n  mutation RemoveMember($id: ID!) {\n    removeMember(id: $id) {\n      deletedID\n    }\n  }\n": typeof types.RemoveMemberDocument,
    "\n  mutation ResetMemberFactors($userID: ID!) {\n    resetMemberFactors(userID: $userID) {\n      userID\n      totpRemoved\n      recoveryCodesRemoved\n      otherFactorsRemoved\n    }\n  }\n": typeof types.ResetMemberFactorsDocument,
    "\n  query DevOutbox($first: Int) {\n    devOutbox(first: $first) {\n      enabled\n      messages {\n        id\n        to\n        subject\n        text\n        createdAt\n      }\n    }\n  }\n": typeof types.DevOutboxDocument,
    "\n  query Overview {\n    tenant {\n      id\n      slug\n      name\n      createdAt\n      settings {\n        signUpMode\n        sessionLifetimeMinutes\n        sessionIdleMinutes\n        auditRetentionDays\n        accessTokenMinutes\n        refreshTokenDays\n        idTokenMinutes\n      }\n    }\n  }\n": typeof types.OverviewDocument,
    "\n  query OverviewCounts {\n    members {\n      totalCount\n    }\n    apiTokens(where: { revokedAtIsNil: true }) {\n      totalCount\n    }\n    auditEvents {\n      totalCount\n    }\n  }\n": typeof types.OverviewCountsDocument,
    "\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      id\n      slug\n      name\n      createdAt\n      settings {\n        signUpMode\n        sessionLifetimeMinutes\n        sessionIdleMinutes\n        auditRetentionDays\n        accessTokenMinutes\n        refreshTokenDays\n        idTokenMinutes\n      }\n    }\n  }\n": typeof types.UpdateTenantSettingsDocument,
    "\n  query ScopeCatalog {\n    scopeCatalog {\n      name\n      description\n      standard\n    }\n  }\n": typeof types.ScopeCatalogDocument,
    "\n  mutation UpdateScopeCatalog($scopes: [ScopeDefinitionInput!]!) {\n    updateScopeCatalog(scopes: $scopes) {\n      name\n      description\n      standard\n    }\n  }\n": typeof types.UpdateScopeCatalogDocument,
    "\n  query MyLinkedAccounts {\n    myLinkedAccounts {\n      id\n      provider\n      providerName\n      kind\n      email\n      createdAt\n      lastUsedAt\n    }\n  }\n": typeof types.MyLinkedAccountsDocument,
    "\n  mutation UnlinkAccount($id: ID!) {\n    unlinkAccount(id: $id) {\n      deletedID\n    }\n  }\n": typeof types.UnlinkAccountDocument,
    "\n  query SignInSettings {\n    tenant {\n      id\n      settings {\n        mfaPolicy\n        stepUpMinutes\n        passkeyRpId\n        passkeyOrigins\n      }\n    }\n  }\n": typeof types.SignInSettingsDocument,
    "\n  mutation UpdateSignInSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      id\n      settings {\n        mfaPolicy\n        stepUpMinutes\n        passkeyRpId\n        passkeyOrigins\n      }\n    }\n  }\n": typeof types.UpdateSignInSettingsDocument,
    "\n  query IdentityProviders {\n    identityProviders {\n      id\n      slug\n      kind\n      displayName\n      clientID\n      hasClientSecret\n      issuer\n      scopes\n      enabled\n      linkVerifiedEmail\n      allowSignUp\n      callbackURL\n      createdAt\n      updatedAt\n    }\n  }\n": typeof types.IdentityProvidersDocument,
    "\n  mutation CreateIdentityProvider($input: CreateIdentityProviderInput!) {\n    createIdentityProvider(input: $input) {\n      id\n      slug\n      displayName\n      callbackURL\n    }\n  }\n": typeof types.CreateIdentityProviderDocument,
    "\n  mutation UpdateIdentityProvider($id: ID!, $input: UpdateIdentityProviderInput!) {\n    updateIdentityProvider(id: $id, input: $input) {\n      id\n      slug\n      displayName\n      enabled\n      hasClientSecret\n    }\n  }\n": typeof types.UpdateIdentityProviderDocument,
    "\n  mutation DeleteIdentityProvider($id: ID!) {\n    deleteIdentityProvider(id: $id) {\n      deletedID\n    }\n  }\n": typeof types.DeleteIdentityProviderDocument,
    "\n  query SigningKeys {\n    signingKeys {\n      kid\n      alg\n      activatesAt\n      supersededAt\n      unpublishAt\n    }\n  }\n": typeof types.SigningKeysDocument,
    "\n  mutation RotateSigningKey($alg: String!, $publishForMinutes: Int) {\n    rotateSigningKey(alg: $alg, publishForMinutes: $publishForMinutes) {\n      kid\n      alg\n      activatesAt\n    }\n  }\n": typeof types.RotateSigningKeyDocument,
    "\n  query APITokens($first: Int, $after: Cursor) {\n    apiTokens(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          role\n          prefix\n          createdBy\n          expiresAt\n          revokedAt\n          lastUsedAt\n          createdAt\n        }\n      }\n    }\n  }\n": typeof types.ApiTokensDocument,
    "\n  mutation CreateAPIToken($input: CreateAPITokenInput!) {\n    createAPIToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        role\n        prefix\n      }\n    }\n  }\n": typeof types.CreateApiTokenDocument,
    "\n  mutation RevokeAPIToken($id: ID!) {\n    revokeAPIToken(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": typeof types.RevokeApiTokenDocument,
    "\n  query Tools {\n    tools {\n      id\n      name\n      description\n      upstreamURL\n      injection\n      headerName\n      headerTemplate\n      queryParam\n      credentialSource\n      credentialID\n      provider\n      operations\n      redaction\n      internal\n      timeoutMs\n      maxBodyBytes\n      disabled\n      createdAt\n    }\n    credentials {\n      id\n      name\n      kind\n      revokedAt\n    }\n  }\n": typeof types.ToolsDocument,
    "\n  mutation CreateTool($input: ToolInput!) {\n    createTool(input: $input) {\n      id\n      name\n    }\n  }\n": typeof types.CreateToolDocument,
    "\n  mutation UpdateTool($id: ID!, $input: ToolInput!) {\n    updateTool(id: $id, input: $input) {\n      id\n      name\n    }\n  }\n": typeof types.UpdateToolDocument,
    "\n  mutation SetToolDisabled($id: ID!, $disabled: Boolean!) {\n    setToolDisabled(id: $id, disabled: $disabled) {\n      id\n      disabled\n    }\n  }\n": typeof types.SetToolDisabledDocument,
    "\n  mutation DeleteTool($id: ID!) {\n    deleteTool(id: $id)\n  }\n": typeof types.DeleteToolDocument,
    "\n  query Credentials {\n    credentials {\n      id\n      name\n      kind\n      ownerKind\n      ownerID\n      provider\n      expiresAt\n      lastUsedAt\n      rotatedAt\n      revokedAt\n      createdAt\n    }\n  }\n": typeof types.CredentialsDocument,
    "\n  mutation CreateCredential($input: CreateCredentialInput!) {\n    createCredential(input: $input) {\n      id\n      name\n    }\n  }\n": typeof types.CreateCredentialDocument,
    "\n  mutation RotateCredential($id: ID!, $input: CredentialValueInput!) {\n    rotateCredential(id: $id, input: $input) {\n      id\n      rotatedAt\n    }\n  }\n": typeof types.RotateCredentialDocument,
    "\n  mutation RevokeCredential($id: ID!) {\n    revokeCredential(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": typeof types.RevokeCredentialDocument,
    "\n  query Webhooks {\n    webhooks {\n      id\n      url\n      description\n      events\n      disabled\n      createdAt\n    }\n  }\n": typeof types.WebhooksDocument,
    "\n  query WebhookDeliveries($webhookID: ID, $approvalID: String, $first: Int) {\n    webhookDeliveries(webhookID: $webhookID, approvalID: $approvalID, first: $first) {\n      id\n      kind\n      event\n      webhookID\n      url\n      approvalID\n      status\n      attempts\n      nextAttemptAt\n      lastStatus\n      lastError\n      deliveredAt\n      createdAt\n    }\n  }\n": typeof types.WebhookDeliveriesDocument,
    "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n      }\n    }\n  }\n": typeof types.CreateWebhookDocument,
    "\n  mutation SetWebhookDisabled($id: ID!, $disabled: Boolean!) {\n    setWebhookDisabled(id: $id, disabled: $disabled) {\n      id\n      disabled\n    }\n  }\n": typeof types.SetWebhookDisabledDocument,
    "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n": typeof types.DeleteWebhookDocument,
    "\n  query WorkspaceViewer {\n    viewer {\n      kind\n      id\n      label\n      role\n      tenant {\n        id\n        slug\n        name\n      }\n    }\n  }\n": typeof types.WorkspaceViewerDocument,
};
const documents: Documents = {
    "\n  query Agents {\n    agents {\n      id\n      clientID\n      name\n      role\n      sponsorID\n      status\n      scopeCeiling\n      tools\n      depth\n      parentID\n      parentRun\n      createdAt\n    }\n  }\n": types.AgentsDocument,
    "\n  query DelegationGrants {\n    delegationGrants {\n      id\n      userID\n      agentID\n      scopes\n      expiresAt\n      status\n      revokedAt\n      createdAt\n    }\n  }\n": types.DelegationGrantsDocument,
    "\n  query MemberEmails($userIDs: [ID!]!) {\n    members(first: 500, where: { userIDIn: $userIDs }) {\n      edges {\n        node {\n          id\n          userID\n          user {\n            id\n            email\n          }\n        }\n      }\n    }\n  }\n": types.MemberEmailsDocument,
    "\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      clientID\n      agent {\n        id\n        name\n        status\n      }\n    }\n  }\n": types.CreateAgentDocument,
    "\n  mutation SuspendAgent($id: ID!) {\n    suspendAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n": types.SuspendAgentDocument,
    "\n  mutation ResumeAgent($id: ID!) {\n    resumeAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n": types.ResumeAgentDocument,
    "\n  mutation RevokeAgent($id: ID!) {\n    revokeAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n": types.RevokeAgentDocument,
    "\n  mutation RevokeDelegationGrant($id: ID!) {\n    revokeDelegationGrant(id: $id) {\n      id\n      status\n      revokedAt\n    }\n  }\n": types.RevokeDelegationGrantDocument,
    "\n  mutation NarrowDelegationGrant($id: ID!, $scopes: [String!], $expiresAt: Time) {\n    narrowDelegationGrant(id: $id, scopes: $scopes, expiresAt: $expiresAt) {\n      id\n      scopes\n      expiresAt\n      status\n    }\n  }\n": types.NarrowDelegationGrantDocument,
    "\n  mutation SetAgentKeys($id: ID!, $jwks: String) {\n    setAgentKeys(id: $id, jwks: $jwks) {\n      id\n      name\n    }\n  }\n": types.SetAgentKeysDocument,
    "\n  fragment AgentTraceNodeFields on AgentTraceNode {\n    run\n    parentRun\n    agent {\n      id\n      name\n      role\n      tools\n      status\n    }\n    scope\n    approval\n    actions {\n      id\n      occurredAt\n      action\n      outcome\n      actorType\n      actorID\n      actorLabel\n      clientID\n      grantID\n      runID\n    }\n  }\n": types.AgentTraceNodeFieldsFragmentDoc,
    "\n  query AgentTrace($run: String!) {\n    agentTrace(run: $run) {\n      ...AgentTraceNodeFields\n      children {\n        ...AgentTraceNodeFields\n        children {\n          ...AgentTraceNodeFields\n          children {\n            ...AgentTraceNodeFields\n            children {\n              ...AgentTraceNodeFields\n              children {\n                run\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.AgentTraceDocument,
    "\n  fragment ApprovalRequestFields on ApprovalRequest {\n    id\n    kind\n    status\n    agentName\n    agentChain\n    clientID\n    userID\n    userEmail\n    grantID\n    scopes\n    authorizationDetails\n    summary\n    bindingMessage\n    requires\n    approverRole\n    run\n    createdAt\n    expiresAt\n    decidedByEmail\n    decidedAt\n    decidedAmr\n    denyReason\n    usedAt\n    canDecide\n  }\n": types.ApprovalRequestFieldsFragmentDoc,
    "\n  query ApprovalRequests($status: String, $first: Int) {\n    approvalRequests(status: $status, first: $first) {\n      ...ApprovalRequestFields\n    }\n  }\n": types.ApprovalRequestsDocument,
    "\n  query ApprovalRequest($id: String!) {\n    approvalRequest(id: $id) {\n      ...ApprovalRequestFields\n    }\n  }\n": types.ApprovalRequestDocument,
    "\n  mutation Approve($id: String!) {\n    approve(id: $id) {\n      ...ApprovalRequestFields\n    }\n  }\n": types.ApproveDocument,
    "\n  mutation Deny($id: String!, $reason: String) {\n    deny(id: $id, reason: $reason) {\n      ...ApprovalRequestFields\n    }\n  }\n": types.DenyDocument,
    "\n  query ApprovalPolicies {\n    approvalPolicies {\n      scopes {\n        scope\n        rule {\n          approverRole\n          waitMinutes\n        }\n      }\n      detailTypes {\n        type\n        description\n        schema\n        approval {\n          approverRole\n          waitMinutes\n        }\n      }\n    }\n  }\n": types.ApprovalPoliciesDocument,
    "\n  mutation UpdateApprovalPolicies($scopes: [ScopeApprovalInput!], $detailTypes: [AuthorizationDetailTypeInput!]) {\n    updateApprovalPolicies(scopes: $scopes, detailTypes: $detailTypes) {\n      scopes {\n        scope\n        rule {\n          approverRole\n          waitMinutes\n        }\n      }\n      detailTypes {\n        type\n        description\n        schema\n        approval {\n          approverRole\n          waitMinutes\n        }\n      }\n    }\n  }\n": types.UpdateApprovalPoliciesDocument,
    "\n  query SignInViewer {\n    viewer {\n      kind\n      label\n      role\n      tenant {\n        slug\n        name\n      }\n    }\n  }\n": types.SignInViewerDocument,
    "\n  query ConnectedApps {\n    connectedApps {\n      clientID\n      name\n      scopes\n      grantedAt\n    }\n  }\n": types.ConnectedAppsDocument,
    "\n  mutation RevokeConnectedApp($clientID: String!) {\n    revokeConnectedApp(clientID: $clientID)\n  }\n": types.RevokeConnectedAppDocument,
    "\n  query OAuthClients {\n    tenant {\n      issuerURL\n    }\n    oauthClients {\n      id\n      clientID\n      name\n      public\n      tokenEndpointAuthMethod\n      redirectUris\n      postLogoutRedirectUris\n      grantTypes\n      scopes\n      audience\n      tokenFormat\n      signingAlg\n      requirePar\n      backchannelLogoutURI\n      jwksURI\n      hasJwks\n      disabledAt\n      createdAt\n    }\n  }\n": types.OAuthClientsDocument,
    "\n  mutation CreateOAuthClient($input: CreateOAuthClientInput!) {\n    createOAuthClient(input: $input) {\n      clientSecret\n      client {\n        id\n        clientID\n        name\n        tokenEndpointAuthMethod\n      }\n    }\n  }\n": types.CreateOAuthClientDocument,
    "\n  mutation UpdateOAuthClient($clientID: String!, $input: UpdateOAuthClientInput!) {\n    updateOAuthClient(clientID: $clientID, input: $input) {\n      id\n      clientID\n      name\n    }\n  }\n": types.UpdateOAuthClientDocument,
    "\n  mutation RotateOAuthClientSecret($clientID: String!) {\n    rotateOAuthClientSecret(clientID: $clientID) {\n      clientSecret\n      client {\n        id\n        clientID\n        name\n      }\n    }\n  }\n": types.RotateOAuthClientSecretDocument,
    "\n  mutation DisableOAuthClient($clientID: String!) {\n    disableOAuthClient(clientID: $clientID) {\n      id\n      clientID\n      disabledAt\n    }\n  }\n": types.DisableOAuthClientDocument,
    "\n  mutation EnableOAuthClient($clientID: String!) {\n    enableOAuthClient(clientID: $clientID) {\n      id\n      clientID\n      disabledAt\n    }\n  }\n": types.EnableOAuthClientDocument,
    "\n  query AuditEvents($first: Int, $after: Cursor, $where: AuditEventWhereInput) {\n    auditEvents(first: $first, after: $after, where: $where, orderBy: { field: SEQ, direction: DESC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          seq\n          occurredAt\n          actorType\n          actorID\n          actorLabel\n          agentID\n          agentChain\n          clientID\n          runID\n          grantID\n          credentialType\n          credentialID\n          approvalRequired\n          approvalID\n          scope\n          action\n          targetType\n          targetID\n          outcome\n          details\n          ip\n          userAgent\n        }\n      }\n    }\n  }\n": types.AuditEventsDocument,
    "\n  query ConnectedAccounts {\n    connectedAccounts {\n      id\n      provider\n      scopes\n      expiresAt\n      createdAt\n      lastUsedAt\n    }\n  }\n": types.ConnectedAccountsDocument,
    "\n  mutation DisconnectAccount($provider: String!) {\n    disconnectAccount(provider: $provider) {\n      id\n      provider\n    }\n  }\n": types.DisconnectAccountDocument,
    "\n  query Members($first: Int, $after: Cursor) {\n    members(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          role\n          createdAt\n          user {\n            id\n            email\n            name\n            emailVerified\n            disabled\n          }\n        }\n      }\n    }\n  }\n": types.MembersDocument,
    "\n  mutation AddMember($input: AddMemberInput!) {\n    addMember(input: $input) {\n      id\n      role\n      user {\n        id\n        email\n      }\n    }\n  }\n": types.AddMemberDocument,
    "\n  mutation InviteMember($input: InviteMemberInput!) {\n    inviteMember(input: $input) {\n      id\n      email\n      role\n      expiresAt\n    }\n  }\n": types.InviteMemberDocument,
    "\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      id\n      disabled\n    }\n  }\n": types.DisableUserDocument,
    "\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      id\n      disabled\n    }\n  }\n": types.EnableUserDocument,
    "\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id) {\n      deletedID\n    }\n  }\n": types.DeleteUserDocument,
    "\n  mutation RevokeUserSessions($userID: ID!) {\n    revokeUserSessions(userID: $userID) {\n      revoked\n    }\n  }\n": types.RevokeUserSessionsDocument,
    "\n  mutation ChangeMemberRole($id: ID!, $role: MembershipRole!) {\n    changeMemberRole(id: $id, role: $role) {\n      id\n      role\n    }\n  }\n": types.ChangeMemberRoleDocument,
    "\n  mutation RemoveMember($id: ID!) {\n    removeMember(id: $id) {\n      deletedID\n    }\n  }\n": types.RemoveMemberDocument,
    "\n  mutation ResetMemberFactors($userID: ID!) {\n    resetMemberFactors(userID: $userID) {\n      userID\n      totpRemoved\n      recoveryCodesRemoved\n      otherFactorsRemoved\n    }\n  }\n": types.ResetMemberFactorsDocument,
    "\n  query DevOutbox($first: Int) {\n    devOutbox(first: $first) {\n      enabled\n      messages {\n        id\n        to\n        subject\n        text\n        createdAt\n      }\n    }\n  }\n": types.DevOutboxDocument,
    "\n  query Overview {\n    tenant {\n      id\n      slug\n      name\n      createdAt\n      settings {\n        signUpMode\n        sessionLifetimeMinutes\n        sessionIdleMinutes\n        auditRetentionDays\n        accessTokenMinutes\n        refreshTokenDays\n        idTokenMinutes\n      }\n    }\n  }\n": types.OverviewDocument,
    "\n  query OverviewCounts {\n    members {\n      totalCount\n    }\n    apiTokens(where: { revokedAtIsNil: true }) {\n      totalCount\n    }\n    auditEvents {\n      totalCount\n    }\n  }\n": types.OverviewCountsDocument,
    "\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      id\n      slug\n      name\n      createdAt\n      settings {\n        signUpMode\n        sessionLifetimeMinutes\n        sessionIdleMinutes\n        auditRetentionDays\n        accessTokenMinutes\n        refreshTokenDays\n        idTokenMinutes\n      }\n    }\n  }\n": types.UpdateTenantSettingsDocument,
    "\n  query ScopeCatalog {\n    scopeCatalog {\n      name\n      description\n      standard\n    }\n  }\n": types.ScopeCatalogDocument,
    "\n  mutation UpdateScopeCatalog($scopes: [ScopeDefinitionInput!]!) {\n    updateScopeCatalog(scopes: $scopes) {\n      name\n      description\n      standard\n    }\n  }\n": types.UpdateScopeCatalogDocument,
    "\n  query MyLinkedAccounts {\n    myLinkedAccounts {\n      id\n      provider\n      providerName\n      kind\n      email\n      createdAt\n      lastUsedAt\n    }\n  }\n": types.MyLinkedAccountsDocument,
    "\n  mutation UnlinkAccount($id: ID!) {\n    unlinkAccount(id: $id) {\n      deletedID\n    }\n  }\n": types.UnlinkAccountDocument,
    "\n  query SignInSettings {\n    tenant {\n      id\n      settings {\n        mfaPolicy\n        stepUpMinutes\n        passkeyRpId\n        passkeyOrigins\n      }\n    }\n  }\n": types.SignInSettingsDocument,
    "\n  mutation UpdateSignInSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      id\n      settings {\n        mfaPolicy\n        stepUpMinutes\n        passkeyRpId\n        passkeyOrigins\n      }\n    }\n  }\n": types.UpdateSignInSettingsDocument,
    "\n  query IdentityProviders {\n    identityProviders {\n      id\n      slug\n      kind\n      displayName\n      clientID\n      hasClientSecret\n      issuer\n      scopes\n      enabled\n      linkVerifiedEmail\n      allowSignUp\n      callbackURL\n      createdAt\n      updatedAt\n    }\n  }\n": types.IdentityProvidersDocument,
    "\n  mutation CreateIdentityProvider($input: CreateIdentityProviderInput!) {\n    createIdentityProvider(input: $input) {\n      id\n      slug\n      displayName\n      callbackURL\n    }\n  }\n": types.CreateIdentityProviderDocument,
    "\n  mutation UpdateIdentityProvider($id: ID!, $input: UpdateIdentityProviderInput!) {\n    updateIdentityProvider(id: $id, input: $input) {\n      id\n      slug\n      displayName\n      enabled\n      hasClientSecret\n    }\n  }\n": types.UpdateIdentityProviderDocument,
    "\n  mutation DeleteIdentityProvider($id: ID!) {\n    deleteIdentityProvider(id: $id) {\n      deletedID\n    }\n  }\n": types.DeleteIdentityProviderDocument,
    "\n  query SigningKeys {\n    signingKeys {\n      kid\n      alg\n      activatesAt\n      supersededAt\n      unpublishAt\n    }\n  }\n": types.SigningKeysDocument,
    "\n  mutation RotateSigningKey($alg: String!, $publishForMinutes: Int) {\n    rotateSigningKey(alg: $alg, publishForMinutes: $publishForMinutes) {\n      kid\n      alg\n      activatesAt\n    }\n  }\n": types.RotateSigningKeyDocument,
    "\n  query APITokens($first: Int, $after: Cursor) {\n    apiTokens(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          role\n          prefix\n          createdBy\n          expiresAt\n          revokedAt\n          lastUsedAt\n          createdAt\n        }\n      }\n    }\n  }\n": types.ApiTokensDocument,
    "\n  mutation CreateAPIToken($input: CreateAPITokenInput!) {\n    createAPIToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        role\n        prefix\n      }\n    }\n  }\n": types.CreateApiTokenDocument,
    "\n  mutation RevokeAPIToken($id: ID!) {\n    revokeAPIToken(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": types.RevokeApiTokenDocument,
    "\n  query Tools {\n    tools {\n      id\n      name\n      description\n      upstreamURL\n      injection\n      headerName\n      headerTemplate\n      queryParam\n      credentialSource\n      credentialID\n      provider\n      operations\n      redaction\n      internal\n      timeoutMs\n      maxBodyBytes\n      disabled\n      createdAt\n    }\n    credentials {\n      id\n      name\n      kind\n      revokedAt\n    }\n  }\n": types.ToolsDocument,
    "\n  mutation CreateTool($input: ToolInput!) {\n    createTool(input: $input) {\n      id\n      name\n    }\n  }\n": types.CreateToolDocument,
    "\n  mutation UpdateTool($id: ID!, $input: ToolInput!) {\n    updateTool(id: $id, input: $input) {\n      id\n      name\n    }\n  }\n": types.UpdateToolDocument,
    "\n  mutation SetToolDisabled($id: ID!, $disabled: Boolean!) {\n    setToolDisabled(id: $id, disabled: $disabled) {\n      id\n      disabled\n    }\n  }\n": types.SetToolDisabledDocument,
    "\n  mutation DeleteTool($id: ID!) {\n    deleteTool(id: $id)\n  }\n": types.DeleteToolDocument,
    "\n  query Credentials {\n    credentials {\n      id\n      name\n      kind\n      ownerKind\n      ownerID\n      provider\n      expiresAt\n      lastUsedAt\n      rotatedAt\n      revokedAt\n      createdAt\n    }\n  }\n": types.CredentialsDocument,
    "\n  mutation CreateCredential($input: CreateCredentialInput!) {\n    createCredential(input: $input) {\n      id\n      name\n    }\n  }\n": types.CreateCredentialDocument,
    "\n  mutation RotateCredential($id: ID!, $input: CredentialValueInput!) {\n    rotateCredential(id: $id, input: $input) {\n      id\n      rotatedAt\n    }\n  }\n": types.RotateCredentialDocument,
    "\n  mutation RevokeCredential($id: ID!) {\n    revokeCredential(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": types.RevokeCredentialDocument,
    "\n  query Webhooks {\n    webhooks {\n      id\n      url\n      description\n      events\n      disabled\n      createdAt\n    }\n  }\n": types.WebhooksDocument,
    "\n  query WebhookDeliveries($webhookID: ID, $approvalID: String, $first: Int) {\n    webhookDeliveries(webhookID: $webhookID, approvalID: $approvalID, first: $first) {\n      id\n      kind\n      event\n      webhookID\n      url\n      approvalID\n      status\n      attempts\n      nextAttemptAt\n      lastStatus\n      lastError\n      deliveredAt\n      createdAt\n    }\n  }\n": types.WebhookDeliveriesDocument,
    "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n      }\n    }\n  }\n": types.CreateWebhookDocument,
    "\n  mutation SetWebhookDisabled($id: ID!, $disabled: Boolean!) {\n    setWebhookDisabled(id: $id, disabled: $disabled) {\n      id\n      disabled\n    }\n  }\n": types.SetWebhookDisabledDocument,
    "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n": types.DeleteWebhookDocument,
    "\n  query WorkspaceViewer {\n    viewer {\n      kind\n      id\n      label\n      role\n      tenant {\n        id\n        slug\n        name\n      }\n    }\n  }\n": types.WorkspaceViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Agents {\n    agents {\n      id\n      clientID\n      name\n      role\n      sponsorID\n      status\n      scopeCeiling\n      tools\n      depth\n      parentID\n      parentRun\n      createdAt\n    }\n  }\n"): typeof import('./graphql').AgentsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DelegationGrants {\n    delegationGrants {\n      id\n      userID\n      agentID\n      scopes\n      expiresAt\n      status\n      revokedAt\n      createdAt\n    }\n  }\n"): typeof import('./graphql').DelegationGrantsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberEmails($userIDs: [ID!]!) {\n    members(first: 500, where: { userIDIn: $userIDs }) {\n      edges {\n        node {\n          id\n          userID\n          user {\n            id\n            email\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').MemberEmailsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      clientID\n      agent {\n        id\n        name\n        status\n      }\n    }\n  }\n"): typeof import('./graphql').CreateAgentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SuspendAgent($id: ID!) {\n    suspendAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n"): typeof import('./graphql').SuspendAgentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeAgent($id: ID!) {\n    resumeAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n"): typeof import('./graphql').ResumeAgentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeAgent($id: ID!) {\n    revokeAgent(id: $id) {\n      id\n      name\n      status\n      depth\n      parentID\n    }\n  }\n"): typeof import('./graphql').RevokeAgentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeDelegationGrant($id: ID!) {\n    revokeDelegationGrant(id: $id) {\n      id\n      status\n      revokedAt\n    }\n  }\n"): typeof import('./graphql').RevokeDelegationGrantDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation NarrowDelegationGrant($id: ID!, $scopes: [String!], $expiresAt: Time) {\n    narrowDelegationGrant(id: $id, scopes: $scopes, expiresAt: $expiresAt) {\n      id\n      scopes\n      expiresAt\n      status\n    }\n  }\n"): typeof import('./graphql').NarrowDelegationGrantDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetAgentKeys($id: ID!, $jwks: String) {\n    setAgentKeys(id: $id, jwks: $jwks) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql').SetAgentKeysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AgentTraceNodeFields on AgentTraceNode {\n    run\n    parentRun\n    agent {\n      id\n      name\n      role\n      tools\n      status\n    }\n    scope\n    approval\n    actions {\n      id\n      occurredAt\n      action\n      outcome\n      actorType\n      actorID\n      actorLabel\n      clientID\n      grantID\n      runID\n    }\n  }\n"): typeof import('./graphql').AgentTraceNodeFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AgentTrace($run: String!) {\n    agentTrace(run: $run) {\n      ...AgentTraceNodeFields\n      children {\n        ...AgentTraceNodeFields\n        children {\n          ...AgentTraceNodeFields\n          children {\n            ...AgentTraceNodeFields\n            children {\n              ...AgentTraceNodeFields\n              children {\n                run\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').AgentTraceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ApprovalRequestFields on ApprovalRequest {\n    id\n    kind\n    status\n    agentName\n    agentChain\n    clientID\n    userID\n    userEmail\n    grantID\n    scopes\n    authorizationDetails\n    summary\n    bindingMessage\n    requires\n    approverRole\n    run\n    createdAt\n    expiresAt\n    decidedByEmail\n    decidedAt\n    decidedAmr\n    denyReason\n    usedAt\n    canDecide\n  }\n"): typeof import('./graphql').ApprovalRequestFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ApprovalRequests($status: String, $first: Int) {\n    approvalRequests(status: $status, first: $first) {\n      ...ApprovalRequestFields\n    }\n  }\n"): typeof import('./graphql').ApprovalRequestsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ApprovalRequest($id: String!) {\n    approvalRequest(id: $id) {\n      ...ApprovalRequestFields\n    }\n  }\n"): typeof import('./graphql').ApprovalRequestDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Approve($id: String!) {\n    approve(id: $id) {\n      ...ApprovalRequestFields\n    }\n  }\n"): typeof import('./graphql').ApproveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Deny($id: String!, $reason: String) {\n    deny(id: $id, reason: $reason) {\n      ...ApprovalRequestFields\n    }\n  }\n"): typeof import('./graphql').DenyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ApprovalPolicies {\n    approvalPolicies {\n      scopes {\n        scope\n        rule {\n          approverRole\n          waitMinutes\n        }\n      }\n      detailTypes {\n        type\n        description\n        schema\n        approval {\n          approverRole\n          waitMinutes\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ApprovalPoliciesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateApprovalPolicies($scopes: [ScopeApprovalInput!], $detailTypes: [AuthorizationDetailTypeInput!]) {\n    updateApprovalPolicies(scopes: $scopes, detailTypes: $detailTypes) {\n      scopes {\n        scope\n        rule {\n          approverRole\n          waitMinutes\n        }\n      }\n      detailTypes {\n        type\n        description\n        schema\n        approval {\n          approverRole\n          waitMinutes\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').UpdateApprovalPoliciesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignInViewer {\n    viewer {\n      kind\n      label\n      role\n      tenant {\n        slug\n        name\n      }\n    }\n  }\n"): typeof import('./graphql').SignInViewerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConnectedApps {\n    connectedApps {\n      clientID\n      name\n      scopes\n      grantedAt\n    }\n  }\n"): typeof import('./graphql').ConnectedAppsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeConnectedApp($clientID: String!) {\n    revokeConnectedApp(clientID: $clientID)\n  }\n"): typeof import('./graphql').RevokeConnectedAppDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OAuthClients {\n    tenant {\n      issuerURL\n    }\n    oauthClients {\n      id\n      clientID\n      name\n      public\n      tokenEndpointAuthMethod\n      redirectUris\n      postLogoutRedirectUris\n      grantTypes\n      scopes\n      audience\n      tokenFormat\n      signingAlg\n      requirePar\n      backchannelLogoutURI\n      jwksURI\n      hasJwks\n      disabledAt\n      createdAt\n    }\n  }\n"): typeof import('./graphql').OAuthClientsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateOAuthClient($input: CreateOAuthClientInput!) {\n    createOAuthClient(input: $input) {\n      clientSecret\n      client {\n        id\n        clientID\n        name\n        tokenEndpointAuthMethod\n      }\n    }\n  }\n"): typeof import('./graphql').CreateOAuthClientDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateOAuthClient($clientID: String!, $input: UpdateOAuthClientInput!) {\n    updateOAuthClient(clientID: $clientID, input: $input) {\n      id\n      clientID\n      name\n    }\n  }\n"): typeof import('./graphql').UpdateOAuthClientDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateOAuthClientSecret($clientID: String!) {\n    rotateOAuthClientSecret(clientID: $clientID) {\n      clientSecret\n      client {\n        id\n        clientID\n        name\n      }\n    }\n  }\n"): typeof import('./graphql').RotateOAuthClientSecretDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisableOAuthClient($clientID: String!) {\n    disableOAuthClient(clientID: $clientID) {\n      id\n      clientID\n      disabledAt\n    }\n  }\n"): typeof import('./graphql').DisableOAuthClientDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnableOAuthClient($clientID: String!) {\n    enableOAuthClient(clientID: $clientID) {\n      id\n      clientID\n      disabledAt\n    }\n  }\n"): typeof import('./graphql').EnableOAuthClientDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditEvents($first: Int, $after: Cursor, $where: AuditEventWhereInput) {\n    auditEvents(first: $first, after: $after, where: $where, orderBy: { field: SEQ, direction: DESC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          seq\n          occurredAt\n          actorType\n          actorID\n          actorLabel\n          agentID\n          agentChain\n          clientID\n          runID\n          grantID\n          credentialType\n          credentialID\n          approvalRequired\n          approvalID\n          scope\n          action\n          targetType\n          targetID\n          outcome\n          details\n          ip\n          userAgent\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').AuditEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConnectedAccounts {\n    connectedAccounts {\n      id\n      provider\n      scopes\n      expiresAt\n      createdAt\n      lastUsedAt\n    }\n  }\n"): typeof import('./graphql').ConnectedAccountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisconnectAccount($provider: String!) {\n    disconnectAccount(provider: $provider) {\n      id\n      provider\n    }\n  }\n"): typeof import('./graphql').DisconnectAccountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Members($first: Int, $after: Cursor) {\n    members(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          role\n          createdAt\n          user {\n            id\n            email\n            name\n            emailVerified\n            disabled\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').MembersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddMember($input: AddMemberInput!) {\n    addMember(input: $input) {\n      id\n      role\n      user {\n        id\n        email\n      }\n    }\n  }\n"): typeof import('./graphql').AddMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InviteMember($input: InviteMemberInput!) {\n    inviteMember(input: $input) {\n      id\n      email\n      role\n      expiresAt\n    }\n  }\n"): typeof import('./graphql').InviteMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      id\n      disabled\n    }\n  }\n"): typeof import('./graphql').DisableUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      id\n      disabled\n    }\n  }\n"): typeof import('./graphql').EnableUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id) {\n      deletedID\n    }\n  }\n"): typeof import('./graphql').DeleteUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeUserSessions($userID: ID!) {\n    revokeUserSessions(userID: $userID) {\n      revoked\n    }\n  }\n"): typeof import('./graphql').RevokeUserSessionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangeMemberRole($id: ID!, $role: MembershipRole!) {\n    changeMemberRole(id: $id, role: $role) {\n      id\n      role\n    }\n  }\n"): typeof import('./graphql').ChangeMemberRoleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveMember($id: ID!) {\n    removeMember(id: $id) {\n      deletedID\n    }\n  }\n"): typeof import('./graphql').RemoveMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetMemberFactors($userID: ID!) {\n    resetMemberFactors(userID: $userID) {\n      userID\n      totpRemoved\n      recoveryCodesRemoved\n      otherFactorsRemoved\n    }\n  }\n"): typeof import('./graphql').ResetMemberFactorsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DevOutbox($first: Int) {\n    devOutbox(first: $first) {\n      enabled\n      messages {\n        id\n        to\n        subject\n        text\n        createdAt\n      }\n    }\n  }\n"): typeof import('./graphql').DevOutboxDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Overview {\n    tenant {\n      id\n      slug\n      name\n      createdAt\n      settings {\n        signUpMode\n        sessionLifetimeMinutes\n        sessionIdleMinutes\n        auditRetentionDays\n        accessTokenMinutes\n        refreshTokenDays\n        idTokenMinutes\n      }\n    }\n  }\n"): typeof import('./graphql').OverviewDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OverviewCounts {\n    members {\n      totalCount\n    }\n    apiTokens(where: { revokedAtIsNil: true }) {\n      totalCount\n    }\n    auditEvents {\n      totalCount\n    }\n  }\n"): typeof import('./graphql').OverviewCountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      id\n      slug\n      name\n      createdAt\n      settings {\n        signUpMode\n        sessionLifetimeMinutes\n        sessionIdleMinutes\n        auditRetentionDays\n        accessTokenMinutes\n        refreshTokenDays\n        idTokenMinutes\n      }\n    }\n  }\n"): typeof import('./graphql').UpdateTenantSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ScopeCatalog {\n    scopeCatalog {\n      name\n      description\n      standard\n    }\n  }\n"): typeof import('./graphql').ScopeCatalogDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateScopeCatalog($scopes: [ScopeDefinitionInput!]!) {\n    updateScopeCatalog(scopes: $scopes) {\n      name\n      description\n      standard\n    }\n  }\n"): typeof import('./graphql').UpdateScopeCatalogDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyLinkedAccounts {\n    myLinkedAccounts {\n      id\n      provider\n      providerName\n      kind\n      email\n      createdAt\n      lastUsedAt\n    }\n  }\n"): typeof import('./graphql').MyLinkedAccountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnlinkAccount($id: ID!) {\n    unlinkAccount(id: $id) {\n      deletedID\n    }\n  }\n"): typeof import('./graphql').UnlinkAccountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignInSettings {\n    tenant {\n      id\n      settings {\n        mfaPolicy\n        stepUpMinutes\n        passkeyRpId\n        passkeyOrigins\n      }\n    }\n  }\n"): typeof import('./graphql').SignInSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSignInSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      id\n      settings {\n        mfaPolicy\n        stepUpMinutes\n        passkeyRpId\n        passkeyOrigins\n      }\n    }\n  }\n"): typeof import('./graphql').UpdateSignInSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IdentityProviders {\n    identityProviders {\n      id\n      slug\n      kind\n      displayName\n      clientID\n      hasClientSecret\n      issuer\n      scopes\n      enabled\n      linkVerifiedEmail\n      allowSignUp\n      callbackURL\n      createdAt\n      updatedAt\n    }\n  }\n"): typeof import('./graphql').IdentityProvidersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateIdentityProvider($input: CreateIdentityProviderInput!) {\n    createIdentityProvider(input: $input) {\n      id\n      slug\n      displayName\n      callbackURL\n    }\n  }\n"): typeof import('./graphql').CreateIdentityProviderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateIdentityProvider($id: ID!, $input: UpdateIdentityProviderInput!) {\n    updateIdentityProvider(id: $id, input: $input) {\n      id\n      slug\n      displayName\n      enabled\n      hasClientSecret\n    }\n  }\n"): typeof import('./graphql').UpdateIdentityProviderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteIdentityProvider($id: ID!) {\n    deleteIdentityProvider(id: $id) {\n      deletedID\n    }\n  }\n"): typeof import('./graphql').DeleteIdentityProviderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SigningKeys {\n    signingKeys {\n      kid\n      alg\n      activatesAt\n      supersededAt\n      unpublishAt\n    }\n  }\n"): typeof import('./graphql').SigningKeysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateSigningKey($alg: String!, $publishForMinutes: Int) {\n    rotateSigningKey(alg: $alg, publishForMinutes: $publishForMinutes) {\n      kid\n      alg\n      activatesAt\n    }\n  }\n"): typeof import('./graphql').RotateSigningKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query APITokens($first: Int, $after: Cursor) {\n    apiTokens(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          role\n          prefix\n          createdBy\n          expiresAt\n          revokedAt\n          lastUsedAt\n          createdAt\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ApiTokensDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateAPIToken($input: CreateAPITokenInput!) {\n    createAPIToken(input: $input) {\n      token\n      apiToken {\n        id\n        name\n        role\n        prefix\n      }\n    }\n  }\n"): typeof import('./graphql').CreateApiTokenDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeAPIToken($id: ID!) {\n    revokeAPIToken(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"): typeof import('./graphql').RevokeApiTokenDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Tools {\n    tools {\n      id\n      name\n      description\n      upstreamURL\n      injection\n      headerName\n      headerTemplate\n      queryParam\n      credentialSource\n      credentialID\n      provider\n      operations\n      redaction\n      internal\n      timeoutMs\n      maxBodyBytes\n      disabled\n      createdAt\n    }\n    credentials {\n      id\n      name\n      kind\n      revokedAt\n    }\n  }\n"): typeof import('./graphql').ToolsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateTool($input: ToolInput!) {\n    createTool(input: $input) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql').CreateToolDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateTool($id: ID!, $input: ToolInput!) {\n    updateTool(id: $id, input: $input) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql').UpdateToolDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetToolDisabled($id: ID!, $disabled: Boolean!) {\n    setToolDisabled(id: $id, disabled: $disabled) {\n      id\n      disabled\n    }\n  }\n"): typeof import('./graphql').SetToolDisabledDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteTool($id: ID!) {\n    deleteTool(id: $id)\n  }\n"): typeof import('./graphql').DeleteToolDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Credentials {\n    credentials {\n      id\n      name\n      kind\n      ownerKind\n      ownerID\n      provider\n      expiresAt\n      lastUsedAt\n      rotatedAt\n      revokedAt\n      createdAt\n    }\n  }\n"): typeof import('./graphql').CredentialsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateCredential($input: CreateCredentialInput!) {\n    createCredential(input: $input) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql').CreateCredentialDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateCredential($id: ID!, $input: CredentialValueInput!) {\n    rotateCredential(id: $id, input: $input) {\n      id\n      rotatedAt\n    }\n  }\n"): typeof import('./graphql').RotateCredentialDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeCredential($id: ID!) {\n    revokeCredential(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"): typeof import('./graphql').RevokeCredentialDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Webhooks {\n    webhooks {\n      id\n      url\n      description\n      events\n      disabled\n      createdAt\n    }\n  }\n"): typeof import('./graphql').WebhooksDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookDeliveries($webhookID: ID, $approvalID: String, $first: Int) {\n    webhookDeliveries(webhookID: $webhookID, approvalID: $approvalID, first: $first) {\n      id\n      kind\n      event\n      webhookID\n      url\n      approvalID\n      status\n      attempts\n      nextAttemptAt\n      lastStatus\n      lastError\n      deliveredAt\n      createdAt\n    }\n  }\n"): typeof import('./graphql').WebhookDeliveriesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n      }\n    }\n  }\n"): typeof import('./graphql').CreateWebhookDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetWebhookDisabled($id: ID!, $disabled: Boolean!) {\n    setWebhookDisabled(id: $id, disabled: $disabled) {\n      id\n      disabled\n    }\n  }\n"): typeof import('./graphql').SetWebhookDisabledDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n"): typeof import('./graphql').DeleteWebhookDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkspaceViewer {\n    viewer {\n      kind\n      id\n      label\n      role\n      tenant {\n        id\n        slug\n        name\n      }\n    }\n  }\n"): typeof import('./graphql').WorkspaceViewerDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
