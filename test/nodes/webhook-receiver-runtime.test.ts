/**
 * The receiver inside a real Node-RED with default settings (httpAdminRoot and httpNodeRoot both "/"),
 * where the editor's body parser would otherwise consume the raw body before our route runs.
 */
import assert from 'node:assert';
import { signStandardWebhook } from '../../src/webhook/signature';
import { Collector, RedProcess, until as untilMs } from '../helpers/red-process';

const SECRET = 'whsec_' + Buffer.from('runtime-test-secret-32-bytes!!!!').toString('base64');

describe('agentless-webhook-receiver in a real Node-RED (default settings)', function () {
  this.timeout(60_000);
  const red = new RedProcess('wh-red-');
  const collector = new Collector();
  const collected: { out: number; sms: { id: string; status: string } }[] = collector.items;
  const req = (_port: number, method: string, p: string, body: string, headers: Record<string, string> = {}) => red.req(method, p, body, headers);
  const startRed = () => red.start();
  const stopRed = () => red.stop();
  let port = 0;

  function event(eventId: string, messageId: string, status: string) {
    const body = JSON.stringify({ type: 'message.status', id: eventId, data: { id: messageId, conversationId: 'c', to: '+12025550123', from: '+12025550100', status, normalizedReceipts: [], timestamp: '2024-01-01T00:00:00Z' } });
    const ts = Math.floor(Date.now() / 1000);
    return { body, headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, eventId, ts, body) } };
  }
  // Deploys answer before the flows have started: wait until the route answers (415 to a probe).
  async function routeReady() {
    for (let i = 0; i < 100; i++) {
      if ((await req(port, 'POST', '/hooks/sms', 'probe', { 'content-type': 'text/plain' })).status === 415) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('route never became ready');
  }
  const until = (cond: () => boolean) => untilMs(cond, 2000);

  before(async () => {
    const collectorUrl = await collector.start();
    await startRed();
    port = red.port;
    const reporters = [1, 2, 3, 4].map((n) => ({
      id: `f${n}`, z: 't', type: 'function', name: `out ${n}`,
      func: `msg.payload = { out: ${n}, sms: msg.sms }; msg.headers = {'content-type':'application/json'}; return msg;`,
      outputs: 1, wires: [['post']],
    }));
    const flows = [
      { id: 't', type: 'tab', label: 'rx' },
      { id: 'rx', z: 't', type: 'agentless-webhook-receiver', path: '/hooks/sms', auth: 'standard-webhooks', credentials: { secret: SECRET }, wires: [['f1'], ['f2'], ['f3'], ['f4']] },
      ...reporters,
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
    ];
    await red.deploy(flows);
    await routeReady();
  });

  after(async () => {
    await red.dispose();
    await collector.stop();
  });

  it('verifies over the raw body although the editor app parses JSON first, and emits once', async () => {
    const e = event('rt-1', 'm-1', 'delivery-success');
    for (let i = 0; i < 3; i++) assert.strictEqual((await req(port, 'POST', '/hooks/sms', e.body, e.headers)).status, 200);
    const forged = { ...e.headers, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') };
    assert.strictEqual((await req(port, 'POST', '/hooks/sms', e.body, forged)).status, 401);
    await until(() => collected.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(collected.map((c) => [c.out, c.sms.id, c.sms.status]), [[1, 'm-1', 'delivered']]);
  });

  it('answers 413 to a 2 MB body, and the sender gets the answer', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    // Closing the connection with the body unread would reset it: about half of these would then see
    // EPIPE instead of the 413, which tells a platform not to retry.
    for (let i = 0; i < 20; i++) {
      const r = await req(port, 'POST', '/hooks/sms', big, { 'content-type': 'application/json' }).catch((e: NodeJS.ErrnoException) => ({ status: -1, body: e.code ?? '' }));
      assert.deepStrictEqual([i, r.status], [i, 413], r.body);
    }
  });

  it('does not stack routes on redeploy and keeps dedupe across a restart', async () => {
    // full redeploy of the same flows
    const flows = JSON.parse((await req(port, 'GET', '/flows', '', { 'Node-RED-API-Version': 'v1' })).body);
    assert.strictEqual((await req(port, 'POST', '/flows', JSON.stringify(flows), { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' })).status, 204);
    await routeReady();
    collected.length = 0;
    const e2 = event('rt-2', 'm-2', 'delivery-failed');
    assert.strictEqual((await req(port, 'POST', '/hooks/sms', e2.body, e2.headers)).status, 200);
    await until(() => collected.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(collected.map((c) => [c.out, c.sms.id]), [[2, 'm-2']], 'emitted once after redeploy');

    await stopRed();
    await startRed();
    await routeReady();
    collected.length = 0;
    const again = event('rt-1', 'm-1', 'delivery-success');
    const r = await req(port, 'POST', '/hooks/sms', again.body, again.headers);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(JSON.parse(r.body).status, 'duplicate');
    const e3 = event('rt-3', 'm-3', 'sent');
    assert.strictEqual((await req(port, 'POST', '/hooks/sms', e3.body, e3.headers)).status, 200);
    await until(() => collected.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(collected.map((c) => [c.out, c.sms.id]), [[3, 'm-3']]);
  });
});
