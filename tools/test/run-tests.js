#!/usr/bin/env node
// Runs every test: builds dist/ (end-to-end suites spawn the real apps from it), checks that
// PostgreSQL and Redis answer on 127.0.0.1, then runs jest (unit + e2e projects) and prints
// one closing line "tests: N passed, N failed".
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(2000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function main() {
  const build = spawnSync(process.execPath, [path.join(root, 'tools/build.js')], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) process.exit(build.status ?? 1);

  for (const [name, port] of [
    ['PostgreSQL', 5432],
    ['Redis', 6379],
  ]) {
    if (!(await reachable(port))) {
      process.stderr.write(
        `${name} is not reachable on 127.0.0.1:${port}; start it (bash tools/ci/ensure-services.sh) and run again.\n`,
      );
      process.exit(1);
    }
  }

  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lanbridge-jest-')), 'results.json');
  const args = [require.resolve('jest/bin/jest'), '--ci', '--maxWorkers=2', '--json', `--outputFile=${out}`];
  const extra = process.argv.slice(2);
  const run = spawnSync(process.execPath, [...args, ...extra], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let passed = 0;
  let failed = 0;
  try {
    const r = JSON.parse(fs.readFileSync(out, 'utf8'));
    passed = r.numPassedTests;
    failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  } catch {
    failed = failed || 1;
  }
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
  process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
