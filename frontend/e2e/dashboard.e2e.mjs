// Browser test of the dashboard against a real Mandate server: a person signs
// in with an API token, adds a member, and finds the change in the audit log.
//
//   MANDATE_BIN=/path/to/mandate node e2e/dashboard.e2e.mjs
//
// The binary must have been built after `npm run build` (it embeds dist/).
// Uses Debian's chromium (CHROMIUM overrides the path). Screenshots go to
// <repo>/artifacts/. Prints "1 passed, 0 failed" or "0 passed, 1 failed".
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, freePort, graphql as graphqlAs, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot,
  startServer, waitForServer,
} from './harness.mjs';

const overallTimeoutMs = 90_000;
const workspace = { slug: 'acme', name: 'Acme' };
const owner = { email: 'ann@acme.test', password: 'correct horse battery staple' };
const newMember = { email: 'bob@acme.test', name: 'Bob' };

const graphql = (base, token, query, variables) => graphqlAs(base, workspace.slug, token, query, variables);

async function main() {
  const bin = requireBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mandate-e2e-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const base = `http://${addr}`;
  const env = {
    ...process.env,
    MANDATE_DATABASE_URL: join(dir, 'e2e.db'),
    MANDATE_SECRET: randomBytes(32).toString('hex'),
    MANDATE_BASE_URL: base,
  };

  const tenant = await runCLI(bin, env, ['tenant', 'create', '--slug', workspace.slug, '--name', workspace.name, '--json']);
  check(tenant.slug === workspace.slug, `tenant create printed slug ${JSON.stringify(tenant.slug)}`);
  await runCLI(bin, env, [
    'user', 'create', '--tenant', workspace.slug, '--email', owner.email,
    '--password', owner.password, '--role', 'owner', '--verified', '--json',
  ]);
  const created = await runCLI(bin, env, ['token', 'create', '--tenant', workspace.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  check(typeof created.token === 'string' && created.token.length > 0, 'token create printed no token');
  const token = created.token;
  log('workspace, owner and API token created with the CLI');

  const server = startServer(bin, env, addr);
  await waitForServer(base, server);
  log(`server up at ${base}`);

  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  let tokenLogged = false;
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.text().includes(token)) tokenLogged = true;
    else if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
  });

  // Sign in with an API token, with the keyboard only: the workspace field
  // has focus, Tab moves to the token, Enter submits.
  await page.goto(`${base}/signin/token`);
  await page.getByLabel('Workspace').waitFor();
  check(
    await page.evaluate(() => document.activeElement?.getAttribute('name') === 'workspace'),
    'the sign-in page does not focus the workspace field',
  );
  await page.keyboard.type(workspace.slug);
  await page.keyboard.press('Tab');
  await page.keyboard.type(token);
  check((await page.getByLabel('API token').inputValue()) === token, 'Tab did not move to the API token field');
  await screenshot(page, 'dashboard-signin.png');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.getByRole('heading', { level: 1, name: workspace.name }).waitFor();
  await page.getByText('Signed in as').waitFor();
  log('signed in; overview shown');
  const storage = await page.evaluate(() => ({
    session: JSON.stringify(sessionStorage),
    local: JSON.stringify(localStorage),
    cookies: document.cookie,
  }));
  check(storage.session.includes(token), 'the token is not in sessionStorage after sign-in');
  check(!storage.local.includes(token) && !storage.cookies.includes(token), 'the token leaked into localStorage or cookies');
  check(!(await page.content()).includes(token), 'the token is rendered in the page after sign-in');
  await screenshot(page, 'dashboard-overview.png');

  // Members: add Bob.
  const nav = page.getByRole('navigation', { name: 'Workspace' });
  await nav.getByRole('link', { name: 'Members' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/members`);
  await page.getByRole('cell', { name: owner.email, exact: true }).waitFor();
  await page.getByText('Add someone without an invitation').click();
  const addForm = page.getByRole('form', { name: 'Add a member' });
  await addForm.getByLabel('Email').fill(newMember.email);
  await addForm.getByLabel('Name (optional)').fill(newMember.name);
  await addForm.getByLabel('Role', { exact: true }).selectOption('member');
  await addForm.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('status').filter({ hasText: `Added ${newMember.email} as member.` }).waitFor();
  const bobRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: newMember.email, exact: true }) });
  await bobRow.waitFor();
  check((await bobRow.getByRole('cell', { name: newMember.name, exact: true }).count()) === 1, 'Bob\'s row does not show his name');
  check((await bobRow.getByLabel(`Role for ${newMember.email}`).inputValue()) === 'member', 'Bob\'s row does not show the member role');
  log('added bob@acme.test; his row is in the members table');
  await screenshot(page, 'dashboard-members.png');

  // API tokens: create one; its secret is shown once.
  await nav.getByRole('link', { name: 'API tokens' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/tokens`);
  await page.getByRole('cell', { name: /^e2e/ }).first().waitFor();
  await page.getByLabel('Name', { exact: true }).fill('ci');
  await page.getByLabel('Role', { exact: true }).selectOption('member');
  await page.getByRole('button', { name: 'Create token' }).click();
  const once = page.getByRole('region', { name: /Token “ci” created/ });
  await once.waitFor();
  check((await once.innerText()).includes('you will not see it again'), 'the new token box does not warn that it is shown once');
  const secret = await once.getByLabel('New API token').inputValue();
  check(secret.startsWith('mdt_') && secret !== token, `the new token box shows ${JSON.stringify(secret.slice(0, 8))}…`);
  const ciRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'ci', exact: true }) });
  await ciRow.waitFor();
  await screenshot(page, 'dashboard-tokens.png');
  await once.getByRole('button', { name: 'Done' }).click();
  check(!(await page.content()).includes(secret), 'the new token is still rendered after Done');
  const viewerOfNew = await graphql(base, secret, '{ viewer { kind label role } }');
  check(viewerOfNew.viewer.label === 'ci' && viewerOfNew.viewer.role === 'member', 'the new token does not work as ci/member');
  log('created API token "ci"; shown once, and it works');

  // What the server recorded, to compare with what the page shows.
  const lookup = await graphql(
    base,
    token,
    'query($email: String!) { members(where: { hasUserWith: [{ email: $email }] }) { edges { node { id user { id } } } } }',
    { email: newMember.email },
  );
  const bobUserID = lookup.members.edges[0]?.node.user.id;
  check(bobUserID, 'the API does not list bob@acme.test as a member');

  // Audit log: member.added for Bob, by the e2e token.
  await nav.getByRole('link', { name: 'Audit log' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/audit`);
  const added = page.locator('tbody tr[data-action="member.added"]').filter({ hasText: newMember.email });
  await added.first().waitFor();
  check((await added.count()) === 1, `expected one member.added row for Bob, found ${await added.count()}`);
  const target = await added.locator('td.target').innerText();
  check(target.includes(newMember.email), `the member.added target does not name Bob: ${JSON.stringify(target)}`);
  check(target.includes(bobUserID), `the member.added target is not Bob's user ${bobUserID}: ${JSON.stringify(target)}`);
  const actor = await added.locator('td.actor').innerText();
  check(actor.includes('e2e') && actor.includes('api_token'), `the member.added actor is not the e2e token: ${JSON.stringify(actor)}`);
  const annCreated = page
    .locator('tbody tr[data-action="user.created"], tbody tr[data-action="member.added"]')
    .filter({ hasText: owner.email });
  await annCreated.first().waitFor();
  const annActor = (await annCreated.first().locator('td.actor').innerText()).trim();
  check(annActor.length > 0 && annActor !== '—', 'the row for ann@acme.test names no actor');
  log(`audit log: member.added -> ${target.replace(/\s+/g, ' ')} by ${actor.replace(/\s+/g, ' ')}`);
  await screenshot(page, 'dashboard-audit.png');

  // Filter by action; every row left is that action.
  await page.getByLabel('Action contains').fill('member.added');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText(/events? matching the filters/).waitFor();
  const actions = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
  check(actions.length === 2 && actions.every((a) => a === 'member.added'), `filtered rows: ${JSON.stringify(actions)}`);
  log('audit filter by action works');

  check(!tokenLogged, 'the API token was written to the browser console');
  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

run(main, overallTimeoutMs);
