// What every browser test needs: a deadline, cleanups that always run (the
// server is always stopped), the mandate CLI, a server on a free port, the
// system chromium, and screenshots in <repo>/artifacts/. A test calls
// run(main); it prints "1 passed, 0 failed" or "0 passed, 1 failed" as its
// last line and exits 0 or 1.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = resolve(here, '..', '..', 'artifacts');

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

const started = Date.now();
const cleanups = [];
let finished = false;
let serverLog = '';

export function log(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[${seconds}s] ${message}`);
}

/** Runs undo when the test ends, pass or fail, last registered first. */
export function onCleanup(undo) {
  cleanups.push(undo);
}

async function cleanup() {
  while (cleanups.length) {
    const undo = cleanups.pop();
    try {
      await undo();
    } catch (err) {
      console.error(`cleanup: ${err?.message ?? err}`);
    }
  }
}

async function finish(err) {
  if (finished) return;
  finished = true;
  if (err) {
    console.error(`\nFAIL: ${err instanceof Failure ? err.message : (err?.stack ?? err)}`);
    if (serverLog) console.error(`\n--- last server output ---\n${serverLog.slice(-4000)}`);
  }
  await cleanup();
  console.log(err ? '0 passed, 1 failed' : '1 passed, 0 failed');
  process.exit(err ? 1 : 0);
}

/** Runs main within timeoutMs, then cleans up and reports. */
export function run(main, timeoutMs) {
  const deadline = setTimeout(() => void finish(new Failure(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  deadline.unref();
  process.on('SIGINT', () => void finish(new Failure('interrupted')));
  process.on('SIGTERM', () => void finish(new Failure('terminated')));
  main().then(
    () => finish(),
    (err) => finish(err),
  );
}

export function requireBinary() {
  const bin = process.env.MANDATE_BIN;
  check(bin, 'MANDATE_BIN is not set: build the server (cd .. && go build -o /tmp/mandate ./cmd/mandate) and set MANDATE_BIN=/tmp/mandate');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Failure(`MANDATE_BIN=${bin} is not an executable file`);
  }
  return resolve(bin);
}

/** Runs a mandate CLI command with --json and returns the object it printed. */
export function runCLI(bin, env, args) {
  return new Promise((resolvePromise, reject) => {
    execFile(bin, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      const shown = args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ');
      if (err) {
        reject(new Failure(`mandate ${shown} failed (${err.code ?? err.signal}): ${stderr.trim() || stdout.trim()}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(stdout));
      } catch {
        reject(new Failure(`mandate ${shown} did not print one JSON object: ${stdout.slice(0, 300)}`));
      }
    });
  });
}

export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePromise(port));
    });
  });
}

/** Starts `mandate serve --addr addr`; it is stopped (SIGTERM, then SIGKILL) at cleanup. */
export function startServer(bin, env, addr) {
  const child = spawn(bin, ['serve', '--addr', addr], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk) => {
    serverLog = (serverLog + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise((resolvePromise) => child.once('exit', (code, signal) => resolvePromise({ code, signal })));
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 5_000))]);
    if (!stopped) {
      console.error('server did not stop within 5 s of SIGTERM; killing it');
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, exited };
}

/** Waits for /healthz, then checks that the binary embeds the dashboard. */
export async function waitForServer(base, server) {
  let exitedEarly = null;
  server.exited.then((status) => {
    exitedEarly = status;
  });
  let healthy = false;
  for (let attempt = 0; attempt < 60 && !healthy; attempt++) {
    if (exitedEarly) throw new Failure(`mandate serve exited early (code ${exitedEarly.code}, signal ${exitedEarly.signal})`);
    try {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) });
      healthy = response.status === 200;
    } catch {
      // not listening yet
    }
    if (!healthy) await new Promise((r) => setTimeout(r, 250));
  }
  check(healthy, `GET ${base}/healthz did not answer 200 within 15 s`);
  const index = await (await fetch(`${base}/signin`)).text();
  check(
    index.includes('id="root"'),
    'the server does not serve the dashboard: run `npm run build` in frontend/ before `go build`, then set MANDATE_BIN again',
  );
}

/** POSTs a GraphQL document with a bearer token; fails on any error. */
export async function graphql(base, slug, token, query, variables = {}) {
  const response = await fetch(`${base}/t/${slug}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = await response.json();
  check(!body.errors?.length, `GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Debian's chromium (CHROMIUM overrides the path), headless; closed at cleanup. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  check(existsSync(executablePath), `no chromium at ${executablePath}: apt-get install -y chromium, or set CHROMIUM`);
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    timeout: 30_000,
  });
  onCleanup(() => browser.close());
  return browser;
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, name);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}
