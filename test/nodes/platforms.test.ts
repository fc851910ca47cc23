/**
 * The same send-sms node, unchanged, against every platform path of one standalone sandbox: Genesys Cloud
 * agentless, Genesys Cloud queue mode, CCAI Platform and Avaamo. Only the account (and the sender's
 * platform fields) change; documented refusals reach output 2 with stable codes.
 */
import should from 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { helper, loadSendFlow, sendFlow, useLoopbackSandbox } from '../helpers/flow';
import { sandboxRefreshToken } from '../helpers/sandbox-sign-in';

const GENESYS = { clientId: 'client-1', clientSecret: 's3cret-value' };
const CCAI = { username: 'acme', password: 'ccai-token-77' };
const AVAAMO_TOKEN = 'avaamo-token-55';
const QUEUE = 'a1b23c4d-ab12-1abc-1234-1a23b4c56789';
const CHANNEL = '3f1c2b9e-7a4d-4e8f-9b2a-0c5d6e7f8a9b';
/** The one send-sms configuration every platform uses. */
const SEND = { to: 'to', toType: 'msg', text: 'payload', textType: 'msg' };

interface Platform {
  name: string;
  provider: string;
  account: (url: string) => Record<string, unknown>;
  sender: Record<string, unknown>;
  credentials: Record<string, string>;
  /** Recipient -> expected error code on output 2. */
  refusals: [string, string][];
  /** Check what the platform received and the ids on output 1. */
  check: (server: SandboxServer, sms: Record<string, any>) => void;
}

const PLATFORMS: Platform[] = [
  {
    name: 'Genesys Cloud agentless',
    provider: 'genesys-cloud',
    account: (url) => ({ provider: 'genesys-cloud', apiBaseUrl: url, authBaseUrl: url }),
    sender: {},
    credentials: GENESYS,
    refusals: [['+12025550197', 'conversation_active']],
    check: (server, sms) => {
      const m = server.state.messages[0];
      sms.id.should.equal(m.id);
      sms.conversationId.should.equal(m.conversationId);
      m.request.should.containDeep({ fromAddress: '+12025550100', toAddress: '+12025550123', textBody: 'Your code is 1234' });
    },
  },
  {
    name: 'Genesys Cloud queue mode',
    provider: 'genesys-cloud',
    // The queue-based flow acts for a signed-in user (the test signs one in below).
    account: (url) => ({ provider: 'genesys-cloud', apiBaseUrl: url, authBaseUrl: url, grant: 'authorization-code' }),
    sender: { mode: 'queue', queueId: QUEUE },
    credentials: GENESYS,
    refusals: [['+12025550197', 'conversation_active']],
    check: (server, sms) => {
      const conv = [...server.queueConversations.values()][0];
      sms.conversationId.should.equal(conv.id);
      sms.communicationId.should.equal(conv.communicationId);
      sms.id.should.equal(server.state.messages[0].id);
      conv.queueId.should.equal(QUEUE);
      server.state.messages[0].textBody!.should.equal('Your code is 1234');
    },
  },
  {
    name: 'CCAI Platform',
    provider: 'ccai-platform',
    account: (url) => ({ provider: 'ccai-platform', apiBaseUrl: url }),
    sender: {},
    credentials: CCAI,
    refusals: [
      ['+12025550197', 'session_active'],
      ['+12025550195', 'invalid_number'],
      ['+442071838750', 'number_not_allowed'],
    ],
    check: (server, sms) => {
      const m = server.state.messages[0];
      sms.id.should.equal(m.platformId);
      m.request.should.containDeep({ end_user_number: '+12025550123', outbound_number: '+12025550100', message: 'Your code is 1234', ticket_id: 'T-1' });
    },
  },
  {
    name: 'Avaamo',
    provider: 'avaamo',
    account: (url) => ({ provider: 'avaamo', apiBaseUrl: url }),
    sender: { channelUuid: CHANNEL },
    credentials: { accessToken: AVAAMO_TOKEN },
    refusals: [['+12025550195', 'invalid_number']],
    check: (server, sms) => {
      sms.id.should.startWith('avaamo-local-');
      sms.providerStatus.should.equal('accepted');
      server.state.messages[0].request.should.eql({ ticket_id: 'T-1', to_phone: '+12025550123' });
    },
  },
];

describe('one send-sms flow on every platform', function () {
  const sandbox = useLoopbackSandbox({ credentials: GENESYS, ccaiCredentials: CCAI, avaamoAccessToken: AVAAMO_TOKEN, queuedToSentMs: 50, sentToFinalMs: 50 });

  for (const p of PLATFORMS) {
    it(`${p.name}: output 1 with the platform's ids, documented refusals on output 2 with stable codes`, async function () {
      const creds = p.account('').grant === 'authorization-code' ? { ...p.credentials, refreshToken: await sandboxRefreshToken(sandbox.url, GENESYS) } : p.credentials;
      const { send, ok, fail } = await loadSendFlow(sendFlow(p.account(sandbox.url), p.sender, SEND), { acct: creds });
      send.receive({ to: '+1 202 555 0123', payload: 'Your code is 1234', sms: { ticketId: 'T-1' } });
      const [msg] = await ok.wait(1);
      should(fail.msgs).be.empty();
      msg.sms.should.containDeep({ to: '+12025550123', provider: p.provider, status: 'queued', attempts: 1 });
      msg.sms.id.should.be.a.String().and.not.be.empty();
      should(msg.error).be.undefined();
      p.check(sandbox.server, msg.sms);

      for (const [to] of p.refusals) send.receive({ to, payload: 'Your code is 1234' });
      const failed = await fail.wait(p.refusals.length);
      p.refusals.forEach(([to, code]) => {
        const m = failed.find((f) => f.sms.to === to);
        should.exist(m, `no output 2 for ${to}`);
        m!.error.code.should.equal(code, `${p.name} ${to}: ${m!.error.message}`);
        m!.error.retryable.should.be.false();
        m!.error.provider.should.equal(p.provider);
        m!.sms.status.should.equal('failed');
      });
      ok.msgs.should.have.length(1);
    });
  }

  it('Avaamo needs no text; CCAI and Genesys still do', async function () {
    const avaamo = await loadSendFlow(sendFlow(PLATFORMS[3].account(sandbox.url), PLATFORMS[3].sender, SEND), { acct: PLATFORMS[3].credentials });
    avaamo.send.receive({ to: '+12025550123' });
    (await avaamo.ok.wait(1))[0].sms.id.should.startWith('avaamo-local-');
    await helper.unload();
    const ccai = await loadSendFlow(sendFlow(PLATFORMS[2].account(sandbox.url), {}, SEND), { acct: CCAI });
    ccai.send.receive({ to: '+12025550123', payload: '' });
    (await ccai.fail.wait(1))[0].error.code.should.equal('empty_text');
  });

  it('a sender without its platform field fails clearly: Avaamo channel, queue id', async function () {
    const a = await loadSendFlow(sendFlow(PLATFORMS[3].account(sandbox.url), {}, SEND), { acct: PLATFORMS[3].credentials });
    a.send.receive({ to: '+12025550123', payload: 'x' });
    (await a.fail.wait(1))[0].error.code.should.equal('config_missing');
    await helper.unload();
    const q = await loadSendFlow(sendFlow(PLATFORMS[1].account(sandbox.url), { mode: 'queue', queueId: '' }, SEND), { acct: GENESYS });
    q.send.receive({ to: '+12025550123', payload: 'x' });
    (await q.fail.wait(1))[0].error.code.should.equal('config_missing');
  });

  describe('test connection (admin route)', function () {
    const post = (body: unknown) => helper.request().post('/agentless-sms/accounts/test').send(body).expect(200);

    it('checks Genesys credentials with a token request and says what is wrong', async function () {
      // The loopback URLs are not a platform host: full answers only for the deployed account's own URLs.
      await loadSendFlow(sendFlow({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url }), { acct: GENESYS });
      const good = await post({ id: 'acct', provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, credentials: GENESYS });
      good.body.should.containDeep({ ok: true });
      const bad = await post({ id: 'acct', provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, credentials: { clientId: 'client-1', clientSecret: 'wrong-secret' } });
      bad.body.ok.should.be.false();
      bad.body.message.should.match(/login failed/);
      JSON.stringify(bad.body).should.not.containEql('wrong-secret');
      Object.keys(bad.body).sort().should.eql(['message', 'ok']);
    });

    it("uses the deployed node's stored credentials for placeholder or empty fields, and never returns them", async function () {
      await loadSendFlow(sendFlow(PLATFORMS[2].account(sandbox.url), {}, SEND), { acct: CCAI });
      const r = await post({ id: 'acct', provider: 'ccai-platform', apiBaseUrl: sandbox.url, credentials: { username: '', password: '__PWD__' } });
      r.body.should.containDeep({ ok: true });
      JSON.stringify(r.body).should.not.containEql(CCAI.password);
      const wrong = await post({ id: 'acct', provider: 'ccai-platform', apiBaseUrl: sandbox.url, credentials: { username: 'acme', password: 'typed-wrong' } });
      wrong.body.ok.should.be.false();
      wrong.body.message.should.match(/username or password/);
      // An undeployed node has no stored credentials to fall back on.
      const none = await post({ id: 'not-deployed', provider: 'ccai-platform', apiBaseUrl: sandbox.url, credentials: { password: '__PWD__' } });
      none.body.ok.should.be.false();
      sandbox.server.state.messages.should.be.empty();
    });

    it('answers plainly for a missing CCAI tenant URL, a bad URL, an unknown platform and the sandbox', async function () {
      await loadSendFlow(sendFlow({ provider: 'sandbox' }));
      (await post({ provider: 'ccai-platform', credentials: CCAI })).body.message.should.match(/tenant URL/);
      (await post({ provider: 'avaamo', apiBaseUrl: 'ftp://x' })).body.message.should.match(/not an http/);
      (await post({ provider: 'nope' })).body.ok.should.be.false();
      (await post({ provider: 'sandbox' })).body.ok.should.be.true();
      (await post({ provider: 'avaamo', apiBaseUrl: sandbox.url })).body.ok.should.be.true();
    });
  });
});
