// Runs every browser test, one after the other (each starts its own server
// and browser), and sums them up: "3 passed, 0 failed". Each test prints
// its own result line first.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tests = [
  'dashboard.e2e.mjs', 'signin.e2e.mjs', 'applications.e2e.mjs', 'agents.e2e.mjs', 'passkeys.e2e.mjs', 'mfa.e2e.mjs', 'social.e2e.mjs',
  'approvals.e2e.mjs',
];

let passed = 0;
let failed = 0;
for (const test of tests) {
  console.log(`\n== ${test}`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, test)], { stdio: 'inherit' });
    child.once('exit', (status, signal) => resolve(signal ? 1 : (status ?? 1)));
  });
  if (code === 0) passed++;
  else failed++;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
