#!/usr/bin/env node
// npm run scorecard: the Flow Library scorecard (node-red-dev validate) on the built package, with
// the catalogue request answered locally (see catalogue-stub.js). node-red-dev exits 0 even when a
// rule fails, so read its -o JSON and fail unless every rule passed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));

// validate reads each node's .html next to its built .js: the package must be built first.
const missing = Object.values(pkg['node-red'].nodes || {}).filter((js) => !fs.existsSync(path.join(root, js.replace(/\.js$/, '.html'))));
if (missing.length) {
  console.error(`scorecard: build first (npm run build); missing ${missing.join(', ')}`);
  process.exit(2);
}

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scorecard-')), 'scorecard.json');
const cli = require.resolve('node-red-dev/bin/run');
const r = spawnSync(process.execPath, [cli, 'validate', '-p', root, '-o', out], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS || ''} --require ${path.join(__dirname, 'catalogue-stub.js')}`.trim() },
  timeout: 180_000,
});
process.stdout.write(r.stdout || '');
process.stderr.write(r.stderr || '');
if (!fs.existsSync(out)) {
  console.error(`scorecard: node-red-dev wrote no scorecard (exit ${r.status}${r.error ? ', ' + r.error.message : ''})`);
  process.exit(2);
}
const card = JSON.parse(fs.readFileSync(out, 'utf8'));

// The rules node-red-dev 0.1.6 checks (P02 is disabled upstream). A rule missing from the card
// means its check never ran, which is a failure too.
const RULES = {
  P01: 'license declared',
  P03: 'repository or bugs link',
  P04: 'scoped or valid name',
  P05: 'node-red keyword',
  P06: 'node-red.version covers current Node-RED',
  P07: 'engines.node compatible with Node-RED',
  P08: 'no similarly named package',
  N01: 'node types unique in the catalogue',
  N02: 'every non-config node used in an example',
  D01: 'at most 6 dependencies',
  D02: 'no incompatible packages in the tree',
  D03: 'dependencies at their latest versions',
};
let failed = 0;
console.log(`\nScorecard for ${card.package ? card.package.name + '@' + card.package.version : pkg.name}`);
for (const [rule, what] of Object.entries(RULES)) {
  const entry = card[rule];
  const ok = !!entry && entry.test === true;
  if (!ok) failed++;
  const extra = entry
    ? Object.entries(entry)
        .filter(([k]) => k !== 'test')
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ')
    : 'not checked';
  console.log(`${ok ? 'PASS' : 'FAIL'} ${rule} ${what}${extra ? '  (' + extra + ')' : ''}`);
}
// A node whose .html the validator cannot parse is silently left out of N01/N02: count it as a failure.
for (const line of (r.stdout || '').split('\n')) {
  if (/Unable to parse/.test(line)) {
    failed++;
    console.log(`FAIL N00 editor html parses: ${line.trim()}`);
  }
}
// P05 is recorded as passing upstream even when the keyword is missing: check it here as well.
if (!(pkg.keywords || []).includes('node-red')) {
  failed++;
  console.log('FAIL P05 package.json keywords lack "node-red"');
}
console.log(failed ? `\n${failed} rule(s) failed` : '\nEvery rule passed');
process.exit(failed ? 1 : 0);
