/**
 * Where send-sms reads `to` and `text` from, in a real runtime: msg properties and plain values are
 * read at once, flow context and JSONata (which Node-RED answers later) through a promise; either
 * way the message goes out once, and a property that cannot be read refuses the message on output 2.
 */
import should from 'should';
import { helper, loadSendFlow, sendFlow, useLoopbackSandbox } from '../helpers/flow';

const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };

describe('send-sms property types', function () {
  this.timeout(30_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 10_000, sentToFinalMs: 10_000 });
  const account = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });
  const sent = () => sandbox.server.state.messages.map((m) => ({ from: m.fromAddress, to: m.toAddress, text: m.textBody }));

  it('reads flow context, JSONata, strings and msg properties, each message once', async function () {
    const flow = sendFlow(account(), {}, { to: 'number', toType: 'flow', text: '"Hello " & payload', textType: 'jsonata' });
    const { send, ok, fail } = await loadSendFlow(flow, { acct: CREDS });
    send.context().flow.set('number', '+12025550123');
    send.receive({ payload: 'one' });
    const [first] = await ok.wait(1);
    should(first.sms.to).equal('+12025550123');
    should(sent()).eql([{ from: '+12025550100', to: '+12025550123', text: 'Hello one' }]);
    fail.msgs.should.be.empty();
  });

  it('mixes a value read at once with one read later', async function () {
    const flow = sendFlow(account(), {}, { to: '$string(number)', toType: 'jsonata', text: 'fixed text', textType: 'str' });
    const { send, ok } = await loadSendFlow(flow, { acct: CREDS });
    for (let i = 0; i < 5; i++) send.receive({ number: `+1202555012${i}` });
    const out = await ok.wait(5);
    should(out.map((m) => m.sms.to).sort()).eql(['+12025550120', '+12025550121', '+12025550122', '+12025550123', '+12025550124']);
    should(sent().map((m) => m.text)).eql(Array(5).fill('fixed text'));
  });

  it('a property that cannot be read refuses the message on output 2, whether read at once or later', async function () {
    const flow = sendFlow(account(), {}, { to: 'to', toType: 'msg', text: 'payload[', textType: 'msg' });
    const { send, ok, fail } = await loadSendFlow(flow, { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'x' });
    const [refused] = await fail.wait(1);
    should(refused.error.code).equal('unknown_error');
    should(refused.sms).containDeep({ status: 'failed' });
    await helper.unload();
    const later = await loadSendFlow(sendFlow(account(), {}, { to: '$error("no number")', toType: 'jsonata' }), { acct: CREDS });
    later.send.receive({ payload: 'x' });
    const [refusedLater] = await later.fail.wait(1);
    should(refusedLater.error.code).equal('unknown_error');
    ok.msgs.should.be.empty();
    later.ok.msgs.should.be.empty();
    should(sent()).be.empty();
  });
});
