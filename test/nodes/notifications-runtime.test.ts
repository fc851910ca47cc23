/**
 * The webhook receiver in a real Node-RED runtime, following the account's Genesys notification channel
 * (source "genesys-notifications") of a Genesys-compatible server on loopback (the standalone sandbox,
 * which implements channels, subscriptions and the websocket), and output 5 "reply" over HTTP:
 * - queue-mode statuses arrive over the websocket, each once; replies leave on output 5 with inReplyTo;
 * - a dropped websocket is reconnected and nothing is lost or emitted twice (the gap is asked by polling);
 * - the channel is renewed before its (short) lifetime ends, without a gap;
 * - get-status waiting for a final status is answered by the pushed event, before its first poll;
 * - a flow saved with four outputs keeps its wires.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import request from 'supertest';
import { signStandardWebhook } from '../../src/webhook/signature';
import { ALL_NODES, Capture, helper, sendFlow, sleep, type Msg, useLoopbackSandbox } from '../helpers/flow';
import { builtNode } from '../helpers/built';
import { sandboxRefreshToken } from '../helpers/sandbox-sign-in';

const receiverModule = builtNode('agentless-webhook-receiver');
const getStatusNode = builtNode('agentless-get-status');
const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };
const QUEUE = '5f1d2c3b-0a9e-4b8c-9d7e-6f5a4b3c2d1e';
const SECRET = 'whsec_' + Buffer.from('notify-test-secret-32-bytes!!!!!').toString('base64');
const OUTS = ['rxDelivered', 'rxFailed', 'rxOther', 'rxInvalid', 'rxReply'];

let httpNode: Parameters<typeof request>[0];
function receiver(RED: { httpNode: typeof httpNode }) {
  httpNode = RED.httpNode;
  return receiverModule(RED);
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('webhook receiver: Genesys notification channel and replies in a runtime', function () {
  this.timeout(30_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 150, sentToFinalMs: 300 }, { userDir: true });
  // Queue mode acts for a signed-in user (grant authorization-code; each test signs a sandbox user in).
  // Agentless sending (output 5 over HTTP) takes client credentials.
  const agentlessAccount = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });
  const signedIn = async () => ({ ...CREDS, refreshToken: await sandboxRefreshToken(sandbox.url, CREDS) });
  const account = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, grant: 'authorization-code' });

  function flow(rx: Record<string, unknown> = {}, extra: Msg[] = []): Msg[] {
    return [
      ...sendFlow(account(), { mode: 'queue', queueId: QUEUE }),
      { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name: '', source: 'genesys-notifications', queueId: QUEUE, account: 'acct', path: '', wires: OUTS.map((o) => [o]), ...rx },
      ...OUTS.map((id) => ({ id, z: 'tab', type: 'helper' })),
      ...extra,
    ];
  }
  async function load(rx: Record<string, unknown> = {}, extra: Msg[] = [], nodes: unknown[] = []) {
    await helper.load([...ALL_NODES, receiver, ...nodes], flow(rx, extra), { acct: await signedIn() });
    const cap = (id: string) => new Capture(helper.getNode(id));
    return {
      send: helper.getNode('send'),
      ok: cap('ok'),
      fail: cap('fail'),
      rx: helper.getNode('rx'),
      rxDelivered: cap('rxDelivered'),
      rxFailed: cap('rxFailed'),
      rxOther: cap('rxOther'),
      rxInvalid: cap('rxInvalid'),
      rxReply: cap('rxReply'),
    };
  }
  const connected = () => [...sandbox.server.notifications.channels.values()].some((c) => c.ws !== null && c.topics.has(`v2.routing.queues.${QUEUE}.conversations.messages`));
  const ids = (c: Capture) => c.msgs.map((m) => m.sms.id);

  it('reports queue-mode statuses from the websocket once each, and replies on output 5 with inReplyTo', async function () {
    const n = await load();
    const statuses: string[] = [];
    n.rx.on('call:status', (c: { args: [{ text: string }] }) => statuses.push(c.args[0].text));
    await until('channel connected', connected);
    await until('status in words', () => statuses.includes('agentless-webhook-receiver.status.channel-connected'));

    n.send.receive({ to: '+12025550123', payload: 'Reply C to confirm', sms: { metadata: { booking: 'b-1' } } });
    n.send.receive({ to: '+12025550199', payload: 'This one fails' });
    const accepted = await n.ok.wait(2);
    const [good, bad] = [accepted.find((m) => m.sms.to === '+12025550123')!, accepted.find((m) => m.sms.to === '+12025550199')!];
    const [delivered] = await n.rxDelivered.wait(1);
    const [failed] = await n.rxFailed.wait(1);
    delivered.sms.should.containDeep({ id: good.sms.id, status: 'delivered', providerStatus: 'delivery-success', to: '+12025550123', from: '+12025550100', provider: 'genesys-cloud' });
    delivered.webhook.should.containDeep({ source: 'genesys-notifications', topicName: `v2.routing.queues.${QUEUE}.conversations.messages` });
    failed.sms.should.containDeep({ id: bad.sms.id, status: 'failed' });
    failed.error.should.containDeep({ code: 'delivery_failed', message: 'The carrier rejected the message' });
    await sleep(300);
    // Every snapshot lists every message: still each status only once.
    ids(n.rxDelivered).should.eql([good.sms.id]);
    ids(n.rxFailed).should.eql([bad.sms.id]);
    ids(n.rxOther).sort().should.eql([bad.sms.id, good.sms.id].sort()); // `sent` of each
    n.rxInvalid.msgs.should.be.empty();

    // The person texts back on the queue conversation: the event lists the reply by id, the node reads its text.
    sandbox.server.reply('+12025550123', 'C');
    const [reply] = await n.rxReply.wait(1);
    reply.payload.should.equal('C');
    reply.sms.should.containDeep({ direction: 'inbound', from: '+12025550123', to: '+12025550100', text: 'C', provider: 'genesys-cloud', conversationId: good.sms.conversationId });
    reply.sms.inReplyTo.should.containDeep({ id: good.sms.id, conversationId: good.sms.conversationId, to: '+12025550123', metadata: { booking: 'b-1' } });

    // STOP on the channel updates the opt-out list (before the reply is emitted) and blocks the next send.
    sandbox.server.reply('+12025550199', 'STOP');
    const replies = await n.rxReply.wait(2);
    replies[1].sms.should.containDeep({ keyword: 'STOP', optedOut: true, inReplyTo: { id: bad.sms.id } });
    n.send.receive({ to: '+12025550199', payload: 'promo' });
    const [refused] = await n.fail.wait(1);
    refused.error.code.should.equal('opted_out');
    await sleep(200);
    n.rxReply.msgs.length.should.equal(2);
  });

  it('ignores statuses of messages this account did not send (another sender on the same queue)', async function () {
    const n = await load();
    await until('channel connected', connected);
    // A conversation on the queue that this runtime never sent: published by the sandbox all the same.
    const conv = { id: 'c-x', queueId: QUEUE, toAddress: '+12025550150', fromAddress: '+12025550100', agentParticipantId: 'a', customerParticipantId: 'b', communicationId: 'k', messageIds: ['m-foreign'] };
    sandbox.server.state.messages.length.should.equal(0);
    const m = sandbox.server.state.addInbound('+12025550100', '+12025550150', 'agent text', 'c-x');
    m.status = 'delivery-success';
    conv.messageIds = [m.id];
    sandbox.server.notifications.publishConversation(conv);
    n.send.receive({ to: '+12025550123', payload: 'ours' });
    await n.rxDelivered.wait(1);
    await sleep(200);
    ids(n.rxDelivered).should.not.containEql(m.id);
    n.rxInvalid.msgs.should.be.empty();
  });

  it('a dropped websocket is reconnected; every message ends exactly once (the gap is asked by polling)', async function () {
    const n = await load();
    await until('channel connected', connected);
    const numbers = ['+12025550110', '+12025550111', '+12025550112', '+12025550113', '+12025550114', '+12025550115'];
    for (const to of numbers.slice(0, 3)) n.send.receive({ to, payload: 'first wave' });
    await n.ok.wait(3);
    // Drop while those are on their way: their receipts may come while no socket is open.
    sandbox.server.control({ notifications: { drop: true } });
    await sleep(50);
    for (const to of numbers.slice(3)) n.send.receive({ to, payload: 'second wave' });
    await n.ok.wait(6);
    sandbox.server.control({ notifications: { drop: true } });
    await until('all delivered', () => n.rxDelivered.msgs.length >= 6, 20_000);
    await sleep(1500);
    const sentIds = n.ok.msgs.map((m) => m.sms.id).sort();
    ids(n.rxDelivered).sort().should.eql(sentIds, 'each delivered exactly once');
    new Set(ids(n.rxOther)).size.should.equal(ids(n.rxOther).length, 'no status twice');
    n.rxInvalid.msgs.should.be.empty();
    // It reconnected to a channel (the websocket is open again).
    connected().should.be.true();
  });

  it('renews the channel before its end and keeps reporting (short lifetime configured in the sandbox)', async function () {
    sandbox.server.control({ notifications: { channelTtlSeconds: 2 } });
    const n = await load();
    await until('channel connected', connected);
    const first = [...sandbox.server.notifications.channels.keys()][0];
    await until('renewed', () => connected() && !(sandbox.server.notifications.channels.get(first)?.ws ?? null), 6000);
    n.send.receive({ to: '+12025550123', payload: 'after renewal' });
    const [d] = await n.rxDelivered.wait(1, 8000);
    d.sms.status.should.equal('delivered');
    const created = sandbox.server.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/notifications/channels').length;
    created.should.be.aboveOrEqual(2);
    // Re-subscribed each time: one PUT per channel at least.
    sandbox.server.requests.filter((r) => r.method === 'PUT' && /subscriptions$/.test(r.path)).length.should.be.aboveOrEqual(created);
  });

  it('get-status waiting for a final status is answered by the pushed event, before its first poll', async function () {
    const n = await load({}, [
      { id: 'status', type: 'agentless-get-status', z: 'tab', name: '', account: 'acct', messageId: 'sms.id', messageIdType: 'msg', waitForFinal: true, pollInterval: 60, timeout: 120, wires: [['gsDelivered'], ['gsFailed'], ['gsPending']] },
      { id: 'gsDelivered', z: 'tab', type: 'helper' },
      { id: 'gsFailed', z: 'tab', type: 'helper' },
      { id: 'gsPending', z: 'tab', type: 'helper' },
    ], [getStatusNode]);
    await until('channel connected', connected);
    const gs = new Capture(helper.getNode('gsDelivered'));
    n.send.receive({ to: '+12025550123', payload: 'wait for me' });
    const [acc] = await n.ok.wait(1);
    helper.getNode('status').receive(acc);
    const [done] = await gs.wait(1, 8000);
    done.sms.should.containDeep({ id: acc.sms.id, status: 'delivered' });
    done.sms.polls.should.equal(0);
    sandbox.server.requests.filter((r) => /\/details$/.test(r.path)).length.should.equal(0);
  });

  it('needs an account and a queue id (node status says so); a queue id cannot change the topic', async function () {
    for (const queueId of ['', 'a.b', 'q*', '../x']) {
      await helper.load([...ALL_NODES, receiver], flow({ queueId }), { acct: await signedIn() });
      const rx = helper.getNode('rx');
      rx.status.should.be.calledWithMatch({ fill: 'red', text: 'agentless-webhook-receiver.status.no-queue' });
      await sleep(50);
      connected().should.be.false();
      sandbox.server.notifications.channels.size.should.equal(0);
      await helper.unload();
    }
  });

  describe('output 5 over HTTP', function () {
    function post(eventId: string, body: string) {
      const ts = Math.floor(Date.now() / 1000);
      return request(httpNode)
        .post('/sms/in')
        .set({ 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, eventId, ts, body) })
        .send(body);
    }
    const httpRx = (wires: string[][]) => ({ id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name: '', source: 'http', path: '/sms/in', auth: 'standard-webhooks', account: 'acct', wires });

    it('replies (MessageData inbound, sandbox inbound, flat from/to/text) leave on output 5 with the text as payload and inReplyTo', async function () {
      const flowJson = [...sendFlow(agentlessAccount()), httpRx(OUTS.map((o) => [o])), ...OUTS.map((id) => ({ id, z: 'tab', type: 'helper' }))];
      await helper.load([...ALL_NODES, receiver], flowJson, { acct: await signedIn(), rx: { secret: SECRET } });
      const reply = new Capture(helper.getNode('rxReply'));
      const other = new Capture(helper.getNode('rxOther'));
      helper.getNode('send').receive({ to: '+12025550123', payload: 'Reply C to confirm', sms: { metadata: { order: 'o-7' } } });
      const [acc] = await new Capture(helper.getNode('ok')).wait(1);
      // The send is remembered durably next to the opt-out list.
      await until('sent log', () => fs.existsSync(path.join(sandbox.userDir, 'agentless-sms', 'accounts', 'acct', 'sent.jsonl')));

      (await post('e-1', JSON.stringify({ id: 'in-1', direction: 'inbound', fromAddress: '+12025550123', toAddress: '+12025550100', textBody: 'C', status: 'received', conversationId: 'cv-1', timestamp: new Date().toISOString() }))).status.should.equal(200);
      (await post('e-2', JSON.stringify({ type: 'message.inbound', id: 'e-2', data: { id: 'in-2', from: '+1 202 555 0123', to: '+12025550100', text: 'yes' } }))).status.should.equal(200);
      (await post('e-3', JSON.stringify({ from: '+12025550188', to: '+12025550100', text: 'who is this?' }))).status.should.equal(200);
      (await post('e-4', JSON.stringify({ eventBody: { direction: 'inbound', fromAddress: '+12025550123', toAddress: '+12025550100', textBody: 'D' } }))).status.should.equal(200);
      const got = await reply.wait(4);
      got.map((m) => m.payload).should.eql(['C', 'yes', 'who is this?', 'D']);
      got[2].sms.should.containDeep({ direction: 'inbound', from: '+12025550188', to: '+12025550100', text: 'who is this?' });
      got[3].sms.inReplyTo.id.should.equal(acc.sms.id);
      got[0].sms.should.containDeep({ direction: 'inbound', id: 'in-1', conversationId: 'cv-1', from: '+12025550123', to: '+12025550100', text: 'C', provider: 'genesys-cloud' });
      got[0].sms.inReplyTo.should.containDeep({ id: acc.sms.id, metadata: { order: 'o-7' } });
      got[1].sms.inReplyTo.id.should.equal(acc.sms.id);
      should(got[2].sms.inReplyTo).be.undefined();
      other.msgs.filter((m) => m.sms.direction === 'inbound').should.be.empty();
    });

    it('inReplyTo survives a restart of the runtime (the sent log is durable)', async function () {
      const flowJson = [...sendFlow(agentlessAccount()), httpRx(OUTS.map((o) => [o])), ...OUTS.map((id) => ({ id, z: 'tab', type: 'helper' }))];
      await helper.load([...ALL_NODES, receiver], flowJson, { acct: await signedIn(), rx: { secret: SECRET } });
      helper.getNode('send').receive({ to: '+12025550123', payload: 'before restart', sms: { metadata: { k: 1 } } });
      const [acc] = await new Capture(helper.getNode('ok')).wait(1);
      await until('sent log', () => fs.existsSync(path.join(sandbox.userDir, 'agentless-sms', 'accounts', 'acct', 'sent.jsonl')) && fs.readFileSync(path.join(sandbox.userDir, 'agentless-sms', 'accounts', 'acct', 'sent.jsonl'), 'utf8').includes(acc.sms.id));
      await helper.unload();
      await helper.load([...ALL_NODES, receiver], flowJson, { acct: await signedIn(), rx: { secret: SECRET } });
      const reply = new Capture(helper.getNode('rxReply'));
      (await post('e-9', JSON.stringify({ type: 'message.inbound', id: 'e-9', data: { from: '+12025550123', to: '+12025550100', text: 'ok' } }))).status.should.equal(200);
      const [r] = await reply.wait(1);
      r.sms.inReplyTo.should.containDeep({ id: acc.sms.id, metadata: { k: 1 } });
    });

    it('a flow saved with four outputs keeps its wires: statuses still reach them, a reply goes nowhere and nothing breaks', async function () {
      const four = OUTS.slice(0, 4);
      const flowJson = [...sendFlow(agentlessAccount()), httpRx(four.map((o) => [o])), ...four.map((id) => ({ id, z: 'tab', type: 'helper' }))];
      await helper.load([...ALL_NODES, receiver], flowJson, { acct: await signedIn(), rx: { secret: SECRET } });
      const delivered = new Capture(helper.getNode('rxDelivered'));
      const other = new Capture(helper.getNode('rxOther'));
      const invalid = new Capture(helper.getNode('rxInvalid'));
      (await post('r-1', JSON.stringify({ type: 'message.inbound', id: 'r-1', data: { from: '+12025550123', to: '+12025550100', text: 'hello' } }))).status.should.equal(200);
      (await post('s-1', JSON.stringify({ type: 'message.status', id: 's-1', data: { id: 'm-1', status: 'delivery-success' } }))).status.should.equal(200);
      (await post('x-1', JSON.stringify({ topicName: 'v2.users.u.presence', eventBody: {} }))).status.should.equal(422);
      const [d] = await delivered.wait(1);
      d.sms.id.should.equal('m-1');
      const [inv] = await invalid.wait(1);
      inv.error.message.should.equal('unsupported_topic');
      await sleep(100);
      other.msgs.should.be.empty();
    });
  });
});
