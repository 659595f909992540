import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { acmeOwner, graphQLError, mockServer, renderApp, signedIn, viewerHandler } from '../test/server';
import { catalogProblems } from './ScopesPage';

const standard = [
  { name: 'openid', description: 'Know who you are (your account identifier)', standard: true },
  { name: 'profile', description: 'See your name', standard: true },
  { name: 'email', description: 'See your email address', standard: true },
  { name: 'offline_access', description: 'Stay connected when you are not using it', standard: true },
];
const invoices = { name: 'invoices:read', description: 'Read your invoices', standard: false };

// Typing into many fields is slow in jsdom on a busy machine.
describe('scopes page', { timeout: 15_000 }, () => {
  it('shows the standard scopes read-only and saves the edited catalog', async () => {
    signedIn();
    let custom = [invoices];
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      ScopeCatalog: () => ({ data: { scopeCatalog: [...standard, ...custom] } }),
      UpdateScopeCatalog: (v) => {
        custom = (v.scopes as { name: string; description: string }[]).map((s) => ({ ...s, standard: false }));
        return { data: { updateScopeCatalog: [...standard, ...custom] } };
      },
    });
    const user = userEvent.setup();
    renderApp('/w/acme/scopes');

    const standardTable = within(await screen.findByRole('table', { name: /Standard scopes/ }));
    expect(standardTable.getByText('openid')).toBeInTheDocument();
    expect(standardTable.getByText('See your email address')).toBeInTheDocument();
    expect(standardTable.queryByRole('textbox')).not.toBeInTheDocument();

    const form = within(screen.getByRole('form', { name: "The workspace's own scopes" }));
    expect(form.getByLabelText('Scope 1 name')).toHaveValue('invoices:read');
    await user.clear(form.getByLabelText('Scope 1 description'));
    await user.type(form.getByLabelText('Scope 1 description'), 'Read invoices');
    await user.click(form.getByRole('button', { name: 'Add a scope' }));
    expect(form.getByLabelText('Scope 2 name')).toHaveFocus();
    await user.type(form.getByLabelText('Scope 2 name'), 'invoices:write');
    await user.type(form.getByLabelText('Scope 2 description'), 'Create invoices');
    await user.click(form.getByRole('button', { name: 'Add a scope' }));
    await user.type(form.getByLabelText('Scope 3 name'), 'temporary');
    await user.click(form.getByRole('button', { name: 'Remove scope 3 (temporary)' }));
    expect(form.queryByLabelText('Scope 3 name')).not.toBeInTheDocument();
    await user.click(form.getByRole('button', { name: 'Save scopes' }));

    expect(await screen.findByText('Scopes saved.')).toBeInTheDocument();
    expect(server.callsTo('UpdateScopeCatalog')[0]?.variables).toEqual({
      scopes: [
        { name: 'invoices:read', description: 'Read invoices' },
        { name: 'invoices:write', description: 'Create invoices' },
      ],
    });
    expect(form.getByLabelText('Scope 2 name')).toHaveValue('invoices:write');
  });

  it('reports every problem at once before saving, then the server’s refusal', async () => {
    signedIn();
    const server = mockServer({
      WorkspaceViewer: viewerHandler(),
      ScopeCatalog: () => ({ data: { scopeCatalog: [...standard, invoices] } }),
      UpdateScopeCatalog: () => graphQLError('the scope catalog holds at most 500 scopes', 'BAD_USER_INPUT'),
    });
    const user = userEvent.setup();
    renderApp('/w/acme/scopes');
    const form = within(await screen.findByRole('form', { name: "The workspace's own scopes" }));
    await user.click(form.getByRole('button', { name: 'Add a scope' }));
    await user.type(form.getByLabelText('Scope 2 name'), 'openid');
    await user.click(form.getByRole('button', { name: 'Add a scope' }));
    await user.type(form.getByLabelText('Scope 3 name'), 'invoices:read');
    await user.click(form.getByRole('button', { name: 'Add a scope' }));
    await user.type(form.getByLabelText('Scope 4 name'), '9lives');
    await user.click(form.getByRole('button', { name: 'Save scopes' }));

    const alert = within(await form.findByRole('alert'));
    expect(alert.getByText('“openid” is a standard scope: it is always there.')).toBeInTheDocument();
    expect(alert.getByText('“invoices:read” is listed twice.')).toBeInTheDocument();
    expect(alert.getByText(/“9lives”: a name starts with a letter/)).toBeInTheDocument();
    expect(server.callsTo('UpdateScopeCatalog')).toHaveLength(0);

    await user.click(form.getByRole('button', { name: 'Remove scope 4 (9lives)' }));
    await user.click(form.getByRole('button', { name: 'Remove scope 3 (invoices:read)' }));
    await user.click(form.getByRole('button', { name: 'Remove scope 2 (openid)' }));
    await user.click(form.getByRole('button', { name: 'Save scopes' }));
    expect(await form.findByText('the scope catalog holds at most 500 scopes')).toBeInTheDocument();
  });

  it('shows the catalog read-only to members', async () => {
    signedIn();
    mockServer({
      WorkspaceViewer: viewerHandler({ ...acmeOwner, role: 'member' }),
      ScopeCatalog: () => ({ data: { scopeCatalog: [...standard, invoices] } }),
    });
    renderApp('/w/acme/scopes');
    const own = within(await screen.findByRole('table', { name: "The workspace's own scopes: 1" }));
    expect(own.getByText('invoices:read')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save scopes' })).not.toBeInTheDocument();
    expect(screen.getByText('Only admins and owners can change these.')).toBeInTheDocument();
  });
});

describe('catalogProblems', () => {
  it.each([
    [[{ name: 'a', description: '' }], []],
    [[{ name: '', description: '' }], ['Scope 1 has no name.']],
    [[{ name: 'profile', description: '' }], ['“profile” is a standard scope: it is always there.']],
    [[{ name: 'a', description: 'x'.repeat(301) }], ['“a”: the description is longer than 300 characters.']],
    [[{ name: 'a b', description: '' }], ['“a b”: a name starts with a letter, then letters, digits or _ . : / - (at most 100).']],
  ])('%o → %o', (rows, expected) => {
    expect(catalogProblems(rows, ['openid', 'profile'])).toEqual(expected);
  });
});
