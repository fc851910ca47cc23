#!/usr/bin/env node
// What a user's `npm install` of this package costs: packs the package, installs the tarball with
// `--omit=dev` into an empty scratch project with an empty npm cache (as on a new machine), and prints
// time, size on disk, package count and the packages that run install scripts.
// Usage: node scripts/install-footprint.js [--tarball=<packed .tgz>] [extra packages, e.g. bullmq@6 ioredis@6]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const tarball = (args.find((a) => a.startsWith('--tarball=')) || '').slice('--tarball='.length);
const extra = args.filter((a) => !a.startsWith('--tarball='));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'install-footprint-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function du(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += du(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

try {
  const packed = tarball ? path.resolve(tarball) : path.join(scratch, execFileSync(npm, ['pack', '--silent', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop());
  const project = path.join(scratch, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'footprint', version: '1.0.0', private: true }));
  const t0 = process.hrtime.bigint();
  execFileSync(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', '--cache', path.join(scratch, 'cache'), packed, ...extra], {
    cwd: project,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8'));
  const installed = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/'));
  const scripted = installed.filter(([, v]) => v.hasInstallScript).map(([k]) => k.replace(/^.*node_modules\//, ''));
  const result = {
    extra,
    seconds: Math.round(seconds * 10) / 10,
    packages: installed.length,
    megabytes: Math.round((du(path.join(project, 'node_modules')) / 1e6) * 10) / 10,
    installScripts: scripted,
  };
  console.log(JSON.stringify(result));
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
