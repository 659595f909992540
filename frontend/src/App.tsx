import { Navigate, Route, Routes } from 'react-router';
import { getSession } from './auth/session';
import { AuditPage } from './pages/AuditPage';
import { MembersPage } from './pages/MembersPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OverviewPage } from './pages/OverviewPage';
import { SignInPage } from './pages/SignInPage';
import { TokensPage } from './pages/TokensPage';
import { WorkspaceLayout } from './workspace/WorkspaceLayout';

function Home() {
  const session = getSession();
  if (session) return <Navigate to={`/w/${encodeURIComponent(session.slug)}`} replace />;
  return <SignInPage />;
}

export function App() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/w/:slug" element={<WorkspaceLayout />}>
        <Route index element={<OverviewPage />} />
        <Route path="members" element={<MembersPage />} />
        <Route path="tokens" element={<TokensPage />} />
        <Route path="audit" element={<AuditPage />} />
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
