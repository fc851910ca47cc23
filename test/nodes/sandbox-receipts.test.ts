/**
 * The in-process sandbox of a sandbox account posts signed delivery receipts (Standard Webhooks) to the
 * account's callback URL; a webhook receiver node with the same secret, in the same Node-RED runtime,
 * verifies them and routes them: the path a newcomer sees in the demo flow, over real HTTP.
 */
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import type { AddressInfo } from 'net';
import should from 'should';
import { AccountRuntime } from '../../src/providers/account';
import { unlimitedBudget } from '../../src/providers/types';
import { systemClock } from '../../src/util/clock';
import { Capture, helper, sleep } from '../helpers/flow';
import { builtNode } from '../helpers/built';

const receiverModule = builtNode('agentless-webhook-receiver');
const SECRET = 'whsec_' + Buffer.from('sandbox-receipts-secret-32-byte!').toString('base64');

// The helper's RED.httpNode is a bare express app: capture it and serve it on a loopback port.
let httpNode: http.RequestListener;
function wrapped(RED: { httpNode: http.RequestListener }) {
  httpNode = RED.httpNode;
  return receiverModule(RED);
}

describe('sandbox delivery receipts to a webhook receiver node', function () {
  let userDir: string;
  let web: http.Server;
  let callbackBase: string;
  let account: AccountRuntime | null = null;
  const warnings: string[] = [];
  /** HTTP status of every answer the receiver gave the sandbox. */
  const answers: number[] = [];

  before(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'receipts-'));
    helper.settings({ userDir });
  });
  after(() => {
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await helper.load(wrapped, [
      { id: 'tab', type: 'tab' },
      { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name: '', path: '/sms/status', auth: 'standard-webhooks', wires: [['h1'], ['h2'], ['h3'], ['h4']] },
      { id: 'h1', z: 'tab', type: 'helper' },
      { id: 'h2', z: 'tab', type: 'helper' },
      { id: 'h3', z: 'tab', type: 'helper' },
      { id: 'h4', z: 'tab', type: 'helper' },
    ], { rx: { secret: SECRET } });
    answers.length = 0;
    web = http.createServer((req, res) => {
      res.on('finish', () => answers.push(res.statusCode));
      httpNode(req, res);
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    callbackBase = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await account?.close();
    account = null;
    warnings.length = 0;
    web.closeAllConnections?.();
    await new Promise((r) => web.close(r));
    await helper.unload();
  });

  function sandboxAccount(callbackUrl: string, secret?: string) {
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    account = new AccountRuntime(
      { provider: 'sandbox', region: 'mypurecloud.com', sandboxPort: 0, sandboxCallbackUrl: callbackUrl },
      { sandboxCallbackSecret: secret },
      unlimitedBudget,
      { clock: systemClock, logger },
    );
    return account;
  }

  /** Short status progression, so receipts follow within tens of milliseconds. */
  async function quick(acct: AccountRuntime) {
    const res = await fetch(`${await acct.sandboxUrl()}/sandbox/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queuedToSentMs: 20, sentToFinalMs: 20 }) });
    res.status.should.equal(200);
  }

  const outputs = () => ({ delivered: new Capture(helper.getNode('h1')), failed: new Capture(helper.getNode('h2')), other: new Capture(helper.getNode('h3')), invalid: new Capture(helper.getNode('h4')) });

  it('delivers a signed "delivered" receipt to output 1 after a send, and a failed one to output 2', async function () {
    const out = outputs();
    const acct = sandboxAccount(`${callbackBase}/sms/status`, SECRET);
    const provider = await acct.provider();
    await quick(acct);
    const ok = await provider.send({ to: '+12025550123', from: '+12025550100', text: 'hello' });
    const bad = await provider.send({ to: '+12025550199', from: '+12025550100', text: 'hello' });
    const [d] = await out.delivered.wait(1, 5000);
    d.sms.should.containDeep({ id: ok.id, status: 'delivered' });
    const [f] = await out.failed.wait(1, 5000);
    f.sms.should.containDeep({ id: bad.id, status: 'failed' });
    // queued and sent of both messages arrive as "other"; nothing was refused as invalid.
    await out.other.wait(4, 5000);
    out.invalid.msgs.should.be.empty();
    answers.should.matchEach(200);
    warnings.should.be.empty();
  });

  it('posts nothing the receiver accepts when the secrets differ', async function () {
    const out = outputs();
    const other = 'whsec_' + Buffer.from('another-secret-entirely-32-byte!').toString('base64');
    const acct = sandboxAccount(`${callbackBase}/sms/status`, other);
    const provider = await acct.provider();
    await quick(acct);
    await provider.send({ to: '+12025550123', from: '+12025550100', text: 'hello' });
    // queued, sent, delivery-success: three posts, each refused.
    for (let i = 0; i < 100 && answers.length < 3; i++) await sleep(50);
    answers.should.eql([401, 401, 401]);
    (out.delivered.msgs.length + out.failed.msgs.length + out.other.msgs.length + out.invalid.msgs.length).should.equal(0);
  });

  it('turns receipts off with a warning when the URL is unusable or the secret is missing', async function () {
    for (const [u, s] of [['not a url', SECRET], ['ftp://127.0.0.1/x', SECRET], [`${callbackBase}/sms/status`, undefined]] as const) {
      const acct = sandboxAccount(u, s);
      await acct.provider();
      warnings.should.have.length(1);
      should(warnings[0]).match(/receipts are off/);
      warnings.length = 0;
      await acct.close();
    }
  });
});
