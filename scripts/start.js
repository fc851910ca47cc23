#!/usr/bin/env node
// `npm start`: Node-RED (the devDependency) on 127.0.0.1:1880 with this package loaded, a sandbox account, and the demo
// flow deployed on first start (example 01, plus delivery receipts posted back by the sandbox).
// The user directory is .demo/ (git-ignored); delete it to start over.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { spawn, execFileSync } = require('child_process');
const { buildDemoFlow } = require('./demo-flow');

const root = path.resolve(__dirname, '..');
const userDir = process.env.DEMO_DIR ? path.resolve(process.env.DEMO_DIR) : path.join(root, '.demo');
const port = Number(process.env.PORT || 1880);
const sandboxPort = Number(process.env.SANDBOX_PORT || 8787);

if (!fs.existsSync(path.join(root, 'nodes', 'agentless-send-sms.js'))) {
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit', cwd: root });
}

fs.mkdirSync(userDir, { recursive: true });
const settingsFile = path.join(userDir, 'settings.js');
// Written on every start so an older demo directory gets today's settings; only the key of the
// credential file is kept (a per-checkout key, never committed: .demo/ is ignored).
let credentialSecret = '';
try {
  credentialSecret = require(settingsFile).credentialSecret || '';
} catch {
  /* first start */
}
const settings = {
  uiHost: '127.0.0.1',
  uiPort: port,
  nodesDir: root,
  flowFile: 'flows.json',
  credentialSecret: credentialSecret || crypto.randomBytes(24).toString('hex'),
  // No update checks, and no welcome tour: its modal would cover the demo flow on first sight.
  telemetry: { enabled: false },
  editorTheme: { tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
fs.writeFileSync(settingsFile, `// Written by npm start on every start (edits are replaced).\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`);

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers: { 'content-length': Buffer.byteLength(body || ''), ...headers } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode, body: s }));
    });
    req.on('error', reject);
    req.end(body || '');
  });
}

const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-s', settingsFile, '-p', String(port)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));

(async () => {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await request('GET', '/settings')).status === 200) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const current = await request('GET', '/flows', '', { 'Node-RED-API-Version': 'v1' });
  const flows = current.status === 200 ? JSON.parse(current.body) : [];
  if (Array.isArray(flows) && flows.length === 0) {
    const demo = buildDemoFlow({ editorPort: port, sandboxPort });
    const res = await request('POST', '/flows', JSON.stringify(demo), { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' });
    if (res.status !== 204 && res.status !== 200) console.error(`Could not deploy the demo flow: ${res.status} ${res.body}`);
  }
  console.log('');
  console.log('  Agentless SMS demo is running');
  console.log(`  Node-RED editor:  http://127.0.0.1:${port}/   (click the inject button "Send a test SMS")`);
  console.log(`  Sandbox phone:    http://127.0.0.1:${sandboxPort}/sandbox/phone`);
  console.log('  Stop with Ctrl+C. Delete .demo/ to start from the demo flow again.');
  console.log('');
})().catch((err) => console.error(err));
