import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockServer, renderApp, signedIn, viewerHandler } from '../test/server';
import { jsonProblems } from './ToolsPage';

const billing = {
  id: '42949672961',
  name: 'billing',
  description: 'the billing API',
  upstreamURL: 'https://billing.example/api',
  injection: 'header',
  headerName: 'X-Api-Key',
  headerTemplate: '{secret}',
  queryParam: '',
  credentialSource: 'workspace',
  credentialID: '38654705665',
  provider: '',
  operations: '[{"method":"GET","path":"/invoices","scope":"invoices:read","approval":false}]',
  redaction: '{}',
  internal: false,
  timeoutMs: 10000,
  maxBodyBytes: 10485760,
  disabled: false,
  createdAt: '2026-11-24T12:00:00Z',
};

const credentials = [
  { id: '38654705665', name: 'billing key', kind: 'api_key', revokedAt: null },
  { id: '38654705666', name: 'old key', kind: 'api_key', revokedAt: '2026-11-24T12:00:00Z' },
];

const typeJSON = (text: string) => text.replace(/[{[]/g, (c) => c + c);

describe('tools page', () => {
  it('refuses operations that are not JSON, then registers a tool', async () => {
    signedIn();
    let created = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Tools: () => ({ data: { tools: created ? [billing] : [], credentials } }),
      CreateTool: () => {
        created = true;
        return { data: { createTool: { id: billing.id, name: 'billing' } } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/tools');
    await screen.findByText('0 tools');
    expect(screen.getByRole('navigation', { name: 'Workspace' })).toHaveTextContent('Tools');

    // Revoked credentials are not offered.
    const credential = screen.getByLabelText('Credential');
    expect(within(credential).queryByText(/old key/)).toBeNull();

    await user.type(screen.getByLabelText('Name'), 'billing');
    await user.type(screen.getByLabelText('Upstream URL'), 'https://billing.example/api');
    await user.selectOptions(credential, '38654705665');
    await user.selectOptions(screen.getByLabelText('Injection'), 'header');
    await user.type(screen.getByLabelText('Header name'), 'X-Api-Key');
    const ops = screen.getByLabelText('Operations (JSON)');
    await user.type(ops, 'not json');
    await user.click(screen.getByRole('button', { name: 'Register tool' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Operations are not valid JSON');
    expect(server.callsTo('CreateTool')).toHaveLength(0);

    await user.clear(ops);
    await user.type(ops, typeJSON('[{"method":"GET","path":"/invoices","scope":"invoices:read"}]'));
    await user.click(screen.getByRole('button', { name: 'Register tool' }));
    expect(await screen.findByText('1 tool')).toBeInTheDocument();
    expect(server.callsTo('CreateTool')[0]?.variables).toEqual({
      input: {
        name: 'billing',
        description: '',
        upstreamURL: 'https://billing.example/api',
        injection: 'header',
        headerName: 'X-Api-Key',
        headerTemplate: '{secret}',
        queryParam: '',
        credentialSource: 'workspace',
        credentialID: '38654705665',
        operations: '[{"method":"GET","path":"/invoices","scope":"invoices:read"}]',
        redaction: '{}',
        internal: false,
        timeoutMs: 10000,
        disabled: false,
      },
    });
    const row = screen.getByRole('row', { name: /billing/ });
    expect(row).toHaveTextContent('billing key');
    expect(row).toHaveTextContent('1 operation');
    expect(row).toHaveTextContent('Enabled');
  });

  it('edits, disables and deletes a tool', async () => {
    signedIn();
    let disabled = false;
    let deleted = false;
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      Tools: () => ({ data: { tools: deleted ? [] : [{ ...billing, disabled }], credentials } }),
      UpdateTool: () => ({ data: { updateTool: { id: billing.id, name: 'billing' } } }),
      SetToolDisabled: () => {
        disabled = true;
        return { data: { setToolDisabled: { id: billing.id, disabled: true } } };
      },
      DeleteTool: () => {
        deleted = true;
        return { data: { deleteTool: billing.id } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/tools');
    await screen.findByText('1 tool');

    await user.click(screen.getByRole('button', { name: 'Edit billing' }));
    const form = screen.getByRole('form', { name: 'Edit billing' });
    expect(within(form).getByLabelText('Name')).toHaveValue('billing');
    expect(within(form).getByLabelText('Header name')).toHaveValue('X-Api-Key');
    await user.click(within(form).getByLabelText('Internal'));
    await user.click(within(form).getByRole('button', { name: 'Save tool' }));
    await screen.findByText('Saved billing.');
    const update = server.callsTo('UpdateTool')[0]?.variables as { id: string; input: Record<string, unknown> };
    expect(update.id).toBe(billing.id);
    expect(update.input).toMatchObject({ name: 'billing', internal: true, credentialID: '38654705665', disabled: false });
    expect(JSON.parse(update.input.operations as string)).toEqual(JSON.parse(billing.operations));

    await user.click(screen.getByRole('button', { name: 'Disable billing' }));
    await screen.findByText('Disabled billing.');
    expect(server.callsTo('SetToolDisabled')[0]?.variables).toEqual({ id: billing.id, disabled: true });
    expect(await screen.findByText('Disabled')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Delete billing' }));
    await user.click(screen.getByRole('button', { name: 'Confirm delete' }));
    await screen.findByText('Deleted billing.');
    expect(server.callsTo('DeleteTool')[0]?.variables).toEqual({ id: billing.id });
    expect(await screen.findByText('0 tools')).toBeInTheDocument();
  });

  it('checks the shape of operations and redaction', () => {
    expect(jsonProblems('[]', '')).toEqual(['Operations must be a JSON list with at least one operation.']);
    expect(jsonProblems('[{"method":"GET"}]', '')).toEqual(['Operation 1 must be {"method", "path", "scope", "approval"?}.']);
    expect(jsonProblems('[{"method":"GET","path":"/x","scope":"s","approval":true}]', '[]')).toEqual([
      'Redaction must be a JSON object: {"headers": [...], "json_fields": [...]}.',
    ]);
    expect(jsonProblems('[{"method":"GET","path":"/x","scope":"s"}]', '{"headers":["X-A"]}')).toEqual([]);
  });
});
