// Browser test of human sign-in against a real Mandate server sending real
// email: a person signs up on the hosted page, follows the verification link
// that arrives over SMTP, signs in (after a wrong password), sees the session
// in My account, signs in again from a second browser, and from there signs
// the first one out. Then the password is reset from "Forgot your password?"
// with the link that arrives over SMTP (the old password is refused, the new
// one works, every session ended), and changed in My account, which stays
// signed in while other sessions end and only the newest password works.
//
//   MANDATE_BIN=/path/to/mandate node e2e/signin.e2e.mjs
//
// The SMTP server runs in this process (smtp-server, read with mailparser).
// The base URL uses `localhost` so that the browser's origin equals it (the
// server checks Origin on cookie-authenticated changes). Screenshots go to
// <repo>/artifacts/signin-*.png. Prints "1 passed, 0 failed" or "0 passed, 1 failed".
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import {
  check, Failure, freePort, graphql, launchBrowser, log, onCleanup, requireBinary, run, runCLI, screenshot,
  startServer, waitForServer,
} from './harness.mjs';

const overallTimeoutMs = 120_000;
const workspace = { slug: 'acme', name: 'Acme' };
const dora = { name: 'Dora Explorer', email: 'dora@acme.test', password: 'a map, a backpack and a monkey' };
// The password after the reset, and after the change in My account.
const resetPassword = 'a compass, a canoe and a curious fox';
const changedPassword = 'a lantern, a rope and a talking parrot';

/** An SMTP server on 127.0.0.1 that keeps every message, parsed. */
async function startMailServer() {
  const inbox = [];
  const waiters = new Set();
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1 << 20,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          inbox.push({ to, subject: mail.subject ?? '', text: mail.text ?? '', from: mail.from?.text ?? '' });
          for (const wake of waiters) wake();
          callback();
        })
        .catch(callback);
    },
  });
  const port = await freePort();
  await new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolvePromise);
  });
  onCleanup(() => new Promise((r) => server.close(r)));

  /** The first message to `to` whose subject matches, waiting up to timeoutMs. */
  async function waitFor(to, subject, timeoutMs = 15_000) {
    const find = () => inbox.find((m) => m.to.includes(to) && subject.test(m.subject));
    const until = Date.now() + timeoutMs;
    while (!find()) {
      const left = until - Date.now();
      if (left <= 0) {
        throw new Failure(
          `no email to ${to} matching ${subject} within ${timeoutMs / 1000} s; received: ` +
            JSON.stringify(inbox.map((m) => ({ to: m.to, subject: m.subject }))),
        );
      }
      await new Promise((wake) => {
        const done = () => {
          waiters.delete(done);
          clearTimeout(timer);
          wake();
        };
        const timer = setTimeout(done, left);
        waiters.add(done);
      });
    }
    return find();
  }
  return { port, inbox, waitFor };
}

async function signIn(page, base, email, password) {
  await page.goto(`${base}/t/${workspace.slug}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Signs in on the page it is on and expects the wrong-credentials error, staying there. */
async function expectRefused(page, base, email, password, what) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor();
  const text = await alert.innerText();
  check(/wrong email address or password/i.test(text), `${what} shows ${JSON.stringify(text)}`);
  check(page.url() === `${base}/t/${workspace.slug}/signin`, `${what} moved to ${page.url()}`);
}

async function openAccount(page, base) {
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'My account' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/account`);
  await page.getByRole('region', { name: 'Profile' }).getByText(dora.email).waitFor();
}

/** The sessions table's rows, as {id, current, text}, once it has `count` rows. */
async function sessionRows(page, count) {
  await page.getByRole('table').getByText(`${count} ${count === 1 ? 'session' : 'sessions'} signed in`).waitFor();
  return page.locator('tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({ id: r.getAttribute('data-session-id'), current: r.textContent.includes('This device'), text: r.textContent })),
  );
}

function watchPage(page, errors) {
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
  });
}

async function main() {
  const bin = requireBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mandate-e2e-signin-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));

  const mail = await startMailServer();
  log(`SMTP server listening on 127.0.0.1:${mail.port}`);
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    ...process.env,
    MANDATE_DATABASE_URL: join(dir, 'e2e.db'),
    MANDATE_SECRET: randomBytes(32).toString('hex'),
    MANDATE_BASE_URL: base,
    MANDATE_SMTP_URL: `smtp://127.0.0.1:${mail.port}?tls=none&from=id@acme.test`,
  };

  await runCLI(bin, env, ['tenant', 'create', '--slug', workspace.slug, '--name', workspace.name, '--json']);
  const { token } = await runCLI(bin, env, ['token', 'create', '--tenant', workspace.slug, '--name', 'e2e', '--role', 'owner', '--json']);
  check(typeof token === 'string' && token, 'token create printed no token');

  const server = startServer(bin, env, `127.0.0.1:${port}`);
  await waitForServer(base, server);
  log(`server up at ${base}`);
  const settings = await graphql(
    base,
    workspace.slug,
    token,
    'mutation { updateTenantSettings(input: { signUpMode: "open" }) { settings { signUpMode } } }',
  );
  check(settings.updateTenantSettings.settings.signUpMode === 'open', 'sign-up mode is not open');
  log('workspace acme created with the CLI; sign-up opened over GraphQL');

  const browser = await launchBrowser();
  const pageErrors = [];
  const first = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await first.newPage();
  watchPage(page, pageErrors);

  // Sign up.
  await page.goto(`${base}/t/${workspace.slug}/signup`);
  await page.getByLabel('Name').fill(dora.name);
  await page.getByLabel('Email').fill(dora.email);
  await page.getByLabel('Password').fill(dora.password);
  check((await page.getByLabel('Password').getAttribute('autocomplete')) === 'new-password', 'sign-up password is not new-password');
  await screenshot(page, 'signin-signup.png');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  log('signed up; the page says to check the inbox');

  // The verification email arrives over SMTP; follow its link.
  const verification = await mail.waitFor(dora.email, /verify/i);
  check(verification.from.includes('id@acme.test'), `the email is from ${JSON.stringify(verification.from)}`);
  const link = /https?:\/\/\S+\/verify-email\?token=[^\s"<>]+/.exec(verification.text)?.[0];
  check(link, `no verification link in the email: ${JSON.stringify(verification.text.slice(0, 400))}`);
  check(link.startsWith(`${base}/t/${workspace.slug}/verify-email?token=`), `the link ${link.split('?')[0]} is not on ${base}`);
  log(`verification email received: "${verification.subject}"`);
  await page.goto(link);
  await page.getByText('Your email address is verified.').waitFor();
  await screenshot(page, 'signin-verified.png');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/signin`);

  // A wrong password shows the server's message and keeps the page.
  await page.getByLabel('Email').fill(dora.email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const alertText = await alert.innerText();
  check(/wrong email address or password/i.test(alertText), `a wrong password shows ${JSON.stringify(alertText)}`);
  check(page.url() === `${base}/t/${workspace.slug}/signin`, `a wrong password moved to ${page.url()}`);
  await screenshot(page, 'signin-wrong-password.png');
  log('a wrong password shows the error');

  // The right one opens the dashboard, as a person: no API token anywhere.
  await page.getByLabel('Password').fill(dora.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.getByRole('heading', { level: 1, name: workspace.name }).waitFor();
  const signedInAs = await page.locator('.whoami').innerText();
  check(signedInAs.includes(dora.email), `the dashboard shows ${JSON.stringify(signedInAs)} as signed in`);
  const stored = await page.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + document.cookie);
  check(!stored.includes('mandate_'), 'the session cookie is readable from the page (not HttpOnly)');
  await screenshot(page, 'signin-dashboard.png');
  log('signed in with email and password; the dashboard works on the session cookie');

  // My account lists this session.
  await openAccount(page, base);
  const firstRows = await sessionRows(page, 1);
  check(firstRows[0]?.current, 'the only session is not marked "This device"');
  const firstSessionID = firstRows[0].id;
  await screenshot(page, 'signin-account.png');
  log(`My account shows session ${firstSessionID} as this device`);

  // A second browser signs in and signs the first one out.
  const second = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const other = await second.newPage();
  watchPage(other, pageErrors);
  await signIn(other, base, dora.email, dora.password);
  await other.waitForURL(`${base}/w/${workspace.slug}`);
  await openAccount(other, base);
  const bothRows = await sessionRows(other, 2);
  const firstRow = bothRows.find((r) => r.id === firstSessionID);
  check(firstRow && !firstRow.current, `the second browser does not list session ${firstSessionID} as another device`);
  check(bothRows.filter((r) => r.current).length === 1, 'not exactly one session is marked "This device"');
  await screenshot(other, 'signin-two-sessions.png');
  await other.locator(`tbody tr[data-session-id="${firstSessionID}"]`).getByRole('button', { name: /^Sign out/ }).click();
  await other.getByRole('status').filter({ hasText: /^Signed out / }).waitFor();
  await sessionRows(other, 1);
  await screenshot(other, 'signin-revoked.png');
  log(`the second browser signed out session ${firstSessionID}`);

  // The first browser is signed out: a reload lands on the sign-in page.
  await page.reload();
  await page.waitForURL(`${base}/t/${workspace.slug}/signin`);
  await page.getByLabel('Password').waitFor();
  await screenshot(page, 'signin-signed-out.png');
  log('the first browser, reloaded, is on the sign-in page');

  // Forgot the password: the reset link arrives over SMTP.
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/forgot-password`);
  await page.getByLabel('Email').fill(dora.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('status').filter({ hasText: /we sent it a link to reset the password/i }).waitFor();
  await screenshot(page, 'signin-reset-requested.png');
  const resetMail = await mail.waitFor(dora.email, /^Reset your .* password$/i);
  check(resetMail.from.includes('id@acme.test'), `the reset email is from ${JSON.stringify(resetMail.from)}`);
  const resetLink = /https?:\/\/\S+\/reset-password\?token=[^\s"<>]+/.exec(resetMail.text)?.[0];
  check(resetLink, `no reset link in the email: ${JSON.stringify(resetMail.text.slice(0, 400))}`);
  check(
    resetLink.startsWith(`${base}/t/${workspace.slug}/reset-password?token=`),
    `the reset link ${resetLink.split('?')[0]} is not on ${base}/t/${workspace.slug}`,
  );
  log(`reset email received: "${resetMail.subject}"`);

  // The link's page sets a new password; every session of the account ends.
  await page.goto(resetLink);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  const newPasswordField = page.getByLabel('New password', { exact: true });
  check((await newPasswordField.getAttribute('autocomplete')) === 'new-password', 'the reset password field is not new-password');
  await newPasswordField.fill(resetPassword);
  await screenshot(page, 'signin-reset-form.png');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('status').filter({ hasText: /Your password is changed/ }).waitFor();
  await screenshot(page, 'signin-reset-done.png');
  log('a new password was set from the reset link');
  await other.reload();
  await other.waitForURL(`${base}/t/${workspace.slug}/signin`);
  log('the reset signed the second browser out');

  // The old password is refused with the error shown; the new one signs in.
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/t/${workspace.slug}/signin`);
  await expectRefused(page, base, dora.email, dora.password, 'the password from before the reset');
  await screenshot(page, 'signin-reset-old-refused.png');
  await page.getByLabel('Password').fill(resetPassword);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.getByRole('heading', { level: 1, name: workspace.name }).waitFor();
  log('after the reset, the old password is refused and the new one signs in');

  // The second browser, sent to the sign-in page from My account, signs in
  // again and comes back there: the change below has another session to end.
  await other.getByLabel('Email').fill(dora.email);
  await other.getByLabel('Password').fill(resetPassword);
  await other.getByRole('button', { name: 'Sign in', exact: true }).click();
  await other.waitForURL(`${base}/t/${workspace.slug}/account`);
  await sessionRows(other, 2);

  // My account: change the password (current + new).
  await openAccount(page, base);
  const beforeChange = await sessionRows(page, 2);
  const beforeID = beforeChange.find((r) => r.current)?.id;
  check(beforeID, 'no session is marked "This device" before the change');
  const changeForm = page.getByRole('form', { name: 'Change password' });
  await changeForm.getByLabel('Current password', { exact: true }).fill(resetPassword);
  await changeForm.getByLabel('New password', { exact: true }).fill(changedPassword);
  await changeForm.getByRole('button', { name: 'Change password' }).click();
  await changeForm.getByRole('status').filter({ hasText: /Password changed/ }).waitFor();
  check(page.url() === `${base}/t/${workspace.slug}/account`, `changing the password moved to ${page.url()}`);
  await screenshot(page, 'signin-change-password.png');
  const changedMail = await mail.waitFor(dora.email, /password was changed/i);
  log(`password changed in My account; email received: "${changedMail.subject}"`);

  // Still signed in, without a reload: the dashboard's GraphQL (new cookie and
  // CSRF token) works, and the sessions list reloads with only this one, under a new id.
  await page.getByRole('link', { name: '← Dashboard' }).click();
  await page.waitForURL(`${base}/w/${workspace.slug}`);
  await page.getByRole('heading', { level: 1, name: workspace.name }).waitFor();
  await openAccount(page, base);
  const afterChange = await sessionRows(page, 1);
  check(afterChange[0]?.current, 'after the change, the only session is not marked "This device"');
  check(afterChange[0].id !== beforeID, `the change kept the session id ${beforeID}`);
  log(`still signed in after the change: session ${beforeID} became ${afterChange[0].id}, the other one ended`);
  await other.reload();
  await other.waitForURL(`${base}/t/${workspace.slug}/signin`);
  log('the change signed the second browser out');

  // A fresh browser: the previous password fails, the new one works.
  const third = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const fresh = await third.newPage();
  watchPage(fresh, pageErrors);
  await fresh.goto(`${base}/t/${workspace.slug}/signin`);
  await expectRefused(fresh, base, dora.email, resetPassword, 'the password from before the change');
  await fresh.getByLabel('Password').fill(changedPassword);
  await fresh.getByRole('button', { name: 'Sign in', exact: true }).click();
  await fresh.waitForURL(`${base}/w/${workspace.slug}`);
  await fresh.getByRole('heading', { level: 1, name: workspace.name }).waitFor();
  await third.close();
  log('a fresh browser: the previous password is refused, the new one signs in');

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
}

run(main, overallTimeoutMs);
