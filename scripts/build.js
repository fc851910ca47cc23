#!/usr/bin/env node
// Build: compile src/ with tsc into nodes/lib/, then lay nodes/ out the way Node-RED packages usually are:
// each node's .js and .html side by side at the top with locales/ and icons/ beside them (Node-RED only
// looks beside the .js file), and the compiled library beneath in lib/. The top-level .js of a node is a
// one-line hand-over to its compiled entry file in lib/nodes/.
// Last, a build stamp (a hash of src/) lets the node tests refuse to run against a stale build.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { srcHash, STAMP_FILE } = require('./build-stamp');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'nodes');
const lib = path.join(out, 'lib');

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

// Every agentless-*.ts in src/nodes is a node (or the sidebar plugin) Node-RED loads from package.json.
for (const file of fs.readdirSync(path.join(root, 'src', 'nodes'))) {
  if (!/^agentless-.*\.ts$/.test(file)) continue;
  const name = file.replace(/\.ts$/, '');
  fs.writeFileSync(path.join(out, `${name}.js`), `'use strict';\nmodule.exports = require('./lib/nodes/${name}.js');\n`);
}
copyDir(path.join(root, 'src', 'editor'), out, (n) => n.endsWith('.html'));
copyDir(path.join(root, 'src', 'locales'), path.join(out, 'locales'));
copyDir(path.join(root, 'icons'), path.join(out, 'icons'));
// Static files served by the sandbox (phone page) live beside its compiled code.
copyDir(path.join(root, 'src', 'sandbox', 'static'), path.join(lib, 'sandbox', 'static'));
fs.writeFileSync(path.join(out, STAMP_FILE), JSON.stringify({ src: srcHash(root) }) + '\n');
