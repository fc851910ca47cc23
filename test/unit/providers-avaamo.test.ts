/** Avaamo adapter over HTTP: against a recording server (request shape) and the sandbox (behaviour). */
import should from 'should';
import { AvaamoProvider, AVAAMO_CAPABILITIES, AVAAMO_DEFAULT_BASE_URL } from '../../src/providers/avaamo';
import type { RequestBudget } from '../../src/providers/types';
import { SandboxServer } from '../../src/sandbox/server';
import { RecordingServer } from '../helpers/recording-server';
import { failure, providerDeps } from '../helpers/provider-fixtures';

const CHANNEL = '3f1c2b9e-7a4d-4e8f-9b2a-0c5d6e7f8a9b';
const deps = providerDeps;
const MSG = { to: '+12025550123', channelUuid: CHANNEL };

describe('Avaamo adapter', function () {
  it('defaults to cx.avaamo.com and needs no text', function () {
    const p = new AvaamoProvider({ provider: 'avaamo', region: '' }, {}, deps());
    p.apiBase.should.equal(AVAAMO_DEFAULT_BASE_URL);
    AVAAMO_CAPABILITIES.should.containDeep({ status: false, textRequired: false });
    return p.close();
  });

  describe('request shape', function () {
    let rec: RecordingServer;
    beforeEach(async () => {
      rec = new RecordingServer();
      await rec.start();
    });
    afterEach(() => rec.stop());

    it('posts to_phone and the custom params to /sms/{channel}/send.json, never the text', async function () {
      rec.answer = () => ({ status: 200, body: { success: true } });
      const p = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: rec.url }, { accessToken: 'av-tok-1' }, deps());
      const seen: number[] = [];
      const r = await p.send({ ...MSG, text: 'not sent', params: { first_name: 'Ada', to_phone: '+19999999999', order: 42 } }, { leaving: () => seen.push(rec.requests.length) });
      await p.close();
      // Leaving is called once, as the request is written: before the server has it.
      seen.should.eql([0]);
      const q = rec.requests[0];
      q.method.should.equal('POST');
      q.path.should.equal(`/sms/${CHANNEL}/send.json`);
      q.headers['access-token']!.should.equal('av-tok-1');
      should(q.headers.authorization).be.undefined();
      // The params cannot redirect the message: to_phone is always the validated recipient.
      JSON.parse(q.body).should.eql({ first_name: 'Ada', order: 42, to_phone: '+12025550123' });
      q.body.should.not.containEql('not sent');
      r.id.should.match(/^avaamo-local-[0-9a-f-]{36}$/);
      r.should.containDeep({ status: 'queued', providerStatus: 'accepted' });
    });

    it('sends no access-token header when none is set, and reads an unexpected 2xx body leniently', async function () {
      rec.answer = () => ({ status: 200, body: 'OK' });
      const p = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: rec.url }, {}, deps());
      const r = await p.send(MSG);
      await p.close();
      should(rec.requests[0].headers['access-token']).be.undefined();
      r.providerStatus.should.equal('accepted');
    });

    it('treats success:false in a 2xx as a refusal', async function () {
      rec.answer = () => ({ status: 200, body: { success: false, error: 'Channel disabled' } });
      const p = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: rec.url }, {}, deps());
      const e = await failure(p.send(MSG));
      await p.close();
      e.code.should.equal('provider_rejected');
      e.message.should.containEql('Channel disabled');
    });

    it('turns 429 into rate_limited and pauses the budget', async function () {
      let pausedFor = -1;
      const budget: RequestBudget = { acquire: async () => {}, onRateLimited: (ms) => void (pausedFor = ms) };
      rec.answer = () => ({ status: 429, body: {}, headers: { 'Retry-After': '5' } });
      const p = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: rec.url }, {}, deps(budget));
      const e = await failure(p.send(MSG));
      await p.close();
      e.code.should.equal('rate_limited');
      pausedFor.should.equal(5000);
    });

    for (const [status, code, retryable] of [
      [500, 'provider_unavailable', false],
      [503, 'provider_unavailable', true],
      [403, 'forbidden', false],
      [413, 'payload_too_large', false],
    ] as const) {
      it(`maps HTTP ${status} to ${code}`, async function () {
        rec.answer = () => ({ status, body: { error: 'x' } });
        const p = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: rec.url }, {}, deps());
        const e = await failure(p.send(MSG));
        await p.close();
        e.code.should.equal(code);
        e.retryable.should.equal(retryable);
      });
    }

    it('refuses a sender without a channel before any request, and has no status read', async function () {
      const p = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: rec.url }, {}, deps());
      (await failure(p.send({ to: '+12025550123' }))).code.should.equal('config_missing');
      (await failure(p.send({ to: '+12025550123', channelUuid: '  ' }))).code.should.equal('config_missing');
      (await failure(p.getStatus('avaamo-local-x'))).code.should.equal('status_unsupported');
      await p.close();
      rec.requests.should.be.empty();
    });
  });

  describe('against the sandbox', function () {
    let server: SandboxServer;
    let url: string;
    before(async () => {
      server = new SandboxServer({ avaamoAccessToken: 'av-tok-1' });
      url = await server.start();
    });
    after(() => server.stop());
    beforeEach(() => server.reset());
    const provider = (token = 'av-tok-1') => new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: url }, { accessToken: token }, deps());

    it('sends and the sandbox records the custom params', async function () {
      const p = provider();
      const r = await p.send({ ...MSG, params: { name: 'Ada' } });
      await p.close();
      r.providerStatus.should.equal('accepted');
      server.state.messages.should.have.length(1);
      server.state.messages[0].request.should.eql({ name: 'Ada', to_phone: '+12025550123' });
    });

    it('maps the sandbox refusals: wrong token, unknown channel, refused number (rule ...95)', async function () {
      const bad = provider('nope-nope');
      const e1 = await failure(bad.send(MSG));
      await bad.close();
      e1.code.should.equal('auth_failed');
      const p = provider();
      const e2 = await failure(p.send({ ...MSG, channelUuid: 'not-a-channel' }));
      e2.code.should.equal('not_found');
      e2.message.should.match(/channel UUID/);
      const e3 = await failure(p.send({ ...MSG, to: '+12025550195' }));
      e3.code.should.equal('invalid_number');
      e3.httpStatus!.should.equal(400);
      await p.close();
      server.state.messages.should.be.empty();
    });

    it('passes sandbox faults through (503 retryable, then success)', async function () {
      server.control({ faults: [{ status: 503, count: 1, path: '^/sms/' }] });
      const p = provider();
      const e = await failure(p.send(MSG));
      e.code.should.equal('provider_unavailable');
      e.retryable.should.be.true();
      (await p.send(MSG)).id.should.startWith('avaamo-local-');
      await p.close();
    });

    it('test connection checks reachability only and says so', async function () {
      const p = provider();
      const r = await p.testConnection();
      await p.close();
      r.ok.should.be.true();
      r.message.should.match(/first send/);
      const down = new AvaamoProvider({ provider: 'avaamo', region: '', apiBaseUrl: 'http://127.0.0.1:1' }, {}, deps());
      const r2 = await down.testConnection();
      await down.close();
      r2.ok.should.be.false();
    });
  });
});
