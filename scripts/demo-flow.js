// The flow `npm start` deploys on first start: example 01 with its sandbox on a fixed port, so the
// sandbox phone page has a stable address. Credentials are passed inline: the runtime encrypts them.
'use strict';
const fs = require('fs');
const path = require('path');

function readExample(prefix) {
  const dir = path.resolve(__dirname, '..', 'examples');
  const file = fs.readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  return file ? JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) : [];
}

function buildDemoFlow({ sandboxPort }) {
  const flow = readExample('01 ');
  for (const n of flow) {
    if (n.type === 'agentless-account') n.sandboxPort = String(sandboxPort);
  }
  return flow;
}

module.exports = { buildDemoFlow };
