// Browser test of passkeys against a real Mandate server, with Chrome's
// DevTools virtual authenticator (CTAP2, internal, resident keys, user
// verification): a person signs in with a password, registers a passkey on
// the Security page, signs out, and signs in again with the passkey alone
// (no email, no password): the session says so (amr hwk + user + mfa).
// Then the passkey is renamed, its last use shows, and after signing out
// the email field's autofill (conditional mediation) signs in with it.
// Last, an invited person joins with a passkey and no password at all.
//
//   MANDATE_BIN=/path/to/mandate node e2e/passkeys.e2e.mjs
//
// The base URL is http://localhost:PORT, so the relying-party id is
// "localhost" (a secure context without TLS). Screenshots go to
// <repo>/artifacts/passkeys-*.png. Prints "1 passed, 0 failed" or "0 passed, 1 failed".
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, freePort, graphql, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot, startServer, waitForServer,
} from './harness.mjs';

const overallTimeoutMs = 120_000;
const workspace = { slug: 'acme', name: 'Acme' };
const dora = { email: 'dora@acme.test', password: 'a map, a backpack and a monkey', name: 'Dora' };

/** Adds a platform authenticator with user verification to the page's browser context. */
export async function addVirtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function main() {
  const bin = requireBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mandate-e2e-passkeys-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    ...process.env,
    MANDATE_DATABASE_URL: join(dir, 'e2e.db'),
    MANDATE_SECRET: randomBytes(32).toString('hex'),
    MANDATE_BASE_URL: base,
  };
  await runCLI(bin, env, ['tenant', 'create', '--slug', workspace.slug, '--name', workspace.name, '--json']);
  await runCLI(bin, env, [
    'user', 'create', '--tenant', workspace.slug, '--email', dora.email, '--password', dora.password, '--name', dora.name,
    '--role', 'member', '--verified', '--json',
  ]);
  const { token } = await runCLI(bin, env, ['token', 'create', '--tenant', workspace.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  const server = startServer(bin, env, `127.0.0.1:${port}`);
  await waitForServer(base, server);
  log(`server up at ${base}; ${dora.email} created with a password`);

  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
  });
  // A switch for this test only: with e2e.noAutofill set, the page's
  // browser says it has no passkey autofill.
  await context.addInitScript(() => {
    if (localStorage.getItem('e2e.noAutofill') === '1' && window.PublicKeyCredential) {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
  const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
  log('virtual authenticator added (ctap2, internal, resident key, user verification)');

  // Password first.
  await page.goto(`${base}/t/${workspace.slug}/signin`);
  check(
    (await page.getByLabel('Email').getAttribute('autocomplete')) === 'username webauthn',
    'the email field does not offer passkeys in autofill (autocomplete="username webauthn")',
  );
  const conditional = await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable?.() ?? false);
  log(`conditional mediation (autofill) available in this chromium: ${conditional}`);
  await page.getByLabel('Email').fill(dora.email);
  await page.getByLabel('Password').fill(dora.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  log('signed in with the password');

  // Register a passkey on the Security page.
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Security' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/security`);
  await page.getByText('No passkeys yet.').waitFor();
  await page.getByTestId('session-amr').filter({ hasText: 'password' }).waitFor();
  const add = page.getByRole('form', { name: 'Add a passkey' });
  await add.getByLabel('Name for the new passkey').fill('Virtual laptop');
  await add.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey “Virtual laptop” added: you can sign in with it now.').waitFor();
  await page.getByText('1 passkey', { exact: true }).waitFor();
  const row = page.locator('tr', { hasText: 'Virtual laptop' });
  const kind = await row.locator('td').nth(1).innerText();
  check(/passkey/i.test(kind), `the passkey's kind reads ${JSON.stringify(kind)}`);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, `the authenticator holds ${JSON.stringify(credentials.map((c) => c.isResidentCredential))}`);
  check(credentials[0].rpId === 'localhost', `the passkey's RP id is ${credentials[0].rpId}`);
  await screenshot(page, 'passkeys-registered.png');
  log(`registered a discoverable passkey for rpId ${credentials[0].rpId} (${kind})`);

  // Sign out, in a browser without passkey autofill (the test turns
  // conditional mediation off: Chrome's virtual authenticator answers an
  // autofill request by itself, which would sign in before the button is
  // pressed). The button alone then signs in: no email, no password.
  await page.evaluate(() => localStorage.setItem('e2e.noAutofill', '1'));
  await page.goto(`${base}/w/${workspace.slug}`);
  check(!(await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable())), 'passkey autofill is still on');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/signin`);
  await page.getByText('You are signed out.').waitFor();
  log('signed out');
  const ceremonies = [];
  const count = (request) => {
    const path = new URL(request.url()).pathname;
    if (path.includes('/auth/passkeys/login/')) ceremonies.push(path.split('/').pop());
  };
  page.on('request', count);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  page.off('request', count);
  check(JSON.stringify(ceremonies) === '["begin","finish"]', `the button's passkey sign-in made the requests ${JSON.stringify(ceremonies)}`);
  await page.locator('.whoami').filter({ hasText: dora.email }).waitFor();
  await screenshot(page, 'passkeys-signed-in.png');
  log('signed in with the passkey button alone');
  await page.evaluate(() => localStorage.removeItem('e2e.noAutofill'));
  await page.reload();

  // The session says how: a passkey with user verification is two factors.
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Security' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/security`);
  const amr = page.getByTestId('session-amr');
  await amr.filter({ hasText: /passkey/ }).waitFor();
  const amrText = await amr.innerText();
  check(/passkey \(two-step\)/.test(amrText), `the session signed in with ${JSON.stringify(amrText)}`);
  const session = await page.evaluate(async (slug) => (await fetch(`/t/${slug}/auth/session`)).json(), workspace.slug);
  const sessionAMR = session.session?.amr ?? [];
  check(
    (sessionAMR.includes('hwk') || sessionAMR.includes('swk')) && sessionAMR.includes('user') && sessionAMR.includes('mfa') && !sessionAMR.includes('pwd'),
    `the session's amr is ${JSON.stringify(sessionAMR)}`,
  );
  log(`the session's amr is ${JSON.stringify(sessionAMR)}`);

  // Its last use shows, and it can be renamed.
  const lastUsed = await page.locator('tr', { hasText: 'Virtual laptop' }).locator('td').nth(3).innerText();
  check(lastUsed !== 'Never', `the passkey's last use reads ${JSON.stringify(lastUsed)}`);
  await page.getByRole('button', { name: 'Rename Virtual laptop' }).click();
  await page.getByLabel('New name').fill('Test laptop');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Renamed the passkey to “Test laptop”.').waitFor();
  await page.locator('tr', { hasText: 'Test laptop' }).waitFor();
  await screenshot(page, 'passkeys-security.png');
  log('the passkey shows its last use and was renamed');

  // Signed out again, the sign-in page's autofill (conditional mediation)
  // request is answered by the virtual authenticator, which picks the only
  // passkey as a person would from the email field's suggestions.
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  const autofilled = page.waitForResponse((r) => r.url().endsWith('/auth/passkeys/login/finish'));
  await page.getByRole('button', { name: 'Sign out' }).click();
  const finish = await autofilled;
  check(finish.status() === 200, `the autofill sign-in answered ${finish.status()}`);
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.locator('.whoami').filter({ hasText: dora.email }).waitFor();
  log('signed out, then in again through the email field\'s passkey autofill (conditional mediation)');

  // A passkey-only account: Eve accepts an invitation with a passkey, no password.
  const eve = 'eve@acme.test';
  await graphql(base, workspace.slug, token, 'mutation($e: String!) { inviteMember(input: { email: $e, role: member }) { id } }', { e: eve });
  const outbox = await graphql(base, workspace.slug, token, '{ devOutbox(first: 20) { messages { to subject text } } }');
  const invitation = outbox.devOutbox.messages.find((m) => m.to.includes(eve));
  const link = /https?:\/\/\S+\/accept-invitation\?token=[^\s"<>]+/.exec(invitation?.text ?? '')?.[0];
  check(link, `no invitation link for ${eve} in the dev outbox: ${JSON.stringify(outbox.devOutbox.messages.map((m) => m.subject))}`);
  const eveContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const evePage = await eveContext.newPage();
  evePage.setDefaultTimeout(15_000);
  evePage.on('pageerror', (err) => pageErrors.push(err.message));
  await addVirtualAuthenticator(eveContext, evePage);
  await evePage.goto(link);
  await evePage.getByLabel('Your name').fill('Eve');
  await evePage.getByRole('button', { name: 'Join with a passkey instead (no password)' }).click();
  await evePage.waitForURL(`${base}/w/${workspace.slug}`);
  await evePage.locator('.whoami').filter({ hasText: eve }).waitFor();
  const eveSession = await evePage.evaluate(async (slug) => (await fetch(`/t/${slug}/auth/session`)).json(), workspace.slug);
  check(eveSession.session?.amr?.includes('mfa') && !eveSession.session.amr.includes('pwd'), `eve's session amr is ${JSON.stringify(eveSession.session?.amr)}`);
  // Signed out, the passkey is her way back in (the autofill request
  // answers at once here: the virtual authenticator needs no pick).
  const back = evePage.waitForResponse((r) => r.url().endsWith('/auth/passkeys/login/finish'));
  await evePage.getByRole('button', { name: 'Sign out' }).click();
  check((await back).status() === 200, 'eve could not sign in again with her passkey');
  await evePage.waitForURL(`${base}/w/${workspace.slug}`);
  await evePage.locator('.whoami').filter({ hasText: eve }).waitFor();
  log(`eve joined from an invitation with a passkey only (amr ${JSON.stringify(eveSession.session.amr)}), signed out and back in with it`);

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) run(main, overallTimeoutMs);
