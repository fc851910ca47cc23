// The flow `npm start` deploys on first start: example 01 (inject -> send-sms -> debug) with its sandbox
// on a fixed port, plus a webhook receiver that the sandbox posts signed delivery receipts to, so a
// newcomer sees a message sent and then tracked to delivery. Credentials are passed inline (the
// runtime encrypts them); the receipt secret is generated per checkout.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const RECEIPTS_PATH = '/agentless-demo/receipts';
/** The example's "accepted" debug node (output 1 of send-sms). */
const ACCEPTED_DEBUG = 'a1e7c0de00000005';
const ACCEPTED_SUMMARY = '"msg.sms.id = " & sms.id & " (to " & sms.to & ", " & sms.status & ")"';

function readExample(prefix) {
  const dir = path.resolve(__dirname, '..', 'examples');
  const file = fs.readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  return file ? JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) : [];
}

function buildDemoFlow({ editorPort, sandboxPort }) {
  const flow = readExample('01 ');
  const tab = flow.find((n) => n.type === 'tab');
  const secret = 'whsec_' + crypto.randomBytes(32).toString('base64');
  for (const n of flow) {
    if (n.id === ACCEPTED_DEBUG) {
      // The debug sidebar cuts a msg.sms object short before its id: show the id first, in one line.
      n.targetType = 'jsonata';
      n.complete = ACCEPTED_SUMMARY;
    }
    if (n.type === 'agentless-account') {
      n.sandboxPort = String(sandboxPort);
      n.sandboxCallbackUrl = `http://127.0.0.1:${editorPort}${RECEIPTS_PATH}`;
      n.credentials = { sandboxCallbackSecret: secret };
    }
  }
  const receiptDebug = (id, name, y) => ({
    id,
    type: 'debug',
    z: tab.id,
    name,
    active: true,
    tosidebar: true,
    console: false,
    tostatus: true,
    complete: 'sms',
    targetType: 'msg',
    statusVal: 'sms.status',
    statusType: 'msg',
    x: 660,
    y,
    wires: [],
  });
  flow.push(
    {
      id: 'a1e7c0de00000020',
      type: 'comment',
      z: tab.id,
      name: 'Delivery receipts from the sandbox',
      info: 'The sandbox account posts a signed Standard Webhooks event for every status change to this receiver (see the account\'s "Receipts to" field). Output 1: delivered, 2: failed, 3: other statuses (queued, sent), 4: invalid events.',
      x: 200,
      y: 240,
      wires: [],
    },
    {
      id: 'a1e7c0de00000021',
      type: 'agentless-webhook-receiver',
      z: tab.id,
      name: 'SMS receipts',
      path: RECEIPTS_PATH,
      auth: 'standard-webhooks',
      credentials: { secret },
      x: 190,
      y: 300,
      wires: [['a1e7c0de00000022'], ['a1e7c0de00000023'], ['a1e7c0de00000024'], ['a1e7c0de00000025']],
    },
    receiptDebug('a1e7c0de00000022', 'receipt: delivered', 280),
    receiptDebug('a1e7c0de00000023', 'receipt: failed', 320),
    receiptDebug('a1e7c0de00000024', 'receipt: other status', 360),
    receiptDebug('a1e7c0de00000025', 'receipt: invalid', 400),
  );
  return flow;
}

module.exports = { buildDemoFlow, RECEIPTS_PATH, ACCEPTED_DEBUG };
