#!/usr/bin/env node
// Runs every test: the type check, then vitest; afterwards prints one line "N passed, N failed"
// from vitest's own counts and exits with vitest's status.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
const tscWeb = tsc.status === 0 ? spawnSync('npx', ['tsc', '-p', 'web/tsconfig.json'], { stdio: 'inherit' }) : tsc;
if (tsc.status !== 0 || tscWeb.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(tsc.status ?? 1);
}
fs.mkdirSync('test-output', { recursive: true });
const report = 'test-output/vitest.json';
fs.rmSync(report, { force: true });
const run = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let passed = 0;
let failed = 0;
try {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
} catch {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status ?? 1);
