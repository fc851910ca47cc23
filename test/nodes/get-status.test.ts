/**
 * get-status in a real Node-RED runtime against a Genesys-compatible server on loopback (the standalone
 * sandbox with short status progression), wired directly behind send-sms.
 */
import should from 'should';
import { ALL_NODES, Capture, helper, sleep, type Msg, useLoopbackSandbox } from '../helpers/flow';
import { builtNode } from '../helpers/built';

const getStatusNode = builtNode('agentless-get-status');
const CREDS = { clientId: 'client-1', clientSecret: 's3cret-value' };

describe('agentless-get-status node', function () {
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 30, sentToFinalMs: 30 });

  const detailReads = () => sandbox.server.requests.filter((r) => /\/details$/.test(r.path));

  /** inject -> send-sms -> get-status -> three captures; send-sms failures are captured too. */
  function flow(status: Record<string, unknown> = {}): Msg[] {
    return [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'acct', type: 'agentless-account', name: 'Test account', provider: 'genesys-cloud', region: 'mypurecloud.com', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, requestsPerMinute: '', sandboxPort: '' },
      { id: 'sender', type: 'agentless-sender', name: 'Test sender', account: 'acct', fromAddress: '+12025550100', channelUuid: '', mode: 'agentless', queueId: '', ratePerSecond: 100, burst: 100, queueLimit: 1000, defaultCountry: '' },
      { id: 'send', type: 'agentless-send-sms', z: 'tab', name: '', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['status'], ['sendFail']] },
      {
        id: 'status', type: 'agentless-get-status', z: 'tab', name: '', account: 'acct', messageId: 'sms.id', messageIdType: 'msg',
        waitForFinal: true, pollInterval: 0.05, timeout: 5, wires: [['delivered'], ['failed'], ['pending']], ...status,
      },
      { id: 'sendFail', type: 'helper', z: 'tab' },
      { id: 'delivered', type: 'helper', z: 'tab' },
      { id: 'failed', type: 'helper', z: 'tab' },
      { id: 'pending', type: 'helper', z: 'tab' },
    ];
  }

  async function load(status: Record<string, unknown> = {}) {
    await helper.load([...ALL_NODES, getStatusNode], flow(status), { acct: CREDS });
    return {
      send: helper.getNode('send'),
      status: helper.getNode('status'),
      sendFail: new Capture(helper.getNode('sendFail')),
      delivered: new Capture(helper.getNode('delivered')),
      failed: new Capture(helper.getNode('failed')),
      pending: new Capture(helper.getNode('pending')),
    };
  }

  it('waits for a delivered message and routes it to output 1, keeping msg.sms from send-sms', async function () {
    const n = await load();
    n.send.receive({ to: '+12025550123', payload: 'Your code is 1234', sms: { metadata: { crm: 'c-9' } } });
    const [msg] = await n.delivered.wait(1);
    const stored = sandbox.server.state.messages[0];
    msg.sms.should.containDeep({ id: stored.id, conversationId: stored.conversationId, to: '+12025550123', from: '+12025550100', status: 'delivered', providerStatus: 'delivery-success', metadata: { crm: 'c-9' } });
    msg.sms.polls.should.be.aboveOrEqual(1);
    should(msg.error).be.undefined();
    await sleep(100);
    n.failed.msgs.should.be.empty();
    n.pending.msgs.should.be.empty();
    // It stopped polling once the status was final.
    const reads = detailReads().length;
    await sleep(200);
    detailReads().length.should.equal(reads);
  });

  it('routes a failed delivery to output 2 with delivery_failed and the platform reasons', async function () {
    const n = await load();
    n.send.receive({ to: '+12025550199', payload: 'hi' });
    const [msg] = await n.failed.wait(1);
    msg.sms.should.containDeep({ status: 'failed', providerStatus: 'delivery-failed' });
    msg.error.should.containDeep({ code: 'delivery_failed', retryable: false });
    JSON.stringify(msg.error.details.reasons).should.containEql('carrier_rejected');
    JSON.stringify(msg.sms.reasons).should.containEql('carrier_rejected');
    n.delivered.msgs.should.be.empty();
    n.pending.msgs.should.be.empty();
  });

  it('gives up at the timeout and routes to output 3 with the last status', async function () {
    const n = await load({ timeout: 0.4 });
    n.send.receive({ to: '+12025550198', payload: 'hi' }); // sandbox rule: never a final receipt
    const [msg] = await n.pending.wait(1);
    // It polled (the last status it saw is the one it reports) and then gave up, not at once.
    msg.sms.polls.should.be.above(0);
    n.delivered.msgs.should.be.empty();
    n.failed.msgs.should.be.empty();
    msg.sms.status.should.equal('sent');
    msg.sms.providerStatus.should.equal('sent');
    should(msg.error).be.undefined();
    detailReads().length.should.be.within(2, 8);
    n.delivered.msgs.should.be.empty();
    n.failed.msgs.should.be.empty();
  });

  it('without waitForFinal reads once and routes a fresh message to output 3', async function () {
    const n = await load({ waitForFinal: false });
    n.send.receive({ to: '+12025550123', payload: 'hi' });
    const [msg] = await n.pending.wait(1);
    msg.sms.status.should.equal('queued');
    await sleep(150);
    detailReads().should.have.length(1);
    n.delivered.msgs.should.be.empty();
  });

  it('without waitForFinal routes an already delivered message to output 1', async function () {
    const n = await load({ waitForFinal: false, messageId: 'payload' });
    n.send.receive({ to: '+12025550123', payload: 'hi' });
    await sleep(150); // past the sandbox's 60 ms progression
    const id = sandbox.server.state.messages[0].id;
    n.status.receive({ payload: id });
    // (send-sms also hands its own msg on, whose payload "hi" is no known id: that one ends on output 2.)
    const [msg] = await n.delivered.wait(1);
    msg.sms.should.containDeep({ id, status: 'delivered', providerStatus: 'delivery-success' });
  });

  it('keeps waiting through a 429 on a status read and still routes the delivery', async function () {
    const n = await load();
    sandbox.server.control({ faults: [{ status: 429, count: 1, retryAfter: 1, path: '/details$' }] });
    n.send.receive({ to: '+12025550123', payload: 'hi' });
    const [msg] = await n.delivered.wait(1, 5000);
    msg.sms.status.should.equal('delivered');
    const reads = detailReads();
    reads[0].status.should.equal(429);
    // Nothing was polled again before Retry-After (1 s) had passed.
    (reads[1].at - reads[0].at).should.be.aboveOrEqual(950);
    n.failed.msgs.should.be.empty();
  });

  it('answers an unknown id with not_found on output 2, waiting or not', async function () {
    for (const waitForFinal of [false, true]) {
      const n = await load({ waitForFinal, messageId: 'payload' });
      sandbox.server.reset();
      n.status.receive({ payload: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', sms: { status: 'queued' } });
      const [msg] = await n.failed.wait(1);
      msg.error.should.containDeep({ code: 'not_found', httpStatus: 404 });
      msg.sms.status.should.equal('queued');
      detailReads().should.have.length(1);
      await helper.unload();
    }
  });

  it('refuses ids of the wrong type or shape with invalid_message_id and never reaches the platform', async function () {
    const n = await load({ messageId: 'payload' });
    const bad = [undefined, null, {}, ['x'], true, '', '   ', '../../oauth/token', 'a b', 'x'.repeat(500)];
    for (const payload of bad) n.status.receive({ payload });
    const msgs = await n.failed.wait(bad.length);
    msgs.forEach((m) => m.error.code.should.equal('invalid_message_id'));
    sandbox.server.requests.should.be.empty();
    n.delivered.msgs.should.be.empty();
    n.pending.msgs.should.be.empty();
  });

  it('shares one poller across many concurrent waits and routes each once', async function () {
    const n = await load();
    const tos = Array.from({ length: 30 }, (_, i) => `+120255501${String(i + 10).padStart(2, '0')}`);
    for (const to of tos) n.send.receive({ to, payload: 'hi' });
    await n.delivered.wait(30, 10_000);
    n.delivered.msgs.map((m) => m.sms.to).sort().should.eql([...tos].sort());
    await sleep(100);
    (n.failed.msgs.length + n.pending.msgs.length + n.sendFail.msgs.length).should.equal(0);
  });

  it('finishes waiting messages promptly when the flow is stopped, sending nothing', async function () {
    const n = await load({ timeout: 600 });
    n.send.receive({ to: '+12025550198', payload: 'hi' });
    await sleep(200);
    detailReads().length.should.be.above(0);
    // The wait has 600 s left: the unload resolving within the test's timeout shows it does not wait for it.
    await helper.unload();
    const reads = detailReads().length;
    await sleep(300);
    detailReads().length.should.equal(reads);
    (n.delivered.msgs.length + n.failed.msgs.length + n.pending.msgs.length).should.equal(0);
  });
});
