/**
 * send-sms in a real Node-RED runtime, talking HTTP to a Genesys-compatible server on loopback
 * (the sandbox, standalone, with credentials enforced) and to the in-process sandbox provider.
 */
import should from 'should';
import { byId, helper, loadSendFlow, sendFlow, sleep, useLoopbackSandbox } from '../helpers/flow';

const CREDS = { clientId: 'client-1', clientSecret: 's3cret-value' };

describe('agentless-send-sms node', function () {
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 50, sentToFinalMs: 50 });

  const genesys = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });
  const apiRequests = () => sandbox.server.requests.filter((r) => r.path.startsWith('/api/'));

  it('sends a valid message once and puts the platform ids on output 1', async function () {
    const { send, ok, fail } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    send.receive({ to: '+1 (202) 555-0123', payload: 'Your appointment is at 10:00.' });
    const [msg] = await ok.wait(1);
    should(fail.msgs).be.empty();
    const stored = sandbox.server.state.messages;
    stored.should.have.length(1);
    msg.sms.id.should.equal(stored[0].id);
    msg.sms.conversationId.should.equal(stored[0].conversationId);
    msg.sms.should.containDeep({ to: '+12025550123', from: '+12025550100', status: 'queued', providerStatus: 'queued', provider: 'genesys-cloud', segments: 1, encoding: 'GSM-7', attempts: 1 });
    // What reached the platform: normalized E.164 and the exact text.
    stored[0].request.should.containDeep({ toAddress: '+12025550123', fromAddress: '+12025550100', toAddressMessengerType: 'sms', textBody: 'Your appointment is at 10:00.' });
    should(msg.error).be.undefined();
  });

  it('shares one login between concurrent sends', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    for (let i = 0; i < 10; i++) send.receive({ to: `+1202555010${i}`, payload: `hello ${i}` });
    await ok.wait(10);
    sandbox.server.requests.filter((r) => r.path === '/oauth/token').should.have.length(1);
    apiRequests().should.have.length(10);
  });

  const hostile: [string, Record<string, unknown>, string][] = [
    ['a 555 number', { to: '+15551234567', payload: 'hi' }, 'invalid_number'],
    ['a vanity number', { to: '+1-800-FLOWERS', payload: 'hi' }, 'invalid_number'],
    ['a bare plus', { to: '+', payload: 'hi' }, 'invalid_number'],
    ['an empty number', { to: '', payload: 'hi' }, 'invalid_number'],
    ['a short number', { to: '12345', payload: 'hi' }, 'invalid_number'],
    ['a national number with no default country', { to: '(202) 555-0123', payload: 'hi' }, 'invalid_number'],
    ['an extension', { to: '+1 202 555 0123 ext. 12', payload: 'hi' }, 'invalid_number'],
    ['a number as a number', { to: 12025550123, payload: 'hi' }, 'invalid_number'],
    ['null', { to: null, payload: 'hi' }, 'invalid_number'],
    ['an array', { to: ['+12025550123'], payload: 'hi' }, 'invalid_number'],
    ['an object', { to: { n: '+12025550123' }, payload: 'hi' }, 'invalid_number'],
    ['empty text', { to: '+12025550123', payload: '' }, 'empty_text'],
    ['whitespace-only text', { to: '+12025550123', payload: ' \n\t ' }, 'empty_text'],
    ['766 characters', { to: '+12025550123', payload: 'a'.repeat(766) }, 'text_too_long'],
    ['100 KB of text', { to: '+12025550123', payload: 'x'.repeat(100 * 1024) }, 'text_too_long'],
    ['a control character', { to: '+12025550123', payload: 'bell\u0007' }, 'invalid_text'],
    ['a lone surrogate', { to: '+12025550123', payload: 'bad \ud83d text' }, 'invalid_text'],
    ['text as an object', { to: '+12025550123', payload: { text: 'hi' } }, 'invalid_text'],
    ['an unknown template field', { to: '+12025550123', payload: 'hi', sms: { template: { id: 't1', colour: 'red' } } }, 'invalid_template'],
    ['a wrongly typed option', { to: '+12025550123', payload: 'hi', sms: { useExistingActiveConversation: 'yes' } }, 'invalid_request'],
    ['an unknown msg.sms option', { to: '+12025550123', payload: 'hi', sms: { priority: 'high' } }, 'invalid_request'],
  ];

  it('answers every hostile input on output 2 with its code and never reaches the platform', async function () {
    const { send, ok, fail } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    for (const [, input] of hostile) send.receive({ ...input });
    const msgs = await fail.wait(hostile.length);
    await sleep(50);
    ok.msgs.should.be.empty();
    fail.msgs.should.have.length(hostile.length);
    hostile.forEach(([what, , code], i) => {
      should.exist(msgs[i].error, what);
      msgs[i].error.code.should.equal(code, `${what}: expected ${code}, got ${msgs[i].error.code} (${msgs[i].error.message})`);
      msgs[i].error.retryable.should.be.false();
      msgs[i].error.message.should.be.a.String().and.not.be.empty();
      msgs[i].sms.status.should.equal('failed');
    });
    sandbox.server.requests.should.be.empty();
  });

  it('applies msg.sms overrides and passes metadata through without sending it', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    send.receive({
      to: '+12025550111',
      payload: 'ignored',
      sms: { to: '+12025550122', text: 'override text', externalContactId: 'crm-42', useExistingActiveConversation: true, metadata: { campaign: 'q3' } },
    });
    const [msg] = await ok.wait(1);
    msg.sms.to.should.equal('+12025550122');
    msg.sms.metadata.should.eql({ campaign: 'q3' });
    const req = sandbox.server.state.messages[0].request;
    req.should.containDeep({ toAddress: '+12025550122', textBody: 'override text', externalContactId: 'crm-42', useExistingActiveConversation: true });
    JSON.stringify(req).should.not.containEql('q3');
  });

  it('accepts national numbers when the sender has a default country', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(genesys(), { defaultCountry: 'US' }), { acct: CREDS });
    send.receive({ to: '(202) 555-0142', payload: 'hi' });
    const [msg] = await ok.wait(1);
    msg.sms.to.should.equal('+12025550142');
  });

  it('counts UCS-2 segments for emoji text', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    send.receive({ to: '+12025550123', payload: '😀'.repeat(40) });
    const [msg] = await ok.wait(1);
    msg.sms.encoding.should.equal('UCS-2');
    msg.sms.segments.should.equal(2);
  });

  it('maps a platform refusal to a stable code on output 2', async function () {
    const { send, fail } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    send.receive({ to: '+12025550197', payload: 'hi' }); // sandbox rule: active conversation
    const [msg] = await fail.wait(1);
    msg.error.should.containDeep({ code: 'conversation_active', httpStatus: 400, retryable: false, provider: 'genesys-cloud' });
  });

  it('reports wrong credentials as auth_failed without leaking the secret', async function () {
    const { send, fail } = await loadSendFlow(sendFlow(genesys()), { acct: { clientId: 'client-1', clientSecret: 'wrong-secret-xyz' } });
    send.receive({ to: '+12025550123', payload: 'hi' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('auth_failed');
    JSON.stringify(msg).should.not.containEql('wrong-secret-xyz');
    apiRequests().should.be.empty();
  });

  it('logs in again once when the platform refuses a token', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(genesys()), { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'one' });
    await ok.wait(1);
    sandbox.server.control({ revokeTokens: true });
    send.receive({ to: '+12025550124', payload: 'two' });
    await ok.wait(2);
    sandbox.server.requests.filter((r) => r.path === '/oauth/token').should.have.length(2);
    sandbox.server.state.messages.should.have.length(2);
  });

  it('answers with config_missing when the node has no sender', async function () {
    const flow = sendFlow(genesys());
    byId(flow, 'send').sender = 'nope';
    const { send, fail } = await loadSendFlow(flow, { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'hi' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('config_missing');
  });

  it('answers with config_missing when the sender has no account', async function () {
    const flow = sendFlow(genesys(), { account: 'missing' });
    const { send, fail } = await loadSendFlow(flow, { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'hi' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('config_missing');
  });

  it('sends through the in-process sandbox provider over HTTP', async function () {
    const { send, ok } = await loadSendFlow(sendFlow({ provider: 'sandbox' }));
    send.receive({ to: '+12025550150', payload: 'sandbox hello' });
    const [msg] = await ok.wait(1);
    msg.sms.provider.should.equal('sandbox');
    const sandboxUrl = await helper.getNode('acct').runtime.sandboxUrl();
    const res = await fetch(`${sandboxUrl}/sandbox/messages`);
    const body = (await res.json()) as { messages: { id: string; textBody: string }[] };
    body.messages.should.have.length(1);
    body.messages[0].id.should.equal(msg.sms.id);
    body.messages[0].textBody.should.equal('sandbox hello');
  });
});
