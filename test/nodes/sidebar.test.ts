/**
 * The sidebar plugin in a real Node-RED: the watch endpoint answers with every deployed sender's
 * numbers, snapshots arrive over the editor comms while watched, and they follow real sends.
 */
import assert from 'node:assert';
import WebSocket from 'ws';
import { RedProcess, sleep, until } from '../helpers/red-process';

describe('sidebar plugin (live sender numbers)', function () {
  this.timeout(60_000);
  const red = new RedProcess('agentless-sidebar-');

  before(async function () {
    await red.start();
    await red.deploy([
      { id: 't', type: 'tab', label: 'sidebar' },
      { id: 'acct', type: 'agentless-account', name: 'Sandbox', provider: 'sandbox', region: 'mypurecloud.com', apiBaseUrl: '', authBaseUrl: '', requestsPerMinute: '', sandboxPort: '' },
      { id: 'sender', type: 'agentless-sender', name: 'Main number', account: 'acct', fromAddress: '+12025550100', mode: 'agentless', ratePerSecond: 50, burst: 50, queueLimit: 100 },
      { id: 'in', z: 't', type: 'http in', url: '/send', method: 'post', wires: [['unpack', 'resp']] },
      { id: 'unpack', z: 't', type: 'function', outputs: 1, func: 'msg.to = msg.payload.to; msg.payload = "sidebar test"; return msg;', wires: [['send']] },
      { id: 'resp', z: 't', type: 'http response', statusCode: '202', wires: [] },
      { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [[], []] },
    ]);
  });
  after(() => red.dispose());

  async function watch(): Promise<any> {
    const r = await red.req('POST', '/agentless-sms/sidebar/watch');
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body);
  }

  it('answers a watch with the deployed senders and publishes changing counts over comms', async function () {
    let snap = await watch();
    for (let i = 0; i < 50 && !snap.senders.length; i++) {
      await sleep(100);
      snap = await watch();
    }
    assert.equal(snap.senders.length, 1);
    const first = snap.senders[0];
    assert.equal(first.id, 'sender');
    assert.equal(first.name, 'Main number');
    assert.equal(first.ratePerSecond, 50);
    assert.equal(first.sent, 0);
    assert.equal(first.failed, 0);

    const ws = new WebSocket(`ws://127.0.0.1:${red.port}/comms`);
    const got: any[] = [];
    ws.on('message', (raw) => {
      for (const m of [].concat(JSON.parse(String(raw)))) if ((m as any).topic === 'agentless-sms/senders') got.push((m as any).data);
    });
    await new Promise((res) => ws.once('open', res));
    ws.send(JSON.stringify({ subscribe: 'agentless-sms/senders' }));

    // Two good numbers, and one the sandbox refuses (an active conversation): 2 sent, 1 failed.
    for (const to of ['+12025550101', '+12025550102', '+12025550197']) {
      const r = await red.req('POST', '/send', JSON.stringify({ to }), { 'content-type': 'application/json' });
      assert.equal(r.status, 202);
    }
    const seen = await until(() => got.some((d) => d.senders[0]?.sent === 2 && d.senders[0]?.failed === 1), 15_000);
    assert.ok(seen, `comms snapshots: ${JSON.stringify(got.map((d) => d.senders[0]))}`);
    const last = got[got.length - 1].senders[0];
    assert.equal(last.queued, 0);
    assert.equal(last.circuit, 'closed');
    // Measured over the samples of the last 10 s (fewer right after watching began).
    assert.ok(last.rate > 0 && last.rate <= last.ratePerSecond, `rate ${last.rate}`);
    assert.ok(Array.isArray(last.history) && last.history.length >= 1);
    // The watch answer agrees with what was published.
    const now = (await watch()).senders[0];
    assert.equal(now.sent, 2);
    assert.equal(now.failed, 1);
    ws.close();
  });
});
