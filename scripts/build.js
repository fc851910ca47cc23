#!/usr/bin/env node
// Build: compile src/ with tsc into nodes/, then copy what Node-RED loads next to each node .js
// (editor HTML, locales, icons). Node-RED only looks beside the .js file, so the copies are required.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'nodes');
const nodeDir = path.join(out, 'nodes');

fs.rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
  cwd: root,
});

function copyDir(from, to, filter) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst, filter);
    else if (!filter || filter(entry.name)) fs.copyFileSync(src, dst);
  }
}

fs.mkdirSync(nodeDir, { recursive: true });
copyDir(path.join(root, 'src', 'editor'), nodeDir, (n) => n.endsWith('.html'));
copyDir(path.join(root, 'src', 'locales'), path.join(nodeDir, 'locales'));
copyDir(path.join(root, 'icons'), path.join(nodeDir, 'icons'));
// Static files served by the sandbox (phone page) live beside its compiled code.
copyDir(path.join(root, 'src', 'sandbox', 'static'), path.join(out, 'sandbox', 'static'));
