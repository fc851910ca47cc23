/**
 * `msg.sms.provider` on every output, in a real runtime: also for messages refused before any request
 * (invalid input, config problems, opt-out commands) and for get-status answers that never read a status.
 */
import request from 'supertest';
import { builtNode } from '../helpers/built';
import { ALL_NODES, Capture, helper, loadSendFlow, sendFlow, useLoopbackSandbox, type Msg } from '../helpers/flow';

const getStatusNode = builtNode('agentless-get-status');

describe('msg.sms.provider on every output', function () {
  this.timeout(20_000);
  const sandbox = useLoopbackSandbox({}, { userDir: true });

  it('send-sms: a CCAI message with an invalid number is refused before any request and names its provider', async function () {
    const { send, fail } = await loadSendFlow(sendFlow({ provider: 'ccai-platform', apiBaseUrl: sandbox.url }), { acct: { username: 'u', password: 'p' } });
    send.receive({ to: '+1555', payload: 'hello' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('invalid_number');
    msg.sms.provider.should.equal('ccai-platform');
    msg.sms.status.should.equal('failed');
    sandbox.server.requests.should.be.empty();
  });

  it('send-sms: empty text, a bad msg.sms option and a string msg.sms all name the provider', async function () {
    const { send, fail } = await loadSendFlow(sendFlow({ provider: 'avaamo', apiBaseUrl: sandbox.url }, { channelUuid: 'c-1' }));
    send.receive({ to: '+12025550123', payload: 42 });
    send.receive({ to: '+12025550123', payload: 'x', sms: { nonsense: true } });
    send.receive({ to: '+12025550123', payload: 'x', sms: 'not an object' });
    const msgs = await fail.wait(3);
    for (const m of msgs) m.sms.provider.should.equal('avaamo');
    msgs[2].sms.should.not.have.property('0');
  });

  it('send-sms: an opt-out command (output 1, nothing sent) names the provider', async function () {
    const { send, ok } = await loadSendFlow(sendFlow({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url }), { acct: { clientId: 'a', clientSecret: 'b' } });
    send.receive({ to: '+12025550123', sms: { optOut: true } });
    const [msg] = await ok.wait(1);
    msg.sms.provider.should.equal('genesys-cloud');
    msg.sms.should.containDeep({ command: 'opt-out', optedOut: true });
    sandbox.server.state.messages.should.be.empty();
  });

  it('get-status: an invalid id and a platform without a status API both name the provider', async function () {
    const flow: Msg[] = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'acct', type: 'agentless-account', name: 'a', provider: 'ccai-platform', region: '', apiBaseUrl: sandbox.url, authBaseUrl: '', requestsPerMinute: '', sandboxPort: '' },
      { id: 'status', type: 'agentless-get-status', z: 'tab', account: 'acct', messageId: 'sms.id', messageIdType: 'msg', waitForFinal: false, wires: [['d'], ['f'], ['p']] },
      { id: 'd', type: 'helper', z: 'tab' },
      { id: 'f', type: 'helper', z: 'tab' },
      { id: 'p', type: 'helper', z: 'tab' },
    ];
    await helper.load([...ALL_NODES, getStatusNode], flow, { acct: { username: 'u', password: 'p' } });
    const failed = new Capture(helper.getNode('f'));
    helper.getNode('status').receive({ sms: { id: { nested: true } } });
    helper.getNode('status').receive({ sms: { id: 'chat-1' } });
    const [bad, unsupported] = await failed.wait(2);
    bad.error.code.should.equal('invalid_message_id');
    bad.sms.provider.should.equal('ccai-platform');
    unsupported.error.code.should.equal('status_unsupported');
    unsupported.sms.provider.should.equal('ccai-platform');
  });
});

describe('msg.sms.provider on the webhook receiver outputs', function () {
  this.timeout(20_000);
  useLoopbackSandbox({}, { userDir: true });
  const receiverModule = builtNode('agentless-webhook-receiver');
  let httpNode: Parameters<typeof request>[0];
  const receiver = (RED: { httpNode: typeof httpNode }) => {
    httpNode = RED.httpNode;
    return receiverModule(RED);
  };

  it('an invalid event (output 4) names the account platform, or unknown without an account', async function () {
    const flow: Msg[] = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'acct', type: 'agentless-account', name: 'a', provider: 'ccai-platform', region: '', apiBaseUrl: 'http://127.0.0.1:1', authBaseUrl: '', requestsPerMinute: '', sandboxPort: '' },
      { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', path: '/in/a', auth: 'none', account: 'acct', wires: [[], [], [], ['bad']] },
      { id: 'rx2', z: 'tab', type: 'agentless-webhook-receiver', path: '/in/b', auth: 'none', wires: [[], [], [], ['bad2']] },
      { id: 'bad', type: 'helper', z: 'tab' },
      { id: 'bad2', type: 'helper', z: 'tab' },
    ];
    await helper.load([...ALL_NODES, receiver], flow, { acct: { username: 'u', password: 'p' } });
    const bad = new Capture(helper.getNode('bad'));
    const bad2 = new Capture(helper.getNode('bad2'));
    (await request(httpNode).post('/in/a').set('content-type', 'application/json').send('{"nothing": "useful"}')).status.should.equal(422);
    (await request(httpNode).post('/in/b').set('content-type', 'application/json').send('{not json')).status.should.equal(400);
    (await bad.wait(1))[0].sms.provider.should.equal('ccai-platform');
    (await bad2.wait(1))[0].sms.provider.should.equal('unknown');
  });
});
