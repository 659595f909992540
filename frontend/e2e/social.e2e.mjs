// Browser test of social sign-in against a real OpenID Connect provider:
// another workspace ("upstream") of the same Mandate server is the issuer.
//
// 1. Acme's owner adds the provider in the dashboard (Sign-in page: kind
//    OpenID Connect, the upstream's issuer URL, client ID and a write-only
//    secret), allowing new accounts.
// 2. Uma, who has an account only at upstream, clicks "Sign in with
//    Upstream" on acme's sign-in page, signs in at upstream's hosted page,
//    consents, and lands in acme's dashboard with a new account whose
//    session says amr ["fed"].
// 3. Dan, cancelling at the provider (Deny), comes back to acme's sign-in page
//    with the error shown.
// 4. Ann, acme's owner, links her own upstream identity from her Security
//    page, and then signs in with it.
//
//   MANDATE_BIN=/path/to/mandate node e2e/social.e2e.mjs
//
// Screenshots go to <repo>/artifacts/social-*.png. Prints "1 passed, 0 failed" or "0 passed, 1 failed".
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, freePort, graphql, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot, startServer,
  waitForServer,
} from './harness.mjs';
import { consent } from './mfa.e2e.mjs';

const overallTimeoutMs = 180_000;
const acme = { slug: 'acme', name: 'Acme' };
const upstream = { slug: 'upstream', name: 'Upstream' };
const ann = { email: 'ann@acme.test', password: 'a compass, a canoe and a fox' };
const uma = { email: 'uma@example.test', password: 'a harp, a hat and a heron' };
const dan = { email: 'dan@example.test', password: 'a drum, a dove and a dune' };

function watch(page, errors) {
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => errors.push(err.message));
}

async function passwordStep(page, who) {
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function sessionOf(page, slug) {
  return page.evaluate(async (s) => (await fetch(`/t/${s}/auth/session`)).json(), slug);
}

async function main() {
  const bin = requireBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mandate-e2e-social-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    ...process.env,
    MANDATE_DATABASE_URL: join(dir, 'e2e.db'),
    MANDATE_SECRET: randomBytes(32).toString('hex'),
    MANDATE_BASE_URL: base,
  };
  for (const w of [acme, upstream]) await runCLI(bin, env, ['tenant', 'create', '--slug', w.slug, '--name', w.name, '--json']);
  await runCLI(bin, env, ['user', 'create', '--tenant', acme.slug, '--email', ann.email, '--password', ann.password, '--role', 'owner', '--verified', '--json']);
  for (const who of [uma, dan, ann]) {
    await runCLI(bin, env, ['user', 'create', '--tenant', upstream.slug, '--email', who.email, '--password', who.password, '--verified', '--json']);
  }
  const callback = `${base}/t/${acme.slug}/auth/social/up/callback`;
  const registration = await runCLI(bin, env, [
    'client', 'create', '--tenant', upstream.slug, '--name', 'Acme sign-in', '--redirect-uri', callback,
    '--scope', 'openid', '--scope', 'email', '--scope', 'profile', '--json',
  ]);
  check(registration.client_id && registration.client_secret, 'the upstream client has no id or secret');
  const { token } = await runCLI(bin, env, ['token', 'create', '--tenant', acme.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  const server = startServer(bin, env, `127.0.0.1:${port}`);
  await waitForServer(base, server);
  await graphql(base, acme.slug, token, 'mutation { updateTenantSettings(input: { signUpMode: "open" }) { id } }');
  log(`server up at ${base}; acme's sign-in registered at upstream as ${registration.client_id}`);

  const browser = await launchBrowser();
  const pageErrors = [];

  // 1. Ann adds the provider in the dashboard.
  const annContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await annContext.newPage();
  watch(admin, pageErrors);
  await admin.goto(`${base}/t/${acme.slug}/signin`);
  await passwordStep(admin, ann);
  await admin.waitForURL(`${base}/w/${acme.slug}`);
  await admin.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Sign-in' }).click();
  await admin.getByText('No social sign-in providers.').waitFor();
  await admin.getByRole('button', { name: 'Add a provider' }).click();
  const form = admin.getByRole('form', { name: 'Add a provider' });
  await form.getByLabel('Kind').selectOption('oidc');
  await form.getByLabel('Short name (in URLs)').fill('up');
  await form.getByLabel('Button label').fill('Upstream');
  await form.getByLabel('Client ID').fill(registration.client_id);
  await form.getByLabel('Client secret').fill(registration.client_secret);
  await form.getByLabel('Issuer URL').fill(`${base}/t/${upstream.slug}`);
  await form.getByLabel('Create an account on a first sign-in').check();
  await form.getByText(callback).waitFor();
  await form.getByRole('button', { name: 'Add provider' }).click();
  await admin.getByText(`Added Upstream. Register ${callback} as its redirect URI at the provider.`).waitFor();
  const row = admin.locator('tr[data-provider="up"]');
  await row.getByText('Client secret set').waitFor();
  check(!(await admin.content()).includes(registration.client_secret), 'the client secret is on the page after saving');
  await screenshot(admin, 'social-provider.png');
  log('ann added the OpenID Connect provider "Upstream" in the dashboard; its secret is not shown');

  // 2. Uma signs in through upstream and gets an account.
  const umaContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await umaContext.newPage();
  watch(page, pageErrors);
  await page.goto(`${base}/t/${acme.slug}/signin`);
  const button = page.getByRole('link', { name: 'Sign in with Upstream' });
  await button.waitFor();
  await screenshot(page, 'social-signin.png');
  await button.click();
  await page.waitForURL((u) => u.pathname === `/t/${upstream.slug}/signin`);
  log('the button went to upstream, which asks Uma to sign in there');
  await passwordStep(page, uma);
  await consent(page, base, 'approve', (u) => u.pathname.startsWith(`/w/${acme.slug}`));
  await page.waitForURL(`${base}/w/${acme.slug}`);
  await page.locator('.whoami').filter({ hasText: uma.email }).waitFor();
  const umaSession = await sessionOf(page, acme.slug);
  check(JSON.stringify(umaSession.session?.amr) === '["fed"]', `uma's acme session amr is ${JSON.stringify(umaSession.session?.amr)}`);
  await screenshot(page, 'social-signed-in.png');
  log(`uma signed in to acme through upstream; a new account, amr ${JSON.stringify(umaSession.session.amr)}`);

  // Her Security page lists the linked account.
  await page.goto(`${base}/t/${acme.slug}/security`);
  const linked = page.locator('tr', { hasText: 'Upstream' });
  await linked.getByText(uma.email).waitFor();
  log('her Security page lists the upstream identity');

  // 3. Cancelling at the provider comes back with the error.
  const denyContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const denied = await denyContext.newPage();
  watch(denied, pageErrors);
  await denied.goto(`${base}/t/${acme.slug}/signin`);
  await denied.getByRole('link', { name: 'Sign in with Upstream' }).click();
  await denied.waitForURL((u) => u.pathname === `/t/${upstream.slug}/signin`);
  await passwordStep(denied, dan);
  await consent(denied, base, 'deny', (u) => u.pathname === `/t/${acme.slug}/signin`);
  await denied.waitForURL((u) => u.pathname === `/t/${acme.slug}/signin` && u.searchParams.get('error') === 'access_denied');
  await denied.getByRole('alert').filter({ hasText: /cancelled at the provider/ }).waitFor();
  await screenshot(denied, 'social-denied.png');
  log('denying at upstream comes back to acme\'s sign-in page with the error shown');

  // 4. Ann links her upstream identity from her Security page, then signs in with it.
  await admin.goto(`${base}/t/${acme.slug}/security`);
  await admin.getByRole('link', { name: 'Link Upstream' }).click();
  await admin.waitForURL((u) => u.pathname === `/t/${upstream.slug}/signin`);
  await passwordStep(admin, ann);
  await consent(admin, base, 'approve', (u) => u.pathname === `/t/${acme.slug}/security`);
  await admin.waitForURL((u) => u.pathname === `/t/${acme.slug}/security`);
  await admin.getByText('Linked your Upstream account: you can sign in with it now.').waitFor();
  await admin.locator('tr', { hasText: 'Upstream' }).getByText(ann.email).waitFor();
  await screenshot(admin, 'social-linked.png');
  log('ann linked her upstream identity from her Security page');

  await admin.goto(`${base}/w/${acme.slug}`);
  await admin.getByRole('button', { name: 'Sign out' }).click();
  await admin.waitForURL(`${base}/t/${acme.slug}/signin`);
  await admin.getByRole('link', { name: 'Sign in with Upstream' }).click();
  // Still signed in at upstream and consent remembered: straight back.
  await admin.waitForURL(`${base}/w/${acme.slug}`);
  await admin.locator('.whoami').filter({ hasText: ann.email }).waitFor();
  log('signed out, ann signed in again with the linked upstream identity');

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) run(main, overallTimeoutMs);
