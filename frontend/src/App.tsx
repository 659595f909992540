import { Navigate, Route, Routes } from 'react-router';
import { getSession } from './auth/session';
import { AcceptInvitationPage } from './pages/AcceptInvitationPage';
import { AccountPage } from './pages/AccountPage';
import { AgentPage } from './pages/AgentPage';
import { AgentsPage } from './pages/AgentsPage';
import { ApplicationsPage } from './pages/ApplicationsPage';
import { ApprovalsPage } from './pages/ApprovalsPage';
import { AuditPage } from './pages/AuditPage';
import { ConfirmEmailPage } from './pages/ConfirmEmailPage';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { MembersPage } from './pages/MembersPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OutboxPage } from './pages/OutboxPage';
import { OverviewPage } from './pages/OverviewPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { ScopesPage } from './pages/ScopesPage';
import { SecurityPage } from './pages/SecurityPage';
import { SignInPage } from './pages/SignInPage';
import { SignInSettingsPage } from './pages/SignInSettingsPage';
import { SigningKeysPage } from './pages/SigningKeysPage';
import { SignUpPage } from './pages/SignUpPage';
import { TracePage } from './pages/TracePage';
import { TokenSignInPage } from './pages/TokenSignInPage';
import { TokensPage } from './pages/TokensPage';
import { ToolsPage } from './pages/ToolsPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';
import { VaultPage } from './pages/VaultPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { WorkspaceSignInPage } from './pages/WorkspaceSignInPage';
import { WorkspaceLayout } from './workspace/WorkspaceLayout';

function Home() {
  const session = getSession();
  if (session) return <Navigate to={`/w/${encodeURIComponent(session.slug)}`} replace />;
  return <WorkspaceSignInPage />;
}

export function App() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/signin" element={<WorkspaceSignInPage />} />
      <Route path="/signin/token" element={<TokenSignInPage />} />
      {/* A workspace's hosted pages; the server serves the app at these paths. */}
      <Route path="/t/:slug">
        <Route index element={<Navigate to="signin" replace />} />
        <Route path="signin" element={<SignInPage />} />
        <Route path="signup" element={<SignUpPage />} />
        <Route path="verify-email" element={<VerifyEmailPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="account" element={<AccountPage />} />
        <Route path="security" element={<SecurityPage />} />
        <Route path="confirm-email" element={<ConfirmEmailPage />} />
        <Route path="accept-invitation" element={<AcceptInvitationPage />} />
      </Route>
      <Route path="/w/:slug" element={<WorkspaceLayout />}>
        <Route index element={<OverviewPage />} />
        <Route path="members" element={<MembersPage />} />
        <Route path="tokens" element={<TokensPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/:id" element={<AgentPage />} />
        <Route path="approvals" element={<ApprovalsPage />} />
        <Route path="trace" element={<TracePage />} />
        <Route path="applications" element={<ApplicationsPage />} />
        <Route path="signing-keys" element={<SigningKeysPage />} />
        <Route path="scopes" element={<ScopesPage />} />
        <Route path="sign-in" element={<SignInSettingsPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="vault" element={<VaultPage />} />
        <Route path="tools" element={<ToolsPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="outbox" element={<OutboxPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
      <Route
        path="*"
        element={
          <main id="main">
            <NotFoundPage />
          </main>
        }
      />
    </Routes>
  );
}
