// Browser test of the agents page, against a real Mandate server: an owner
// (signed in with an API token) registers an agent through the form with a
// public JWK set generated here, sees it in the fleet with its sponsor,
// proves the agent's private key (which never leaves this test) gets a
// token, lets the agent register a subagent with that token, sees the
// subagent nested under it, suspends the agent after confirming, sees the
// status change reach both, and the token endpoint refuses both from then
// on.
//
//   MANDATE_BIN=/path/to/mandate node e2e/agents.e2e.mjs
//
// The binary must have been built after `npm run build` (it embeds dist/).
// Uses Debian's chromium (CHROMIUM overrides the path). Screenshots go to
// <repo>/artifacts/. Prints "1 passed, 0 failed" or "0 passed, 1 failed".
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, freePort, graphql as graphqlAs, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot,
  startServer, waitForServer,
} from './harness.mjs';

const overallTimeoutMs = 120_000;
const workspace = { slug: 'acme', name: 'Acme' };
const sponsor = { email: 'sam@acme.test', password: 'a long unusual passphrase' };
const scope = { name: 'invoices:read', description: 'Read invoices' };
const agentSpec = { name: 'Expense bot', role: 'Files expense reports', tools: ['search', 'receipts.read'] };
const subagentSpec = { name: 'Receipt reader', tools: ['receipts.read'] };

/** The agent's key pair: the public half goes into the form, the private half stays here. */
function agentKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  const privateD = privateKey.export({ format: 'jwk' }).d;
  return { kid, privateKey, privateD, jwks: JSON.stringify({ keys: [jwk] }, null, 2) };
}

/** An RFC 7523 client assertion signed with the agent's private key (ES256). */
function clientAssertion(keys, clientID, audience) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const signed = `${part({ alg: 'ES256', typ: 'JWT', kid: keys.kid })}.${part({
    iss: clientID, sub: clientID, aud: audience, jti: randomUUID(), iat: now, exp: now + 60,
  })}`;
  const signature = sign('sha256', Buffer.from(signed), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

/** client_credentials as the agent, authenticating with private_key_jwt. */
async function agentToken(tokenURL, keys, clientID) {
  const response = await fetch(tokenURL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: scope.name,
      client_id: clientID,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(keys, clientID, tokenURL),
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

  await runCLI(bin, env, ['tenant', 'create', '--slug', workspace.slug, '--name', workspace.name, '--json']);
  await runCLI(bin, env, [
    'user', 'create', '--tenant', workspace.slug, '--email', sponsor.email,
    '--password', sponsor.password, '--role', 'member', '--verified', '--json',
  ]);
  await runCLI(bin, env, ['scopes', 'set', '--tenant', workspace.slug, '--scope', `${scope.name}=${scope.description}`, '--json']);
  const created = await runCLI(bin, env, ['token', 'create', '--tenant', workspace.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  check(typeof created.token === 'string' && created.token.length > 0, 'token create printed no token');
  const token = created.token;
  log(`workspace, sponsor ${sponsor.email}, scope ${scope.name} and owner API token created with the CLI`);

  const server = startServer(bin, env, addr);
  await waitForServer(base, server);
  log(`server up at ${base}`);
  const discovery = await (
    await fetch(`${base}/t/${workspace.slug}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) })
  ).json();
  const tokenURL = discovery.token_endpoint;

  const keys = agentKeys();
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  const sent = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
  });
  page.on('request', (request) => sent.push(request.postData() ?? ''));

  await page.goto(`${base}/signin/token`);
  await page.getByLabel('Workspace').fill(workspace.slug);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  log('signed in with the API token');

  // The Agents page, from the nav: an empty fleet.
  const nav = page.getByRole('navigation', { name: 'Workspace' });
  await nav.getByRole('link', { name: 'Agents' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/agents`);
  await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor();
  await page.getByText('No agents yet.').waitFor();

  // Register the agent with the public half of its keys.
  await page.getByRole('button', { name: 'Register an agent' }).click();
  const form = page.getByRole('form', { name: 'Register an agent' });
  await form.getByLabel('Name', { exact: true }).fill(agentSpec.name);
  await form.getByLabel('Role (optional)').fill(agentSpec.role);
  await form.getByLabel('Sponsor email').fill(sponsor.email);
  await form.getByRole('group', { name: 'Scope ceiling' }).getByRole('checkbox', { name: scope.name }).check();
  await form.getByLabel('Tools (optional)').fill(agentSpec.tools.join(', '));
  const jwksField = form.getByLabel('Public JWK set');
  const hint = await jwksField.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby'))?.textContent ?? '');
  check(hint.includes('the server never sees it'), `the JWK set field's hint does not say the private key stays with the agent: ${hint}`);
  await jwksField.fill(keys.jwks);
  await screenshot(page, 'agents-register.png');
  await form.getByRole('button', { name: 'Register agent' }).click();

  const registered = page.getByRole('region', { name: `Agent “${agentSpec.name}” registered` });
  await registered.waitFor();
  const clientID = /Client ID:\s*(\S+)/.exec(await registered.innerText())?.[1];
  check(clientID, 'the registered box does not show the client_id');
  log(`registered ${agentSpec.name}: client_id ${clientID}`);
  await screenshot(page, 'agents-registered.png');

  // The server has it as the form said.
  const listed = await graphqlAs(base, workspace.slug, token, '{ agents { id clientID name role status sponsorID scopeCeiling tools depth } }');
  const onServer = listed.agents.find((a) => a.clientID === clientID);
  check(onServer?.name === agentSpec.name && onServer.role === agentSpec.role, `the API lists ${JSON.stringify(listed.agents)}`);
  check(onServer.status === 'active' && onServer.depth === 0, `the new agent is ${onServer.status} at depth ${onServer.depth}`);
  check(onServer.scopeCeiling.join() === scope.name, `the API lists the ceiling ${onServer.scopeCeiling}`);
  check(onServer.tools.join() === agentSpec.tools.join(), `the API lists the tools ${onServer.tools}`);

  // It is in the tree, with its sponsor's email, ceiling, tools and depth.
  const node = page.getByRole('article', { name: agentSpec.name });
  await node.waitFor();
  await page.getByText('1 agent, 1 top-level').waitFor();
  await node.getByText(sponsor.email, { exact: true }).waitFor();
  const nodeText = await node.innerText();
  for (const expected of ['active', agentSpec.role, scope.name, ...agentSpec.tools, '0 (top-level)']) {
    check(nodeText.includes(expected), `the agent's node does not show ${JSON.stringify(expected)}: ${JSON.stringify(nodeText)}`);
  }
  await registered.getByRole('button', { name: 'Done' }).click();
  log('the agent is in the tree with its sponsor, ceiling, tools and depth');

  // The key registered is the agent's: its private key gets a token.
  const granted = await agentToken(tokenURL, keys, clientID);
  check(granted.status === 200 && typeof granted.body.access_token === 'string', `client_credentials as the agent: ${granted.status} ${JSON.stringify(granted.body)}`);
  check(!sent.some((body) => body.includes(keys.privateD)), 'the agent’s private key was sent by the browser');
  log('the agent signs in with its private key (private_key_jwt); the browser never saw that key');

  // The agent registers a subagent with its own token; the tree nests it.
  const subKeys = agentKeys();
  const sub = await graphqlAs(base, workspace.slug, granted.body.access_token,
    'mutation($input: RegisterSubagentInput!) { registerSubagent(input: $input) { clientID agent { id depth } } }',
    { input: { name: subagentSpec.name, scopes: [scope.name], tools: subagentSpec.tools, jwks: subKeys.jwks } });
  const subClientID = sub.registerSubagent.clientID;
  check(sub.registerSubagent.agent.depth === 1, `the subagent is at depth ${sub.registerSubagent.agent.depth}`);
  check((await agentToken(tokenURL, subKeys, subClientID)).status === 200, 'the subagent gets no token with its own key');
  await page.reload();
  // The subagent's list sits in its parent's list item, after the parent's node.
  const parentItem = page.getByRole('listitem').filter({ has: node }).last();
  const subtree = parentItem.getByRole('list', { name: `Subagents of ${agentSpec.name}` });
  const subNode = subtree.getByRole('article', { name: subagentSpec.name });
  await subNode.waitFor();
  await page.getByText('2 agents, 1 top-level').waitFor();
  await subNode.getByText(sponsor.email, { exact: true }).waitFor();
  check((await subNode.innerText()).includes('Depth\n1'), `the subagent's node: ${JSON.stringify(await subNode.innerText())}`);
  log(`${agentSpec.name} registered ${subagentSpec.name} (${subClientID}) with its own token; the tree nests it`);

  // Suspend the agent, after confirming: the suspension reaches its subagent.
  await node.getByRole('button', { name: `Suspend ${agentSpec.name}`, exact: true }).click();
  const confirm = node.getByRole('group', { name: /^Confirm: Suspend/ });
  const question = await confirm.innerText();
  check(question.includes(`Suspend ${agentSpec.name} and its subagent?`) && question.includes('stop working at once'), `the confirmation says: ${question}`);
  await confirm.getByRole('button', { name: 'Confirm suspend' }).click();
  const outcome = page.getByRole('region', { name: `Suspended “${agentSpec.name}”` });
  await outcome.waitFor();
  const said = await outcome.innerText();
  check(said.includes('2 agents suspended'), `the outcome says: ${said}`);
  const affected = outcome.getByRole('list', { name: 'Affected agents' });
  await affected.getByText(agentSpec.name, { exact: true }).waitFor();
  await affected.getByText(subagentSpec.name, { exact: true }).waitFor();
  check(said.includes(`(subagent of ${agentSpec.name})`), `the outcome does not say whose subagent was reached: ${said}`);
  await node.locator('.agent-head .agent-status', { hasText: 'suspended' }).waitFor();
  await subNode.locator('.agent-status', { hasText: 'suspended' }).waitFor();
  await node.getByRole('button', { name: `Resume ${agentSpec.name}`, exact: true }).waitFor();
  await screenshot(page, 'agents-suspended.png');
  const after = await graphqlAs(base, workspace.slug, token, '{ agents { clientID status } }');
  for (const id of [clientID, subClientID]) {
    check(after.agents.find((a) => a.clientID === id)?.status === 'suspended', `the API lists ${JSON.stringify(after.agents)}`);
  }
  const refused = await agentToken(tokenURL, keys, clientID);
  check(refused.status >= 400 && refused.status < 500, `a suspended agent still gets tokens: ${refused.status} ${JSON.stringify(refused.body)}`);
  const subRefused = await agentToken(tokenURL, subKeys, subClientID);
  check(subRefused.status >= 400 && subRefused.status < 500, `a suspended subagent still gets tokens: ${subRefused.status}`);
  log(`suspended ${agentSpec.name} and its subagent: the tree says so, and the token endpoint answers ${refused.status} ${refused.body.error ?? ''}`);

  // Its own page shows the same.
  await outcome.getByRole('button', { name: 'Done' }).click();
  await node.getByRole('link', { name: agentSpec.name, exact: true }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/agents/${onServer.id}`);
  await page.getByRole('heading', { level: 1, name: agentSpec.name }).waitFor();
  // The client id shows in the agent's facts (and again in its recent
  // actions once they load): wait for the facts.
  await page.locator('code.client-id', { hasText: clientID }).waitFor();
  await page.getByText(`1 subagent below ${agentSpec.name}.`).waitFor();
  await page.getByRole('article', { name: subagentSpec.name }).waitFor();
  await page.getByText(`Nobody has given ${agentSpec.name} a grant you can see.`).waitFor();
  await screenshot(page, 'agents-detail.png');
  log('its page shows its client_id, its subagent and no grants');

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

run(main, overallTimeoutMs);
