import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';

const hook = {
  id: '30064771073',
  url: 'https://hooks.acme.test/mandate',
  description: 'Approvals bot',
  events: ['approval.approved'],
  disabled: false,
  createdAt: '2026-11-24T12:00:00Z',
};

const delivered = {
  id: '34359738369',
  kind: 'webhook',
  event: 'approval.approved',
  webhookID: hook.id,
  url: hook.url,
  approvalID: 'apr_refund1',
  status: 'delivered',
  attempts: 2,
  nextAttemptAt: '2026-11-24T12:00:30Z',
  lastStatus: 200,
  lastError: '',
  deliveredAt: '2026-11-24T12:00:31Z',
  createdAt: '2026-11-24T12:00:00Z',
};

const failedPing = {
  id: '34359738370',
  kind: 'ping',
  event: 'ciba.ping',
  webhookID: null,
  url: 'https://agent.acme.test/cb',
  approvalID: 'apr_refund1',
  status: 'failed',
  attempts: 6,
  nextAttemptAt: '2026-11-24T20:00:00Z',
  lastStatus: 503,
  lastError: 'HTTP 503',
  deliveredAt: null,
  createdAt: '2026-11-24T11:00:00Z',
};

describe('webhooks page', () => {
  it('adds a webhook and shows its signing secret once', async () => {
    signedIn();
    let created = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Webhooks: () => ({ data: { webhooks: created ? [hook] : [] } }),
      WebhookDeliveries: () => ({ data: { webhookDeliveries: [] } }),
      CreateWebhook: () => {
        created = true;
        return { data: { createWebhook: { secret: 'the-signing-secret', webhook: { id: hook.id, url: hook.url } } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/webhooks');
    await screen.findByText('0 webhooks');
    expect(screen.getByRole('navigation', { name: 'Workspace' })).toHaveTextContent('Webhooks');

    await user.type(screen.getByLabelText('Endpoint URL'), hook.url);
    await user.type(screen.getByLabelText('Description (optional)'), 'Approvals bot');
    await user.click(screen.getByLabelText('approval.approved'));
    await user.click(screen.getByRole('button', { name: 'Add webhook' }));

    const box = await screen.findByRole('region', { name: 'Webhook created' });
    expect(within(box).getByLabelText('Webhook signing secret')).toHaveValue('the-signing-secret');
    expect(box).toHaveTextContent('you will not see it again');
    expect(server.callsTo('CreateWebhook')[0]?.variables).toEqual({
      input: { url: hook.url, description: 'Approvals bot', events: ['approval.approved'] },
    });
    expect(await screen.findByText('1 webhook')).toBeInTheDocument();

    await user.click(within(box).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('region', { name: 'Webhook created' })).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('the-signing-secret');
  });

  it('shows the delivery log with status, attempts and the last error, and filters it', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Webhooks: () => ({ data: { webhooks: [hook] } }),
      WebhookDeliveries: () => ({ data: { webhookDeliveries: [delivered, failedPing] } }),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/webhooks');
    const log = await screen.findByRole('table', { name: /2 deliveries, newest first/ });
    const rows = within(log).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('approval.approved');
    expect(rows[1]).toHaveTextContent('delivered');
    expect(rows[1]).toHaveTextContent('HTTP 200');
    expect(rows[2]).toHaveTextContent('CIBA ping');
    expect(rows[2]).toHaveTextContent('failed');
    expect(rows[2]).toHaveTextContent('6');
    expect(rows[2]).toHaveTextContent('HTTP 503');
    expect(rows[2]).toHaveTextContent('Gave up');
    expect(server.callsTo('WebhookDeliveries')[0]?.variables).toEqual({ webhookID: null, approvalID: null, first: 100 });

    await user.click(screen.getByRole('button', { name: `Deliveries to ${hook.url}` }));
    await waitFor(() =>
      expect(server.callsTo('WebhookDeliveries').at(-1)?.variables).toEqual({ webhookID: hook.id, approvalID: null, first: 100 }),
    );
    await user.type(screen.getByLabelText('Approval id'), 'apr_refund1');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() =>
      expect(server.callsTo('WebhookDeliveries').at(-1)?.variables).toEqual({
        webhookID: hook.id,
        approvalID: 'apr_refund1',
        first: 100,
      }),
    );
  });

  it('disables and, after confirmation, deletes a webhook', async () => {
    signedIn();
    let state: 'on' | 'off' | 'gone' = 'on';
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Webhooks: () => ({ data: { webhooks: state === 'gone' ? [] : [{ ...hook, disabled: state === 'off' }] } }),
      WebhookDeliveries: () => ({ data: { webhookDeliveries: [] } }),
      SetWebhookDisabled: (v) => {
        state = v.disabled ? 'off' : 'on';
        return { data: { setWebhookDisabled: { id: v.id, disabled: v.disabled } } };
      },
      DeleteWebhook: (v) => {
        state = 'gone';
        return { data: { deleteWebhook: v.id } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/webhooks');
    await user.click(await screen.findByRole('button', { name: `Disable ${hook.url}` }));
    expect(await screen.findByRole('button', { name: `Enable ${hook.url}` })).toBeInTheDocument();
    expect(server.callsTo('SetWebhookDisabled')[0]?.variables).toEqual({ id: hook.id, disabled: true });
    expect(screen.getByText(`Disabled the webhook to ${hook.url}.`)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: `Delete ${hook.url}` }));
    expect(server.callsTo('DeleteWebhook')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Confirm delete' }));
    await screen.findByText('0 webhooks');
    expect(server.callsTo('DeleteWebhook')[0]?.variables).toEqual({ id: hook.id });
  });

  it('is neither linked nor queried for plain members', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }),
      Webhooks: () => graphQLError('admins only', 'FORBIDDEN'),
    });
    renderApp('/w/acme/webhooks');
    expect(await screen.findByText('Only admins and owners can manage webhooks.')).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Workspace' })).not.toHaveTextContent('Webhooks');
    expect(server.callsTo('Webhooks')).toHaveLength(0);
  });
});
