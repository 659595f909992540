// Browser test of two-step sign-in against a real Mandate server:
//
// 1. Ann (an owner, password) sets up an authenticator app on her Security
//    page: the QR code and key show, a code computed here (RFC 6238) turns
//    it on, and 10 recovery codes show once.
// 2. An app (a public OIDC client) asks for acr_values=2: her session has
//    only a password, so the hosted page asks for a code (step-up), and the
//    ID token says acr 2 with amr pwd + otp + mfa. Asked again with
//    max_age=0, she signs in afresh: password, then a recovery code.
// 3. Signed out, she signs in with password + a code from the app.
// 4. She requires two-step verification for everyone (Sign-in settings):
//    Bob, a member with only a password, is walked through setting up an
//    app at his next sign-in; Carl creates a passkey instead (DevTools
//    virtual authenticator).
// 5. She resets Bob's factors from the Members page: his next sign-in asks
//    him to set one up again.
//
//   MANDATE_BIN=/path/to/mandate node e2e/mfa.e2e.mjs
//
// Screenshots go to <repo>/artifacts/mfa-*.png. Prints "1 passed, 0 failed" or "0 passed, 1 failed".
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  check, freePort, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot, startServer, waitForServer,
} from './harness.mjs';
import { addVirtualAuthenticator } from './passkeys.e2e.mjs';

const overallTimeoutMs = 240_000;
const workspace = { slug: 'acme', name: 'Acme' };
const ann = { email: 'ann@acme.test', password: 'a compass, a canoe and a fox', role: 'owner' };
const bob = { email: 'bob@acme.test', password: 'a lantern, a rope and a parrot', role: 'member' };
const carl = { email: 'carl@acme.test', password: 'a kite, a drum and a tortoise', role: 'member' };

/** RFC 4648 base32 (no padding) to bytes. */
function base32(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238: the 6-digit SHA-1 code of 30-second step `step`. */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 30_000);

/**
 * Codes of one app, each of a later step than the last accepted: the
 * server takes a code once, and never one of an earlier step; it accepts
 * one step early, so a code never needs more than a short wait.
 */
function authenticator(secret) {
  let last = -1;
  return {
    secret,
    async next() {
      let step = Math.max(stepNow(), last + 1);
      while (step > stepNow() + 1) {
        log(`waiting for the next 30-second step of the app (${Math.ceil((step - 1) * 30 - Date.now() / 1000)} s)`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      // Just before a step ends, the next one is safer.
      if (step === stepNow() + 1 && Date.now() % 30_000 > 28_000) await new Promise((r) => setTimeout(r, 2_500));
      step = Math.max(stepNow(), last + 1);
      last = step;
      return totp(secret, step);
    },
  };
}

function watch(page, errors) {
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
  });
}

async function signInWithPassword(page, base, who) {
  await page.goto(`${base}/t/${workspace.slug}/signin`);
  await passwordStep(page, who);
}

async function passwordStep(page, who) {
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function sessionOf(page) {
  return page.evaluate(async (slug) => (await fetch(`/t/${slug}/auth/session`)).json(), workspace.slug);
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

/**
 * An app's authorization code flow (public client, PKCE) in the page: the
 * browser goes to the authorize endpoint; `interact` answers whatever the
 * server asks on the way; the redirect to the app is caught here and the
 * code exchanged for tokens.
 */
async function authorize(page, { app, discovery, clientID, redirectURI, params, interact }) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const url = new URL(discovery.authorization_endpoint);
  const query = {
    response_type: 'code', client_id: clientID, redirect_uri: redirectURI, scope: 'openid profile email', state, nonce,
    code_challenge: challenge, code_challenge_method: 'S256', ...params,
  };
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const callback = app.nextCallback();
  await page.goto(url.toString());
  await interact();
  const back = new URL(await callback, redirectURI);
  check(back.searchParams.get('state') === state, `the app got state ${back.searchParams.get('state')}`);
  const code = back.searchParams.get('code');
  check(code, `the app got no code: ${back.search}`);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectURI, client_id: clientID, code_verifier: verifier }),
    signal: AbortSignal.timeout(5_000),
  });
  const tokens = await response.json();
  check(response.status === 200 && tokens.id_token, `token endpoint: ${response.status} ${JSON.stringify(tokens)}`);
  const id = claims(tokens.id_token);
  check(id.nonce === nonce, `the ID token's nonce is ${id.nonce}`);
  return id;
}

/** The app's redirect URI: a server on loopback that keeps each callback's URL. */
async function startApp() {
  const port = await freePort();
  let waiting = null;
  const server = createServer((req, res) => {
    if (!req.url.startsWith('/cb')) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>Notes</title><p>Back in the app.</p>');
    waiting?.(req.url);
    waiting = null;
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => server.close(r)));
  return {
    redirectURI: `http://127.0.0.1:${port}/cb`,
    nextCallback: () => new Promise((r) => {
      waiting = r;
    }),
  };
}

/**
 * Answers the consent page if the server shows it (else waits until the
 * browser is where `done` says), by clicking its button: the browser posts
 * the form itself (with Origin: null, as Chromium does for pages served
 * with Referrer-Policy: no-referrer, and Sec-Fetch-Site: same-origin).
 */
export async function consent(page, base, decision, done) {
  const allow = page.getByRole('button', { name: 'Allow' });
  const asked = await Promise.race([allow.waitFor().then(() => true), page.waitForURL(done).then(() => false)]);
  if (!asked) return;
  await page.getByRole('button', { name: decision === 'approve' ? 'Allow' : 'Deny' }).click();
}

/** Approves the consent page if the server shows it, on the way to the app's redirect URI. */
export function approveIfAsked(page, redirectURI, base) {
  return consent(page, base, 'approve', (u) => u.toString().startsWith(redirectURI));
}

async function main() {
  const bin = requireBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mandate-e2e-mfa-'));
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
  for (const who of [ann, bob, carl]) {
    await runCLI(bin, env, [
      'user', 'create', '--tenant', workspace.slug, '--email', who.email, '--password', who.password, '--role', who.role, '--verified', '--json',
    ]);
  }
  const rp = await startApp();
  const { redirectURI } = rp;
  const app = await runCLI(bin, env, [
    'client', 'create', '--tenant', workspace.slug, '--name', 'Notes', '--public', '--redirect-uri', redirectURI,
    '--grant', 'authorization_code', '--scope', 'openid', '--scope', 'profile', '--scope', 'email', '--json',
  ]);
  const server = startServer(bin, env, `127.0.0.1:${port}`);
  await waitForServer(base, server);
  const discovery = await (await fetch(`${base}/t/${workspace.slug}/.well-known/openid-configuration`)).json();
  log(`server up at ${base}; ann (owner), bob and carl (members) have passwords; app ${app.client_id} registered`);

  const browser = await launchBrowser();
  const pageErrors = [];
  const annContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await annContext.newPage();
  watch(page, pageErrors);

  // 1. Ann turns on an authenticator app.
  await signInWithPassword(page, base, ann);
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Security' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/security`);
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  const qrWidth = await qr.evaluate((img) => img.naturalWidth);
  check(qrWidth > 0, 'the QR code image did not load');
  const secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
  check(/^[A-Z2-7]{16,}$/.test(secret ?? ''), `the key shown is ${JSON.stringify(secret)}`);
  const app1 = authenticator(secret);
  await screenshot(page, 'mfa-setup.png');
  await page.getByLabel('Code from the app').fill(await app1.next());
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codesList = page.getByRole('list', { name: 'Recovery codes' });
  await codesList.waitFor();
  const recoveryCodes = (await codesList.getByRole('listitem').allInnerTexts()).map((c) => c.trim());
  check(recoveryCodes.length === 10, `${recoveryCodes.length} recovery codes shown`);
  await screenshot(page, 'mfa-recovery-codes.png');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByText('10 of 10 unused.').waitFor();
  log(`authenticator app on (key read from the page, QR ${qrWidth}px); 10 recovery codes shown once`);

  // 2. An app asks for a second factor: the session (password only) steps up.
  const before = (await sessionOf(page)).session.amr;
  check(JSON.stringify(before) === '["pwd"]', `before the step-up the session's amr is ${JSON.stringify(before)}`);
  const stepped = await authorize(page, {
    app: rp, discovery, clientID: app.client_id, redirectURI, params: { acr_values: '2' },
    interact: async () => {
      await page.waitForURL((u) => u.pathname === `/t/${workspace.slug}/signin` && u.searchParams.get('step_up') === 'mfa');
      await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
      await screenshot(page, 'mfa-step-up.png');
      await page.getByLabel('Authentication code').fill(await app1.next());
      await page.getByRole('button', { name: 'Confirm' }).click();
      await approveIfAsked(page, redirectURI, base);
    },
  });
  check(stepped.acr === '2', `after the step-up the ID token's acr is ${stepped.acr}`);
  check(['pwd', 'otp', 'mfa'].every((m) => stepped.amr?.includes(m)), `after the step-up the ID token's amr is ${JSON.stringify(stepped.amr)}`);
  log(`acr_values=2: stepped up with a code; the ID token says acr ${stepped.acr}, amr ${JSON.stringify(stepped.amr)}`);

  const asked = Math.floor(Date.now() / 1000);
  const fresh = await authorize(page, {
    app: rp, discovery, clientID: app.client_id, redirectURI, params: { max_age: '0', acr_values: '2' },
    interact: async () => {
      await page.waitForURL((u) => u.pathname === `/t/${workspace.slug}/signin` && !u.searchParams.get('step_up'));
      await passwordStep(page, ann);
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
      await page.getByRole('button', { name: 'Use a recovery code' }).click();
      await page.getByLabel('Recovery code').fill(recoveryCodes[0]);
      await page.getByRole('button', { name: 'Verify' }).click();
      await approveIfAsked(page, redirectURI, base);
    },
  });
  check(fresh.auth_time >= asked - 1, `max_age=0: the ID token's auth_time ${fresh.auth_time} is before the request (${asked})`);
  check(fresh.acr === '2' && fresh.amr?.includes('otp'), `max_age=0: the ID token says acr ${fresh.acr}, amr ${JSON.stringify(fresh.amr)}`);
  log(`max_age=0: signed in afresh with password + recovery code; auth_time ${fresh.auth_time}, acr ${fresh.acr}`);

  // 3. Signed out, password + code from the app.
  await page.goto(`${base}/w/${workspace.slug}`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/signin`);
  await passwordStep(page, ann);
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  check((await sessionOf(page)).code === 'no_session', 'a session exists before the second step');
  await screenshot(page, 'mfa-second-step.png');
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
  await page.getByLabel('Authentication code').fill(await app1.next());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  const annAMR = (await sessionOf(page)).session.amr;
  check(['pwd', 'otp', 'mfa'].every((m) => annAMR.includes(m)), `ann's session amr is ${JSON.stringify(annAMR)}`);
  await page.goto(`${base}/t/${workspace.slug}/security`);
  await page.getByText('9 of 10 unused.').waitFor();
  log(`signed in with password + authenticator code (a wrong code refused first); amr ${JSON.stringify(annAMR)}`);

  // 4. Two-step verification for everyone.
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Sign-in' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}/sign-in`);
  const policy = page.getByRole('form', { name: 'Sign-in settings' });
  await policy.getByLabel('Two-step verification').selectOption('everyone');
  await policy.getByRole('button', { name: 'Save sign-in settings' }).click();
  await policy.getByText('Sign-in settings saved.').waitFor();
  await screenshot(page, 'mfa-policy.png');
  log('ann requires two-step verification for everyone');

  const bobContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const bobPage = await bobContext.newPage();
  watch(bobPage, pageErrors);
  await signInWithPassword(bobPage, base, bob);
  await bobPage.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  check((await sessionOf(bobPage)).code === 'no_session', 'bob has a session before enrolling');
  await screenshot(bobPage, 'mfa-enroll.png');
  await bobPage.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await bobPage.getByRole('img', { name: /QR code/ }).waitFor();
  const bobApp = authenticator(await bobPage.getByTestId('totp-secret').getAttribute('data-secret'));
  await bobPage.getByLabel('Code from the app').fill(await bobApp.next());
  await bobPage.getByRole('button', { name: 'Turn on' }).click();
  const bobCodes = bobPage.getByRole('list', { name: 'Recovery codes' });
  await bobCodes.waitFor();
  check((await bobCodes.getByRole('listitem').count()) === 10, 'bob was not shown 10 recovery codes');
  await screenshot(bobPage, 'mfa-enroll-codes.png');
  await bobPage.getByRole('button', { name: 'I saved them, continue' }).click();
  await bobPage.waitForURL(`${base}/w/${workspace.slug}`);
  const bobAMR = (await sessionOf(bobPage)).session.amr;
  check(bobAMR.includes('otp') && bobAMR.includes('mfa'), `bob's session amr is ${JSON.stringify(bobAMR)}`);
  log(`bob was walked through setting up an app at sign-in; amr ${JSON.stringify(bobAMR)}`);

  const carlContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const carlPage = await carlContext.newPage();
  watch(carlPage, pageErrors);
  await addVirtualAuthenticator(carlContext, carlPage);
  await signInWithPassword(carlPage, base, carl);
  await carlPage.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  await carlPage.getByRole('button', { name: 'Create a passkey' }).click();
  await carlPage.getByLabel('Name for this passkey').fill('Carl’s laptop');
  await carlPage.getByRole('button', { name: 'Create the passkey' }).click();
  await carlPage.waitForURL(`${base}/w/${workspace.slug}`);
  const carlAMR = (await sessionOf(carlPage)).session.amr;
  check(carlAMR.includes('pwd') && carlAMR.includes('mfa'), `carl's session amr is ${JSON.stringify(carlAMR)}`);
  log(`carl was walked through creating a passkey at sign-in; amr ${JSON.stringify(carlAMR)}`);

  // 5. Ann resets Bob's factors from the Members page: his next sign-in
  // walks him through enrollment again.
  await page.goto(`${base}/w/${workspace.slug}/members`);
  await page.getByRole('button', { name: `Reset factors of ${bob.email}` }).click();
  await page.getByRole('button', { name: 'Confirm reset' }).click();
  const reset = page.getByRole('status').filter({ hasText: `Reset ${bob.email}'s factors` });
  await reset.waitFor();
  log(`members page: "${await reset.innerText()}"`);
  const bobAgain = await (await browser.newContext()).newPage();
  watch(bobAgain, pageErrors);
  await signInWithPassword(bobAgain, base, bob);
  await bobAgain.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  log('after the reset, bob is asked to set up a second factor again');

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) run(main, overallTimeoutMs);
