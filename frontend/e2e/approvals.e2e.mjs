// Browser test of human approval (OpenID CIBA with RFC 9396
// authorization_details) against a real Mandate server:
//
// 1. An owner (signed in with an API token) marks the catalog scope
//    refunds:execute as needing the approval of the person the agent acts
//    for, and declares the authorization_details type "refund" (its JSON
//    Schema: invoice, amount, currency), needing approval too, in the
//    Scopes page's approval-policy editor.
// 2. Ann, a member, signs in with her password and registers a passkey
//    (Chrome's DevTools virtual authenticator).
// 3. The agent "billing" (registered with the CLI; its private key never
//    leaves this test) asks through the backchannel authentication endpoint
//    to refund INV-1001 for 42.00 EUR on Ann's behalf; its poll answers
//    authorization_pending.
// 4. Ann opens the link of the email she was sent, sees the request
//    selected with its chain, details field by field and binding message,
//    clicks Approve, is asked to confirm with a passkey (her password
//    session is not strong enough), confirms, and the request shows
//    approved with the methods she used.
// 5. The agent's poll gets an access token; its introspection (as the
//    agent) shows exactly the approved authorization_details once, and the
//    token is inactive the second time (single use).
//
//   MANDATE_BIN=/path/to/mandate node e2e/approvals.e2e.mjs
//
// The base URL is http://localhost:PORT, so the passkey relying-party id is
// "localhost". Screenshots go to <repo>/artifacts/approvals-*.png. Prints
// "1 passed, 0 failed" or "0 passed, 1 failed".
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, freePort, graphql, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot, startServer, waitForServer,
} from './harness.mjs';
import { addVirtualAuthenticator } from './passkeys.e2e.mjs';

const overallTimeoutMs = 150_000;
const workspace = { slug: 'acme', name: 'Acme' };
const ann = { email: 'ann@acme.test', password: 'a refund needs a person', name: 'Ann' };
const refundSchema = {
  type: 'object',
  properties: {
    type: { const: 'refund' },
    invoice: { type: 'string' },
    amount: { type: ['string', 'number'] },
    currency: { type: 'string' },
  },
  required: ['invoice', 'amount', 'currency'],
};
const details = [{ type: 'refund', invoice: 'INV-1001', amount: '42.00', currency: 'EUR' }];
const bindingMessage = 'Refund INV-1001 (42.00 EUR)';
const cibaGrant = 'urn:openid:params:grant-type:ciba';
const openPages = new Map();

/** JSON with every object's keys sorted, to compare documents whatever their key order. */
function canonical(value) {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v);
}

/** The agent's key pair: the public half is registered, the private half stays here. */
function agentKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateKey, jwks: JSON.stringify({ keys: [jwk] }) };
}

/** An RFC 7523 client assertion (ES256), fresh each time: the server refuses a replayed jti. */
function clientAssertion(keys, clientID, audience) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const signed = `${part({ alg: 'ES256', typ: 'JWT', kid: keys.kid })}.${part({
    iss: clientID, sub: clientID, aud: audience, jti: randomUUID(), iat: now, exp: now + 60,
  })}`;
  const signature = sign('sha256', Buffer.from(signed), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

/** POSTs a form as the agent (private_key_jwt); answers the status and the JSON body. */
async function asAgent(url, agent, params) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...params,
      client_id: agent.clientID,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(agent.keys, agent.clientID, agent.issuer),
    }),
    signal: AbortSignal.timeout(5_000),
  });
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: the status says enough
  }
  return { status: response.status, body };
}

async function main() {
  const bin = requireBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mandate-e2e-approvals-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    ...process.env,
    MANDATE_DATABASE_URL: join(dir, 'e2e.db'),
    MANDATE_SECRET: randomBytes(32).toString('hex'),
    MANDATE_BASE_URL: base,
  };

  // The workspace, Ann, the catalog and the agent, with the CLI.
  await runCLI(bin, env, ['tenant', 'create', '--slug', workspace.slug, '--name', workspace.name, '--json']);
  await runCLI(bin, env, [
    'user', 'create', '--tenant', workspace.slug, '--email', ann.email, '--password', ann.password, '--name', ann.name,
    '--role', 'member', '--verified', '--json',
  ]);
  await runCLI(bin, env, [
    'scopes', 'set', '--tenant', workspace.slug, '--scope', 'invoices:read=Read invoices', '--scope', 'refunds:execute=Execute refunds', '--json',
  ]);
  const { token } = await runCLI(bin, env, ['token', 'create', '--tenant', workspace.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  const keys = agentKeys();
  const jwksFile = join(dir, 'billing.jwks.json');
  writeFileSync(jwksFile, keys.jwks);
  const created = await runCLI(bin, env, [
    'agent', 'create', '--tenant', workspace.slug, '--name', 'billing', '--sponsor', ann.email,
    '--scopes', 'openid,refunds:execute', '--jwks-file', jwksFile, '--json',
  ]);
  check(typeof created.client_id === 'string', `agent create printed ${JSON.stringify(created)}`);
  const server = startServer(bin, env, `127.0.0.1:${port}`);
  await waitForServer(base, server);
  const discovery = await (await fetch(`${base}/t/${workspace.slug}/.well-known/openid-configuration`)).json();
  const agent = { clientID: created.client_id, keys, issuer: discovery.issuer };
  check(discovery.backchannel_authentication_endpoint, `discovery has no backchannel_authentication_endpoint: ${JSON.stringify(discovery)}`);
  log(`server up at ${base}; ${ann.email} (member) and the agent billing (${agent.clientID}) created with the CLI`);

  const browser = await launchBrowser();
  const pageErrors = [];
  const watch = (page) => {
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
    });
  };

  // 1. The owner sets the approval policies in the Scopes page's editor.
  const ownerContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const owner = await ownerContext.newPage();
  openPages.set('owner', owner);
  watch(owner);
  await owner.goto(`${base}/signin/token`);
  await owner.getByLabel('Workspace').fill(workspace.slug);
  await owner.getByLabel('API token').fill(token);
  await owner.getByRole('button', { name: /sign in/i }).click();
  await owner.waitForURL(`${base}/w/${workspace.slug}`);
  await owner.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Scopes' }).click();
  const policies = owner.getByRole('form', { name: 'Approval policies' });
  await policies.waitFor();
  await policies.getByRole('checkbox', { name: 'Needs approval: refunds:execute' }).check();
  check(
    (await policies.getByRole('combobox', { name: 'Who approves refunds:execute' }).inputValue()) === '',
    'the approver of a newly marked scope is not the person the agent acts for',
  );
  await policies.getByRole('button', { name: 'Add a type' }).click();
  const type = policies.getByRole('group', { name: 'Detail type 1' });
  await type.getByLabel('Type', { exact: true }).fill('refund');
  await type.getByLabel('Description').fill('A refund of one invoice');
  // Not JSON first: refused before anything is sent.
  await type.getByLabel('JSON Schema of its fields').fill('{"type": "object",');
  await type.getByRole('checkbox', { name: 'Needs approval: refund' }).check();
  await policies.getByRole('button', { name: 'Save approval policies' }).click();
  await policies.getByRole('alert').filter({ hasText: 'the schema is not valid JSON' }).waitFor();
  await type.getByLabel('JSON Schema of its fields').fill(JSON.stringify(refundSchema, null, 2));
  await policies.getByRole('button', { name: 'Save approval policies' }).click();
  await policies.getByText('Approval policies saved.').waitFor();
  await screenshot(owner, 'approvals-policies.png');
  const saved = await graphql(base, workspace.slug, token,
    '{ approvalPolicies { scopes { scope rule { approverRole waitMinutes } } detailTypes { type schema approval { approverRole waitMinutes } } } }');
  const p = saved.approvalPolicies;
  check(
    p.scopes.length === 1 && p.scopes[0].scope === 'refunds:execute' && p.scopes[0].rule.approverRole === '',
    `the server keeps the scope policies ${JSON.stringify(p.scopes)}`,
  );
  check(
    p.detailTypes.length === 1 && p.detailTypes[0].type === 'refund' && p.detailTypes[0].approval?.approverRole === '' &&
      JSON.stringify(JSON.parse(p.detailTypes[0].schema)) === JSON.stringify(refundSchema),
    `the server keeps the detail types ${JSON.stringify(p.detailTypes)}`,
  );
  log('the owner marked refunds:execute and the detail type "refund" as needing the approval of the person the agent acts for');

  // 2. Ann signs in with her password and registers a passkey.
  const annContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await annContext.newPage();
  openPages.set('ann', page);
  watch(page);
  await addVirtualAuthenticator(annContext, page);
  await page.goto(`${base}/t/${workspace.slug}/signin`);
  await page.getByLabel('Email').fill(ann.email);
  await page.getByLabel('Password').fill(ann.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Security' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/security`);
  const add = page.getByRole('form', { name: 'Add a passkey' });
  await add.getByLabel('Name for the new passkey').fill('Virtual laptop');
  await add.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey “Virtual laptop” added: you can sign in with it now.').waitFor();
  const before = await page.evaluate(async (slug) => (await fetch(`/t/${slug}/auth/session`)).json(), workspace.slug);
  check(JSON.stringify(before.session?.amr) === '["pwd"]', `Ann's session amr is ${JSON.stringify(before.session?.amr)}, not a password alone`);
  log('Ann signed in with her password (amr ["pwd"]) and registered a passkey');

  // 3. The agent asks, on Ann's behalf, to refund one invoice.
  const asked = await asAgent(discovery.backchannel_authentication_endpoint, agent, {
    scope: 'openid refunds:execute',
    login_hint: ann.email,
    binding_message: bindingMessage,
    authorization_details: JSON.stringify(details),
  });
  check(asked.status === 200 && typeof asked.body.auth_req_id === 'string', `bc-authorize answered ${asked.status} ${JSON.stringify(asked.body)}`);
  const { auth_req_id: authReqID, interval = 5 } = asked.body;
  const poll = () => asAgent(discovery.token_endpoint, agent, { grant_type: cibaGrant, auth_req_id: authReqID });
  const pending = await poll();
  check(pending.status === 400 && pending.body.error === 'authorization_pending', `the first poll answered ${pending.status} ${JSON.stringify(pending.body)}`);
  const lastPoll = Date.now();
  log(`the agent asked (auth_req_id received, expires in ${asked.body.expires_in} s, interval ${interval} s); its poll answers authorization_pending`);

  // 4. Ann follows the link in her email.
  const outbox = await graphql(base, workspace.slug, token, '{ devOutbox(first: 20) { messages { to subject text } } }');
  const mail = outbox.devOutbox.messages.find((m) => m.to.includes(ann.email) && /approvals\?id=apr_/.test(m.text));
  const link = /https?:\/\/\S+\/approvals\?id=apr_[A-Za-z0-9_-]+/.exec(mail?.text ?? '')?.[0];
  check(link, `no approval email for ${ann.email} in the dev outbox: ${JSON.stringify(outbox.devOutbox.messages.map((m) => m.subject))}`);
  const approvalID = new URL(link).searchParams.get('id');
  log(`Ann was mailed “${mail.subject}” linking to ${new URL(link).pathname}${new URL(link).search}`);
  await page.goto(link);
  const card = page.locator(`article[data-approval-id="${approvalID}"][aria-current="true"]`);
  await card.waitFor();
  await card.getByText('From your email').waitFor();
  await card.getByText('Waiting for a decision').waitFor();
  const chain = await card.getByRole('list', { name: 'Agent chain' }).getByRole('listitem').allInnerTexts();
  check(JSON.stringify(chain) === JSON.stringify([agent.clientID]), `the chain shows ${JSON.stringify(chain)}`);
  const fields = await card.locator('dl.detail-fields > div').evaluateAll((rows) =>
    rows.map((row) => [row.querySelector('dt')?.textContent, row.querySelector('dd')?.textContent]));
  // Every field, whatever the order the server keeps them in.
  check(
    JSON.stringify([...fields].sort()) === JSON.stringify([['amount', '42.00'], ['currency', 'EUR'], ['invoice', 'INV-1001']]),
    `the details show ${JSON.stringify(fields)}`,
  );
  check((await card.locator('.detail-type code').innerText()) === 'refund', 'the detail type is not shown');
  await card.locator('q.binding-message', { hasText: bindingMessage }).waitFor();
  const text = await card.innerText();
  for (const expected of [ann.email, 'refunds:execute', 'the scope refunds:execute, details of type refund', `The person it acts for (${ann.email})`]) {
    check(text.includes(expected), `the request does not show ${JSON.stringify(expected)}: ${JSON.stringify(text)}`);
  }
  check(/Expires\s*in \d+ min/.test(text), `the request shows no countdown: ${JSON.stringify(text)}`);
  await screenshot(page, 'approvals-inbox.png');
  log('the inbox selects the linked request and shows its chain, person, details field by field, binding message and expiry');

  // Approve: her password session is not enough; she confirms with the passkey.
  const stepUps = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.includes('/auth/passkeys/step-up/') || path.includes('/auth/step-up/')) stepUps.push(path.split('/auth/')[1]);
  });
  await card.getByRole('button', { name: 'Approve' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  await dialog.waitFor();
  await dialog.getByText('a password is not enough').waitFor();
  await dialog.getByRole('button', { name: 'Use a passkey' }).waitFor();
  check(await dialog.getByLabel('Your password').count() === 0, 'the step-up offers a password');
  check(await dialog.getByRole('button', { name: 'Use your password' }).count() === 0, 'the step-up offers a password');
  await screenshot(page, 'approvals-step-up.png');
  await dialog.getByRole('button', { name: 'Use a passkey' }).click();
  await card.getByText('Approved. The agent can now get a token for exactly this, once.').waitFor();
  await card.locator('.approval-status', { hasText: 'Approved' }).waitFor();
  await dialog.waitFor({ state: 'detached' });
  check(JSON.stringify(stepUps) === '["passkeys/step-up/begin","passkeys/step-up/finish"]', `the step-up made the requests ${JSON.stringify(stepUps)}`);
  const decided = await card.innerText();
  check(decided.includes(`Approved by\n${ann.email}`) || decided.includes(`${ann.email},`), `the request does not say who approved: ${JSON.stringify(decided)}`);
  check(/passkey/.test(decided) && /hwk|swk/.test(decided), `the request does not say she approved with a passkey: ${JSON.stringify(decided)}`);
  check(await card.getByRole('button', { name: 'Approve' }).count() === 0, 'the Approve button is still there');
  await screenshot(page, 'approvals-approved.png');
  const after = await page.evaluate(async (slug) => (await fetch(`/t/${slug}/auth/session`)).json(), workspace.slug);
  log(`Ann approved after a passkey step-up; her session's amr is now ${JSON.stringify(after.session?.amr)}`);

  // 5. The agent's poll gets the single-use token.
  let issued;
  const deadline = Date.now() + 60_000;
  let wait = Math.max(0, interval * 1000 - (Date.now() - lastPoll));
  while (!issued && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, wait));
    const answer = await poll();
    if (answer.status === 200) issued = answer.body;
    else if (answer.body.error === 'slow_down') wait = (interval + 5) * 1000;
    else if (answer.body.error === 'authorization_pending') wait = interval * 1000;
    else check(false, `the poll after approval answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  check(issued?.access_token, 'the agent got no token within a minute of the approval');
  check(issued.expires_in <= 300, `the approved token lives ${issued.expires_in} s`);
  check(!issued.refresh_token, 'the approved token came with a refresh token');
  const introspect = () => asAgent(discovery.introspection_endpoint, agent, { token: issued.access_token });
  const first = await introspect();
  check(first.status === 200 && first.body.active === true, `the first introspection answered ${first.status} ${JSON.stringify(first.body)}`);
  check(
    canonical(first.body.authorization_details) === canonical(details),
    `the token carries the authorization_details ${JSON.stringify(first.body.authorization_details)}`,
  );
  check(first.body.scope?.split(' ').includes('refunds:execute'), `the token's scope is ${first.body.scope}`);
  const second = await introspect();
  check(second.status === 200 && second.body.active === false, `the second introspection answered ${second.status} ${JSON.stringify(second.body)}`);
  log(`the agent's poll got a token (${issued.expires_in} s); introspection shows the refund once, then {"active":false}`);

  // The inbox says the token was spent.
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('button', { name: 'All' }).click();
  await page.reload();
  await card.locator('.approval-status', { hasText: /token was spent|has its token/ }).waitFor();
  await screenshot(page, 'approvals-used.png');
  log(`the request now reads “${await card.locator('.approval-status').innerText()}”`);

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

/** On failure, a screenshot of every page open, to see what the test saw. */
async function mainWithShots() {
  try {
    await main();
  } catch (err) {
    for (const [name, page] of openPages) {
      try {
        await screenshot(page, `approvals-failed-${name}.png`);
      } catch {
        // the page is gone
      }
    }
    throw err;
  }
}

run(mainWithShots, overallTimeoutMs);
