// Browser test of the workspace's issuer in the dashboard, against a real
// Mandate server: an owner (signed in with an API token) adds a scope to the
// catalog, reads the issuer URL, registers a confidential app, sees its
// client secret once, finds the app in the list, proves the secret works at
// the token endpoint, disables the app, and rotates the signing key.
//
//   MANDATE_BIN=/path/to/mandate node e2e/applications.e2e.mjs
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

const overallTimeoutMs = 120_000;
const workspace = { slug: 'acme', name: 'Acme' };
const app = { name: 'Billing', redirectURI: 'https://billing.example.com/callback' };
const scope = { name: 'invoices:read', description: 'Read your invoices' };

/** A client_credentials grant with HTTP Basic client authentication (RFC 6749 §2.3.1). */
async function clientCredentials(tokenURL, clientID, secret) {
  const basic = Buffer.from(`${encodeURIComponent(clientID)}:${encodeURIComponent(secret)}`).toString('base64');
  const response = await fetch(tokenURL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
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
  const created = await runCLI(bin, env, ['token', 'create', '--tenant', workspace.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  check(typeof created.token === 'string' && created.token.length > 0, 'token create printed no token');
  const token = created.token;
  log('workspace and owner API token created with the CLI');

  const server = startServer(bin, env, addr);
  await waitForServer(base, server);
  log(`server up at ${base}`);

  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  const consoleLines = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    consoleLines.push(msg.text());
    if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
  });

  await page.goto(`${base}/signin/token`);
  await page.getByLabel('Workspace').fill(workspace.slug);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  log('signed in with the API token');

  // Scopes: the standard ones are read-only; add one of the workspace's own.
  const nav = page.getByRole('navigation', { name: 'Workspace' });
  await nav.getByRole('link', { name: 'Scopes' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/scopes`);
  const standard = page.getByRole('table', { name: /Standard scopes/ });
  await standard.getByRole('cell', { name: 'openid', exact: true }).waitFor();
  const catalogForm = page.getByRole('form', { name: "The workspace's own scopes" });
  await catalogForm.getByRole('button', { name: 'Add a scope' }).click();
  await catalogForm.getByLabel('Scope 1 name').fill(scope.name);
  await catalogForm.getByLabel('Scope 1 description').fill(scope.description);
  await catalogForm.getByRole('button', { name: 'Save scopes' }).click();
  await catalogForm.getByRole('status').filter({ hasText: 'Scopes saved.' }).waitFor();
  const catalog = await graphqlAs(base, workspace.slug, token, '{ scopeCatalog { name description standard } }');
  check(
    catalog.scopeCatalog.some((s) => s.name === scope.name && s.description === scope.description && !s.standard),
    `the API's catalog does not hold ${scope.name}: ${JSON.stringify(catalog.scopeCatalog)}`,
  );
  await screenshot(page, 'applications-scopes.png');
  log(`added the scope ${scope.name} to the catalog`);

  // The Applications page, from the nav; the issuer as developers configure it.
  await nav.getByRole('link', { name: 'Applications' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/applications`);
  await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
  await page.getByText('0 applications').waitFor();
  const developers = page.getByRole('region', { name: 'For developers' });
  const issuer = `${base}/t/${workspace.slug}`;
  await developers.getByText(issuer, { exact: true }).waitFor();
  const discoveryURL = await developers.getByRole('link', { name: /openid-configuration/ }).getAttribute('href');
  check(discoveryURL === `${issuer}/.well-known/openid-configuration`, `the discovery link is ${discoveryURL}`);
  const discovery = await (await fetch(discoveryURL, { signal: AbortSignal.timeout(5_000) })).json();
  check(discovery.issuer === issuer, `the discovery document names issuer ${discovery.issuer}, the page ${issuer}`);
  log(`issuer ${issuer}; its discovery document agrees`);

  // Register a confidential app that may also use client credentials.
  await page.getByRole('button', { name: 'Register an application' }).click();
  const form = page.getByRole('form', { name: 'Register an application' });
  await form.getByLabel('Name', { exact: true }).fill(app.name);
  await form.getByLabel('Redirect URIs', { exact: true }).fill(app.redirectURI);
  await form.getByRole('checkbox', { name: 'Client credentials' }).check();
  check(await form.getByRole('checkbox', { name: 'openid' }).isChecked(), 'the standard scopes are not checked by default');
  await form.getByRole('checkbox', { name: scope.name }).check();
  await screenshot(page, 'applications-register.png');
  await form.getByRole('button', { name: 'Register application' }).click();

  const once = page.getByRole('region', { name: `Application “${app.name}” registered` });
  await once.waitFor();
  check((await once.innerText()).includes('you will not see it again'), 'the new app box does not warn that the secret is shown once');
  const secret = await once.getByLabel(`Client secret of ${app.name}`).inputValue();
  check(secret.length >= 32, `the new app box shows a secret of ${secret.length} characters`);
  const clientID = /Client ID:\s*(\S+)/.exec(await once.innerText())?.[1];
  check(clientID, 'the new app box does not show the client ID');
  log(`registered ${app.name} (${clientID}); its secret is shown`);

  // The app is in the list, as the server has it.
  const appRow = page.locator(`tbody tr[data-client-id="${clientID}"]`);
  await appRow.waitFor();
  await page.getByText('1 application', { exact: true }).waitFor();
  const rowText = await appRow.innerText();
  for (const expected of [app.name, clientID, 'confidential', 'Authorization code', 'Client credentials', 'JWT', 'ES256']) {
    check(rowText.includes(expected), `the app's row does not show ${JSON.stringify(expected)}: ${JSON.stringify(rowText)}`);
  }
  const listed = await graphqlAs(base, workspace.slug, token, '{ oauthClients { clientID name grantTypes scopes redirectUris } }');
  const onServer = listed.oauthClients.find((c) => c.clientID === clientID);
  check(onServer?.name === app.name, `the API does not list ${clientID} as ${app.name}`);
  check(onServer.grantTypes.includes('client_credentials'), `the API lists grants ${onServer.grantTypes}`);
  check(onServer.scopes.includes(scope.name) && onServer.scopes.includes('openid'), `the API lists scopes ${onServer.scopes}`);
  check(onServer.redirectUris.join() === app.redirectURI, `the API lists redirect URIs ${onServer.redirectUris}`);
  await screenshot(page, 'applications-secret-once.png');

  // The secret shown is the app's: the token endpoint accepts it.
  const tokenURL = discovery.token_endpoint;
  const granted = await clientCredentials(tokenURL, clientID, secret);
  check(granted.status === 200 && typeof granted.body.access_token === 'string', `client_credentials with the shown secret: ${granted.status} ${JSON.stringify(granted.body)}`);
  log('the shown secret gets a token at the token endpoint');

  const storage = await page.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + document.cookie);
  check(!storage.includes(secret), 'the client secret was written to browser storage or cookies');

  // Done: the secret is gone from the page, and a reload does not bring it back.
  await once.getByRole('button', { name: 'Done' }).click();
  await once.waitFor({ state: 'detached' });
  check(!(await page.content()).includes(secret), 'the client secret is still rendered after Done');
  await page.reload();
  await page.locator(`tbody tr[data-client-id="${clientID}"]`).waitFor();
  check(!(await page.content()).includes(secret), 'the client secret is rendered again after a reload');
  log('after Done and a reload, the secret is not shown again');

  // Disable it, after confirming: the token endpoint refuses it at once.
  await appRow.getByRole('button', { name: `Disable ${app.name}` }).click();
  await appRow.getByRole('button', { name: 'Confirm disable' }).click();
  await page.getByRole('status').filter({ hasText: `Disabled ${app.name}` }).waitFor();
  await appRow.getByText('disabled', { exact: true }).waitFor();
  const refused = await clientCredentials(tokenURL, clientID, secret);
  check(refused.status >= 400 && refused.status < 500, `a disabled app still gets tokens: ${refused.status} ${JSON.stringify(refused.body)}`);
  log(`disabled ${app.name}; the token endpoint answers ${refused.status} ${refused.body.error ?? ''}`);
  await screenshot(page, 'applications-disabled.png');

  // Signing keys: an owner rotates; the new key is listed, published before it signs.
  await nav.getByRole('link', { name: 'Signing keys' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/signing-keys`);
  await page.getByText(/^\d+ keys?, newest first$/).waitFor();
  const keysBefore = await page.locator('tbody tr').count();
  // The token issued above was signed: an ES256 key signs now, so the new
  // one waits, published, while relying parties fetch it.
  const signing = page
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'ES256', exact: true }) })
    .filter({ has: page.getByRole('cell', { name: 'Signing', exact: true }) });
  check((await signing.count()) === 1, `expected one ES256 key signing: ${await page.locator('table').innerText()}`);
  const previousKid = (await signing.locator('td').first().innerText()).trim();
  await page.getByLabel('Algorithm').selectOption('ES256');
  await page.getByRole('button', { name: 'Rotate key' }).click();
  const added = page.getByRole('status').filter({ hasText: /^Added ES256 key / });
  await added.waitFor();
  const kid = /^Added ES256 key (\S+):/.exec(await added.innerText())?.[1];
  check(kid, 'the rotation notice names no key');
  const keyRow = page.getByRole('row').filter({ hasText: kid });
  await keyRow.waitFor();
  check((await keyRow.innerText()).includes('Published, not signing yet'), `the new key's row: ${await keyRow.innerText()}`);
  const previousRow = page.getByRole('row').filter({ hasText: previousKid });
  check((await previousRow.innerText()).includes('Signing until the next key'), `the previous key's row: ${await previousRow.innerText()}`);
  check((await page.locator('tbody tr').count()) === keysBefore + 1, 'the key list did not grow by one');
  const jwks = await (await fetch(`${issuer}/jwks.json`, { signal: AbortSignal.timeout(5_000) })).json();
  check(jwks.keys.some((k) => k.kid === kid), `the JWKS does not publish the new key ${kid}`);
  await screenshot(page, 'applications-signing-keys.png');
  log(`rotated the signing key: ${kid} is published and listed`);

  check(!consoleLines.some((line) => line.includes(secret) || line.includes(token)), 'a secret was written to the browser console');
  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

run(main, overallTimeoutMs);
