/**
 * The Genesys Cloud adapter over HTTP against the sandbox: request shape, success mapping, error mapping,
 * 429 accounting and transport failure classification.
 */
import should from 'should';
import http from 'http';
import type { AddressInfo } from 'net';
import { GenesysCloudProvider } from '../../src/providers/genesys-cloud';
import { SandboxServer } from '../../src/sandbox/server';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';
import type { RequestBudget } from '../../src/providers/types';
import { failure } from '../helpers/provider-fixtures';

const CREDS = { clientId: 'cid', clientSecret: 'csecret' };

describe('providers/genesys-cloud against the sandbox', function () {
  let server: SandboxServer;
  let url: string;
  const limited: number[] = [];
  let acquired = 0;
  let responses = 0;
  const budget: RequestBudget = {
    acquire: async () => {
      acquired++;
    },
    onRateLimited: (ms) => limited.push(ms),
    onResponse: () => {
      responses++;
    },
  };
  const make = (creds = CREDS, base?: string) =>
    new GenesysCloudProvider({ provider: 'genesys-cloud', region: 'mypurecloud.com', apiBaseUrl: base ?? url, authBaseUrl: base ?? url }, creds, { budget, clock: systemClock, logger: silentLogger });

  before(async function () {
    server = new SandboxServer({ credentials: CREDS });
    url = await server.start();
  });
  after(() => server.stop());
  beforeEach(function () {
    server.reset();
    limited.length = 0;
    acquired = 0;
    responses = 0;
  });

  it('derives login and API origins from the region', function () {
    const p = new GenesysCloudProvider({ provider: 'genesys-cloud', region: 'mypurecloud.de' }, CREDS, { budget, clock: systemClock, logger: silentLogger });
    p.apiBase.should.equal('https://api.mypurecloud.de');
    p.authBase.should.equal('https://login.mypurecloud.de');
  });

  it('sends the documented body with a bearer token and maps the answer', async function () {
    const p = make();
    const r = await p.send({ to: '+12025550123', from: '+12025550100', text: 'hello', externalContactId: 'c-1', template: { id: 'resp-1', parameters: { name: 'Ann' } } });
    const m = server.state.messages[0];
    r.should.eql({ id: m.id, conversationId: m.conversationId, status: 'queued', providerStatus: 'queued', timestamp: m.receivedAt });
    m.request.should.eql({
      fromAddress: '+12025550100',
      toAddress: '+12025550123',
      toAddressMessengerType: 'sms',
      textBody: 'hello',
      messagingTemplate: { responseId: 'resp-1', parameters: [{ id: 'name', value: 'Ann' }] },
      externalContactId: 'c-1',
    });
    acquired.should.equal(1, 'the API call drew on the budget; the login did not');
    await p.close();
  });

  it("calls the send's leaving as its request is written: after the token and the budget, before the platform has it", async function () {
    const p = make();
    const seen: { acquired: number; requests: string[] }[] = [];
    await p.send({ to: '+12025550123', from: '+12025550100', text: 'hi' }, { leaving: () => seen.push({ acquired, requests: server.requests.map((r) => r.path) }) });
    await p.close();
    // Once, with the token already fetched and the budget drawn, and the send not yet at the sandbox.
    seen.should.eql([{ acquired: 1, requests: ['/oauth/token'] }]);
    server.requests.map((r) => r.path).should.eql(['/oauth/token', '/api/v2/conversations/messages/agentless']);
  });

  it('reads and normalizes message status', async function () {
    server.control({ queuedToSentMs: 5, sentToFinalMs: 5 });
    const p = make();
    const sent = await p.send({ to: '+12025550199', from: '+12025550100', text: 'x' });
    await new Promise((r) => setTimeout(r, 60));
    const s = await p.getStatus(sent.id);
    s.should.containDeep({ id: sent.id, status: 'failed', providerStatus: 'delivery-failed', final: true });
    should(s.reasons).be.an.Array().and.not.be.empty();
    await p.close();
  });

  const mapped: [number, string, boolean][] = [
    [400, 'provider_rejected', false],
    [403, 'forbidden', false],
    [404, 'not_found', false],
    [413, 'payload_too_large', false],
    [500, 'provider_unavailable', false],
    [502, 'provider_unavailable', true],
    [503, 'provider_unavailable', true],
    // A gateway timeout after the request was sent: the platform may have taken the message.
    [504, 'ambiguous_send', false],
  ];
  for (const [status, code, retryable] of mapped) {
    it(`maps HTTP ${status} to ${code}`, async function () {
      const p = make();
      server.control({ faults: [{ status, count: 1, path: 'agentless' }] });
      const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'x' }));
      e.code.should.equal(code);
      e.httpStatus!.should.equal(status);
      e.retryable.should.equal(retryable);
      e.sent.should.equal(status === 504 ? 'maybe' : 'no');
      (e.details as { contextId?: string }).contextId!.should.be.a.String();
      await p.close();
    });
  }

  it('turns a 429 into rate_limited with Retry-After and tells the budget', async function () {
    const p = make();
    server.control({ faults: [{ status: 429, count: 1, retryAfter: 7, path: 'agentless' }] });
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'x' }));
    e.code.should.equal('rate_limited');
    e.retryAfterMs!.should.equal(7000);
    limited.should.eql([7000]);
    await p.close();
  });

  it('reports a response for every non-429 answer (the probe reopens the budget)', async function () {
    const p = make();
    await p.send({ to: '+12025550123', from: '+12025550100', text: 'x' });
    responses.should.equal(1);
    await p.close();
  });

  it('logs in again once on a 401, then gives up with auth_failed', async function () {
    const p = make();
    await p.send({ to: '+12025550123', from: '+12025550100', text: 'one' });
    server.control({ faults: [{ status: 401, count: 2, path: 'agentless' }] });
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'two' }));
    e.code.should.equal('auth_failed');
    server.requests.filter((r) => r.path === '/oauth/token').length.should.equal(2);
    await p.close();
  });

  it('refuses wrong credentials with auth_failed and does not echo the secret', async function () {
    const p = make({ clientId: 'cid', clientSecret: 'not-the-secret' });
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'x' }));
    e.code.should.equal('auth_failed');
    JSON.stringify(e.toMsgError()).should.not.containEql('not-the-secret');
    (await p.testConnection()).ok.should.be.false();
    await p.close();
  });

  it('classifies a refused connection as not sent and retryable', async function () {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const p = make(CREDS, `http://127.0.0.1:${port}`);
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'x' }));
    e.code.should.equal('network_error');
    e.sent.should.equal('no');
    e.retryable.should.be.true();
    await p.close();
  });

  it('classifies a reset after the request was processed as maybe sent', async function () {
    const p = make();
    await p.send({ to: '+12025550123', from: '+12025550100', text: 'warm up the token' });
    server.control({ faults: [{ status: 0, count: 1, process: true, path: 'agentless' }] });
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'x' }));
    e.sent.should.equal('maybe');
    server.state.messages.length.should.equal(2);
    await p.close();
  });

  it('classifies a timeout as maybe sent', async function () {
    const p = new GenesysCloudProvider({ provider: 'genesys-cloud', region: '', apiBaseUrl: url, authBaseUrl: url, requestTimeoutMs: 150 }, CREDS, {
      budget,
      clock: systemClock,
      logger: silentLogger,
    });
    await p.send({ to: '+12025550123', from: '+12025550100', text: 'token' });
    server.control({ faults: [{ status: 503, count: 1, delayMs: 1000, path: 'agentless' }] });
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'x' }));
    e.code.should.equal('timeout');
    e.sent.should.equal('maybe');
    await p.close();
  });
});
