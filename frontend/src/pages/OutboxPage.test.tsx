import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

const verify = {
  id: '1',
  to: 'dora@acme.test',
  subject: 'Verify your email address for Acme',
  text: 'Acme\n\nVerify my address: http://localhost:8080/t/acme/verify-email?token=abc_DEF-1\n\nIf you did not sign up, ignore this message.\n',
  createdAt: '2026-11-20T10:00:00Z',
};

describe('dev outbox', () => {
  it('lists kept emails with subject, recipient, date and clickable links; nav shows it to admins', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      DevOutbox: () => ({ data: { devOutbox: { enabled: true, messages: [verify] } } }),
    });
    renderApp('/w/acme/outbox');
    const mail = within(await screen.findByRole('article', { name: verify.subject }));
    expect(mail.getByText('dora@acme.test')).toBeInTheDocument();
    expect(mail.getByRole('link', { name: 'http://localhost:8080/t/acme/verify-email?token=abc_DEF-1' })).toHaveAttribute(
      'href',
      'http://localhost:8080/t/acme/verify-email?token=abc_DEF-1',
    );
    expect(mail.getByText(/If you did not sign up/)).toBeInTheDocument();
    expect(server.callsTo('DevOutbox')[0]?.variables).toEqual({ first: 50 });
    expect(screen.getByRole('navigation', { name: 'Workspace' })).toHaveTextContent('Dev outbox');
  });

  it('says when SMTP is configured and nothing is kept', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler(),
      DevOutbox: () => ({ data: { devOutbox: { enabled: false, messages: [] } } }),
    });
    renderApp('/w/acme/outbox');
    expect(await screen.findByText(/An SMTP server is configured/)).toBeInTheDocument();
  });

  it('is neither linked nor queried for plain members', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }),
      DevOutbox: () => graphQLError('admins only', 'FORBIDDEN'),
    });
    renderApp('/w/acme/outbox');
    expect(await screen.findByText('Only admins and owners can read the outbox.')).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Workspace' })).not.toHaveTextContent('Dev outbox');
    expect(server.callsTo('DevOutbox')).toHaveLength(0);
  });
});
