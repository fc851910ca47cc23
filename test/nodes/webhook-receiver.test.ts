import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { signStandardWebhook } from '../../src/webhook/signature';
// Initialises the test helper with the chosen Node-RED release.
import '../helpers/flow';
import { builtNode } from '../helpers/built';

// The helper ships no types; it is required untyped so this file declares no global module shim.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper');
const receiverModule = builtNode('agentless-webhook-receiver');
const SECRET = 'whsec_' + Buffer.from('node-test-secret-32-bytes-long!!').toString('base64');

// RED.httpNode is a bare express app in the helper: capture it to talk to it with supertest.
let httpNode: { _router: { stack: unknown[] } } & Parameters<typeof request>[0];
function wrapped(RED: { httpNode: typeof httpNode }) {
  httpNode = RED.httpNode;
  return receiverModule(RED);
}

function flow(extra: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name: '', path: '/sms/status', auth: 'standard-webhooks', wires: [['h1'], ['h2'], ['h3'], ['h4']], ...extra },
    { id: 'h1', z: 'tab', type: 'helper' },
    { id: 'h2', z: 'tab', type: 'helper' },
    { id: 'h3', z: 'tab', type: 'helper' },
    { id: 'h4', z: 'tab', type: 'helper' },
  ];
}
const creds = { rx: { secret: SECRET } };

function event(eventId: string, messageId: string, status: string) {
  const body = JSON.stringify({ type: 'message.status', id: eventId, data: { id: messageId, conversationId: 'c', to: '+12025550123', from: '+12025550100', status, normalizedReceipts: [], timestamp: '2024-01-01T00:00:00Z' } });
  const ts = Math.floor(Date.now() / 1000);
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, eventId, ts, body) } };
}
function post(p: string, e: { body: string; headers: Record<string, string> }) {
  return request(httpNode).post(p).set(e.headers).send(e.body);
}
function collect(ids: string[]) {
  const got: [string, Record<string, unknown>][] = [];
  for (const id of ids) helper.getNode(id).on('input', (msg: Record<string, unknown>) => got.push([id, msg]));
  return got;
}
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('agentless-webhook-receiver node', function () {
  let userDir: string;
  before(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wh-node-'));
    helper.settings({ userDir });
  });
  after(() => {
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('loads with credentials and shows it is listening', async () => {
    await helper.load(wrapped, flow(), creds);
    const n = helper.getNode('rx');
    assert.strictEqual(n.credentials.secret, SECRET);
  });

  it('sends each status to its output once, with msg.sms normalized', async () => {
    await helper.load(wrapped, flow(), creds);
    const got = collect(['h1', 'h2', 'h3', 'h4']);
    const d = event('e-d', 'm1', 'delivery-success');
    for (let i = 0; i < 3; i++) await post('/sms/status', d).expect(200);
    await post('/sms/status', event('e-f', 'm2', 'delivery-failed')).expect(200);
    await post('/sms/status', event('e-s', 'm3', 'sent')).expect(200);
    await post('/sms/status', event('e-late', 'm1', 'sent')).expect(200);
    await request(httpNode).post('/sms/status').set({ 'content-type': 'application/json' }).send('{}').expect(401);
    await settle();
    assert.deepStrictEqual(got.map(([id, m]) => [id, (m.sms as { id: string; status: string }).id, (m.sms as { status: string }).status]), [
      ['h1', 'm1', 'delivered'],
      ['h2', 'm2', 'failed'],
      ['h3', 'm3', 'sent'],
    ]);
    assert.strictEqual((got[1]![1].error as { code: string }).code, 'delivery_failed');
    assert.strictEqual(got[0]![1].payload, d.body);
  });

  it('sends an authenticated but unusable event to output 4', async () => {
    await helper.load(wrapped, flow({ auth: 'none' }), {});
    const got = collect(['h4']);
    await request(httpNode).post('/sms/status').set('content-type', 'application/json').send('{"nothing":"here"}').expect(422);
    await settle();
    assert.strictEqual(got.length, 1);
    assert.strictEqual((got[0]![1].error as { message: string }).message, 'unrecognized_payload');
  });

  it('refuses a second receiver on the same path, clearly', async () => {
    const f = flow();
    f.push({ id: 'rx2', z: 'tab', type: 'agentless-webhook-receiver', name: '', path: 'SMS/status/', auth: 'none', wires: [[], [], [], []] } as never);
    await helper.load(wrapped, f, creds);
    const rx2 = helper.getNode('rx2') as unknown as { error: { calledWithMatch: (s: string) => boolean } };
    assert.ok(rx2.error.calledWithMatch('agentless-webhook-receiver.errors.path-in-use'));
    // the first keeps the path: unsigned requests are still refused
    await request(httpNode).post('/sms/status').set('content-type', 'application/json').send('{}').expect(401);
  });

  it('does not add routes on redeploy and remembers events across a restart', async () => {
    await helper.load(wrapped, flow(), creds);
    const layers = httpNode._router.stack.length;
    const e = event('e-restart', 'm-r', 'delivery-success');
    await post('/sms/status', e).expect(200);
    // redeploy the same flow: same app, no new layer
    await helper.setFlows(flow({ name: 'renamed' }), 'full', creds as never);
    assert.strictEqual(httpNode._router.stack.length, layers);
    let got = collect(['h1']);
    await post('/sms/status', e).expect(200);
    await settle();
    assert.strictEqual(got.length, 0, 'duplicate after redeploy not emitted');

    // a fresh runtime on the same user directory
    await helper.unload();
    await helper.load(wrapped, flow(), creds);
    got = collect(['h1']);
    const r = await post('/sms/status', e).expect(200);
    assert.strictEqual(r.body.status, 'duplicate');
    await post('/sms/status', event('e-new', 'm-n', 'delivery-success')).expect(200);
    await settle();
    assert.deepStrictEqual(got.map(([, m]) => (m.sms as { id: string }).id), ['m-n']);
  });

  it('stops receiving when the node is removed', async () => {
    await helper.load(wrapped, flow(), creds);
    await helper.setFlows([{ id: 'tab', type: 'tab' }] as never, 'full');
    await post('/sms/status', event('e-x', 'm-x', 'sent')).expect(404);
  });
});
