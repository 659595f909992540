// The approval-policy editor on the Scopes page (admins): which catalog
// scopes and authorization_details types need a person's approval, and
// the types with their JSON Schema.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';
import { policyProblems, schemaProblem, serverProblems, type TypeRow } from './ApprovalPolicyEditor';

const catalog = [
  { name: 'openid', description: 'Know who you are', standard: true },
  { name: 'invoices:read', description: 'Read invoices', standard: false },
  { name: 'refunds:execute', description: 'Execute refunds', standard: false },
];

const refundSchema = '{"type":"object","properties":{"invoice":{"type":"string"}},"required":["invoice"]}';

type Policies = {
  scopes: { scope: string; rule: { approverRole: string; waitMinutes: number } }[];
  detailTypes: { type: string; description: string; schema: string; approval: { approverRole: string; waitMinutes: number } | null }[];
};

function server(initial: Policies, update?: (v: Record<string, unknown>) => unknown) {
  let policies = initial;
  return mockServer({
    WorkspaceViewer: viewerHandler(),
    ScopeCatalog: () => ({ data: { scopeCatalog: catalog } }),
    ApprovalPolicies: () => ({ data: { approvalPolicies: policies } }),
    UpdateApprovalPolicies:
      update ??
      ((v) => {
        const scopes = (v.scopes as { scope: string; rule: { approverRole: string; waitMinutes: number | null } }[]).map((s) => ({
          scope: s.scope,
          rule: { approverRole: s.rule.approverRole, waitMinutes: s.rule.waitMinutes ?? 10 },
        }));
        const detailTypes = (v.detailTypes as Policies['detailTypes']).map((d) => ({
          ...d,
          approval: d.approval ? { approverRole: d.approval.approverRole, waitMinutes: d.approval.waitMinutes ?? 10 } : null,
        }));
        policies = { scopes, detailTypes };
        return { data: { updateApprovalPolicies: policies } };
      }),
  });
}

describe('approval policy editor', { timeout: 20_000 }, () => {
  it('marks a scope and a new detail type as needing approval and saves them', async () => {
    signedIn();
    const mock = server({ scopes: [], detailTypes: [] });
    const user = userEvent.setup();
    renderApp('/w/acme/scopes');
    const form = within(await screen.findByRole('form', { name: 'Approval policies' }));
    expect(form.queryByText('openid')).not.toBeInTheDocument();
    expect(form.getByText('No types yet: agents may not send authorization_details.')).toBeInTheDocument();

    await user.click(form.getByRole('checkbox', { name: 'Needs approval: refunds:execute' }));
    await user.selectOptions(form.getByRole('combobox', { name: 'Who approves refunds:execute' }), 'admin');
    await user.type(form.getByRole('spinbutton', { name: 'Wait in minutes for refunds:execute' }), '30');

    await user.click(form.getByRole('button', { name: 'Add a type' }));
    const type = within(form.getByRole('group', { name: 'Detail type 1' }));
    expect(type.getByLabelText('Type')).toHaveFocus();
    await user.type(type.getByLabelText('Type'), 'refund');
    const group = within(form.getByRole('group', { name: 'Detail type 1: refund' }));
    await user.type(group.getByLabelText('Description'), 'A refund of one invoice');
    await user.clear(group.getByLabelText('JSON Schema of its fields'));
    // Invalid JSON is refused before anything is sent.
    await user.click(group.getByLabelText('JSON Schema of its fields'));
    await user.paste('{"type": "object",');
    await user.click(group.getByRole('checkbox', { name: 'Needs approval: refund' }));
    await user.click(form.getByRole('button', { name: 'Save approval policies' }));
    expect(await form.findByRole('alert')).toHaveTextContent('Type “refund”: the schema is not valid JSON');
    expect(group.getByRole('listitem')).toHaveTextContent('the schema is not valid JSON');
    expect(mock.callsTo('UpdateApprovalPolicies')).toHaveLength(0);

    await user.clear(group.getByLabelText('JSON Schema of its fields'));
    await user.click(group.getByLabelText('JSON Schema of its fields'));
    await user.paste(refundSchema);
    await user.click(form.getByRole('button', { name: 'Save approval policies' }));
    expect(await form.findByText('Approval policies saved.')).toBeInTheDocument();
    expect(mock.callsTo('UpdateApprovalPolicies')[0]?.variables).toEqual({
      scopes: [{ scope: 'refunds:execute', rule: { approverRole: 'admin', waitMinutes: 30 } }],
      detailTypes: [
        { type: 'refund', description: 'A refund of one invoice', schema: refundSchema, approval: { approverRole: '', waitMinutes: null } },
      ],
    });
    // What the server kept is shown again, the schema indented.
    expect(within(form.getByRole('group', { name: 'Detail type 1: refund' })).getByLabelText('JSON Schema of its fields')).toHaveValue(
      JSON.stringify(JSON.parse(refundSchema), null, 2),
    );
    expect(form.getByRole('spinbutton', { name: 'Wait in minutes for refunds:execute' })).toHaveValue(30);
  });

  it('loads the policies, and removes a scope rule and a type', async () => {
    signedIn();
    const mock = server({
      scopes: [{ scope: 'refunds:execute', rule: { approverRole: '', waitMinutes: 10 } }],
      detailTypes: [{ type: 'refund', description: 'Refund', schema: refundSchema, approval: { approverRole: 'owner', waitMinutes: 60 } }],
    });
    const user = userEvent.setup();
    renderApp('/w/acme/scopes');
    const form = within(await screen.findByRole('form', { name: 'Approval policies' }));
    expect(form.getByRole('checkbox', { name: 'Needs approval: refunds:execute' })).toBeChecked();
    expect(form.getByRole('checkbox', { name: 'Needs approval: invoices:read' })).not.toBeChecked();
    expect(form.getByRole('combobox', { name: 'Who approves refunds:execute' })).toHaveValue('');
    expect(form.getByRole('combobox', { name: 'Who approves refund' })).toHaveValue('owner');
    expect(form.getByRole('spinbutton', { name: 'Wait in minutes for refund' })).toHaveValue(60);

    await user.click(form.getByRole('checkbox', { name: 'Needs approval: refunds:execute' }));
    await user.click(form.getByRole('button', { name: 'Remove type refund' }));
    expect(form.getByRole('button', { name: 'Add a type' })).toHaveFocus();
    await user.click(form.getByRole('button', { name: 'Save approval policies' }));
    await form.findByText('Approval policies saved.');
    expect(mock.callsTo('UpdateApprovalPolicies')[0]?.variables).toEqual({ scopes: [], detailTypes: [] });
  });

  it('shows the server’s refusal at the type it names', async () => {
    signedIn();
    server(
      { scopes: [], detailTypes: [{ type: 'refund', description: '', schema: refundSchema, approval: null }] },
      () =>
        graphQLError(
          'invalid settings: detail type "refund": the schema does not compile: jsonschema: bad keyword; at most 100 detailTypes',
          'BAD_USER_INPUT',
        ),
    );
    const user = userEvent.setup();
    renderApp('/w/acme/scopes');
    const form = within(await screen.findByRole('form', { name: 'Approval policies' }));
    await user.click(form.getByRole('button', { name: 'Save approval policies' }));
    const group = within(await form.findByRole('group', { name: 'Detail type 1: refund' }));
    expect(await group.findByText('detail type "refund": the schema does not compile: jsonschema: bad keyword')).toBeInTheDocument();
    const alert = within(form.getByRole('alert'));
    expect(alert.getByText('at most 100 detailTypes')).toBeInTheDocument();
    expect(form.getByRole('group', { name: 'Detail type 1: refund' })).toHaveAttribute('aria-invalid', 'true');
  });

  it('is not shown to members', async () => {
    signedIn();
    const mock = mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }),
      ScopeCatalog: () => ({ data: { scopeCatalog: catalog } }),
    });
    renderApp('/w/acme/scopes');
    await screen.findByText('Only admins and owners can change these.');
    expect(screen.queryByRole('form', { name: 'Approval policies' })).not.toBeInTheDocument();
    expect(mock.callsTo('ApprovalPolicies')).toHaveLength(0);
  });
});

describe('policyProblems', () => {
  const row = (over: Partial<TypeRow>): TypeRow => ({
    key: 0,
    type: 'refund',
    description: '',
    schema: '{}',
    required: false,
    approverRole: '',
    waitMinutes: '',
    ...over,
  });

  it('reports every problem at once', () => {
    expect(
      policyProblems({ 'refunds:execute': { required: true, approverRole: '', waitMinutes: '0' } }, [
        row({ key: 1, type: '' }),
        row({ key: 2, type: '9x' }),
        row({ key: 3 }),
        row({ key: 4, schema: '[]' }),
        row({ key: 5, type: 'other', required: true, waitMinutes: '2000' }),
      ]).map((p) => `${p.where} ${p.message}`),
    ).toEqual([
      'scope:refunds:execute Scope “refunds:execute”: the wait must be a whole number of minutes from 1 to 1440.',
      'type:1 Type 1 has no name.',
      'type:2 Type “9x”: a name starts with a letter, then letters, digits or _ . : / - (at most 100).',
      'type:4 Type “refund” is listed twice.',
      'type:4 Type “refund”: a JSON Schema is an object, such as {"type": "object", …}.',
      'type:5 Type “other”: the wait must be a whole number of minutes from 1 to 1440.',
    ]);
    // A wait is not checked while approval is off.
    expect(policyProblems({ a: { required: false, approverRole: '', waitMinutes: 'x' } }, [])).toEqual([]);
  });

  it('accepts JSON Schema objects and booleans only', () => {
    expect(schemaProblem('true')).toBeUndefined();
    expect(schemaProblem('{"type":"object"}')).toBeUndefined();
    expect(schemaProblem('')).toBe('a JSON Schema of its fields is required');
    expect(schemaProblem('"x"')).toMatch(/is an object/);
    expect(schemaProblem('{')).toMatch(/^the schema is not valid JSON/);
  });

  it('places the server’s problems', () => {
    expect(serverProblems('invalid settings: scope "a:b": waitMinutes must be between 1 and 1440; x', [])).toEqual([
      { where: 'scope:a:b', message: 'scope "a:b": waitMinutes must be between 1 and 1440' },
      { where: '', message: 'x' },
    ]);
    expect(serverProblems('not allowed', [])).toEqual([{ where: '', message: 'not allowed' }]);
  });
});
