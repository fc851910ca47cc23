/** CCAI Platform adapter over HTTP: against a recording server (request shape) and the sandbox (behaviour). */
import should from 'should';
import assert from 'node:assert';
import { CcaiPlatformProvider, CCAI_CAPABILITIES } from '../../src/providers/ccai-platform';
import type { RequestBudget } from '../../src/providers/types';
import { SandboxServer } from '../../src/sandbox/server';
import { RecordingServer } from '../helpers/recording-server';
import { failure, providerDeps } from '../helpers/provider-fixtures';
import { SmsError } from '../../src/util/errors';

const CREDS = { username: 'acme', password: 'tok-123456' };
const deps = providerDeps;
const MSG = { to: '+12025550123', from: '+12025550100', text: 'Your order shipped.' };

describe('CCAI Platform adapter', function () {
  describe('request shape', function () {
    let rec: RecordingServer;
    beforeEach(async () => {
      rec = new RecordingServer();
      await rec.start();
    });
    afterEach(() => rec.stop());

    it('posts the documented body with Basic auth to /apps/api/v1/sms and maps the chat id', async function () {
      rec.answer = () => ({ status: 200, body: { id: 114, status: 'selecting', created_at: '2021-10-04T17:20:51.000Z', brand_new_key: { x: 1 } } });
      const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url + '/' }, CREDS, deps());
      const seen: number[] = [];
      const r = await p.send({ ...MSG, params: { ticket_id: 'T-9', agent_id: 7, agent_email: 'a@example.com', colour: 'red' } }, { leaving: () => seen.push(rec.requests.length) });
      await p.close();
      // Leaving is called once, as the request is written: before the server has it.
      seen.should.eql([0]);
      r.should.eql({ id: '114', status: 'queued', providerStatus: 'selecting', timestamp: '2021-10-04T17:20:51.000Z' });
      rec.requests.should.have.length(1);
      const q = rec.requests[0];
      q.method.should.equal('POST');
      q.path.should.equal('/apps/api/v1/sms');
      q.headers.authorization!.should.equal('Basic ' + Buffer.from('acme:tok-123456').toString('base64'));
      q.headers['content-type']!.should.match(/application\/json/);
      JSON.parse(q.body).should.eql({
        chat_type: 'Messaging (API)',
        end_user_number: '+12025550123',
        outbound_number: '+12025550100',
        message: 'Your order shipped.',
        ticket_id: 'T-9',
        agent_id: 7,
        agent_email: 'a@example.com',
      });
    });

    it('lets msg.sms.params.chat_type override the chat type', async function () {
      rec.answer = () => ({ status: 200, body: { id: 1 } });
      const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, CREDS, deps());
      const r = await p.send({ ...MSG, params: { chat_type: 'Messaging (SMS)' } });
      await p.close();
      JSON.parse(rec.requests[0].body).chat_type.should.equal('Messaging (SMS)');
      r.providerStatus.should.equal('accepted');
    });

    it('treats a 2xx without a chat id as an ambiguous send (it may have gone out)', async function () {
      rec.answer = () => ({ status: 200, body: { ok: true } });
      const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, CREDS, deps());
      const e = await failure(p.send(MSG));
      await p.close();
      e.code.should.equal('ambiguous_send');
      e.sent.should.equal('yes');
    });

    it('draws from the budget and turns 429 into rate_limited with Retry-After', async function () {
      let acquired = 0;
      let pausedFor = -1;
      const budget: RequestBudget = { acquire: async () => void acquired++, onRateLimited: (ms) => void (pausedFor = ms) };
      rec.answer = () => ({ status: 429, body: { message: 'Too many requests' }, headers: { 'Retry-After': '3' } });
      const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, CREDS, deps(budget));
      const e = await failure(p.send(MSG));
      await p.close();
      acquired.should.equal(1);
      e.code.should.equal('rate_limited');
      e.retryable.should.be.true();
      e.retryAfterMs!.should.equal(3000);
      pausedFor.should.equal(3000);
    });

    for (const [status, code, retryable] of [
      [500, 'provider_unavailable', false],
      [502, 'provider_unavailable', true],
      [503, 'provider_unavailable', true],
      [504, 'ambiguous_send', false],
      [401, 'auth_failed', false],
      [403, 'forbidden', false],
      [404, 'not_found', false],
      [413, 'payload_too_large', false],
    ] as const) {
      it(`maps HTTP ${status} to ${code}`, async function () {
        rec.answer = () => ({ status, body: status >= 500 ? '<html>oops</html>' : { message: 'nope' } });
        const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, CREDS, deps());
        const e = await failure(p.send(MSG));
        await p.close();
        e.code.should.equal(code);
        e.retryable.should.equal(retryable);
        e.httpStatus!.should.equal(status);
        e.provider!.should.equal('ccai-platform');
      });
    }

    it('refuses before any request when the tenant URL, credentials or sender are missing', async function () {
      assert.throws(
        () => new CcaiPlatformProvider({ provider: 'ccai-platform', region: '' }, CREDS, deps()),
        (e: SmsError) => e.code === 'config_missing',
      );
      const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, { username: 'x' }, deps());
      (await failure(p.send(MSG))).code.should.equal('auth_failed');
      const q = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, CREDS, deps());
      (await failure(q.send({ to: MSG.to, text: 'x' }))).code.should.equal('invalid_sender');
      await p.close();
      await q.close();
      rec.requests.should.be.empty();
    });

    it('has no status read and says so with status_unsupported', async function () {
      const p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: rec.url }, CREDS, deps());
      (await failure(p.getStatus('114'))).code.should.equal('status_unsupported');
      p.capabilities.should.equal(CCAI_CAPABILITIES);
      CCAI_CAPABILITIES.should.containDeep({ status: false, textRequired: true, maxTextLength: 1600, defaultRequestsPerMinute: 600 });
      await p.close();
    });
  });

  describe('against the sandbox', function () {
    let server: SandboxServer;
    let url: string;
    let p: CcaiPlatformProvider;
    before(async () => {
      server = new SandboxServer({ ccaiCredentials: CREDS });
      url = await server.start();
    });
    after(() => server.stop());
    beforeEach(() => {
      server.reset();
      p = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: url }, CREDS, deps());
    });
    afterEach(() => p.close());

    it('sends and maps the chat id to msg.sms.id', async function () {
      const r = await p.send({ ...MSG, params: { agent_email: 'a@example.com' } });
      server.state.messages.should.have.length(1);
      const m = server.state.messages[0];
      r.id.should.equal(m.platformId);
      r.providerStatus.should.equal('assigned');
      m.request.should.containDeep({ end_user_number: '+12025550123', outbound_number: '+12025550100', message: 'Your order shipped.', agent_email: 'a@example.com' });
    });

    const cases: [string, () => void, Partial<typeof MSG>, string][] = [
      ['an active SMS session (rule ...97)', () => {}, { to: '+12025550197' }, 'session_active'],
      ['a refused end-user number (rule ...95)', () => {}, { to: '+12025550195' }, 'invalid_number'],
      ['a non-US recipient', () => {}, { to: '+442071838750' }, 'number_not_allowed'],
      ['a non-US outbound number', () => {}, { from: '+442071838750' }, 'number_not_allowed'],
      ['an unknown outbound number', () => server.control({ ccai: { outboundNumbers: ['+12025550111'] } }), {}, 'invalid_sender'],
      ['an invalid outbound number', () => {}, { from: '+1202' }, 'invalid_sender'],
      ['SMS not enabled', () => server.control({ ccai: { smsEnabled: false } }), {}, 'not_enabled'],
      ['outbound SMS not enabled', () => server.control({ ccai: { outboundSmsEnabled: false } }), {}, 'not_enabled'],
      ['an empty message', () => {}, { text: '' }, 'empty_text'],
    ];
    for (const [what, setup, patch, code] of cases) {
      it(`maps ${what} to ${code}, not retryable, with the platform's message`, async function () {
        setup();
        const e = await failure(p.send({ ...MSG, ...patch }));
        e.code.should.equal(code);
        e.retryable.should.be.false();
        e.httpStatus!.should.equal(400);
        e.sent.should.equal('no');
        should((e.details as Record<string, unknown>).message).be.a.String();
        e.message.should.startWith('CCAI Platform: ');
        server.state.messages.should.be.empty();
      });
    }

    it('maps the chat type errors to invalid_request', async function () {
      (await failure(p.send({ ...MSG, params: { chat_type: 'In-app' } }))).code.should.equal('invalid_request');
      (await failure(p.send({ ...MSG, params: { chat_type: 'In-app' } }))).message.should.match(/valid chat type/);
    });

    it('maps wrong credentials to auth_failed', async function () {
      const bad = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: url }, { username: 'acme', password: 'wrong-pw' }, deps());
      const e = await failure(bad.send(MSG));
      await bad.close();
      e.code.should.equal('auth_failed');
      e.httpStatus!.should.equal(401);
    });

    it('passes sandbox faults through: 429 with Retry-After, 503 retryable', async function () {
      server.control({
        faults: [
          { status: 429, count: 1, retryAfter: 2, path: '^/apps/' },
          { status: 503, count: 1, path: '^/apps/' },
        ],
      });
      const e1 = await failure(p.send(MSG));
      e1.code.should.equal('rate_limited');
      e1.retryAfterMs!.should.equal(2000);
      const e2 = await failure(p.send(MSG));
      e2.code.should.equal('provider_unavailable');
      e2.retryable.should.be.true();
      (await p.send(MSG)).id.should.be.a.String();
    });

    it('test connection: accepted credentials pass, wrong ones are named, nothing is sent', async function () {
      (await p.testConnection()).should.containDeep({ ok: true });
      const bad = new CcaiPlatformProvider({ provider: 'ccai-platform', region: '', apiBaseUrl: url }, { username: 'acme', password: 'wrong-pw' }, deps());
      const r = await bad.testConnection();
      await bad.close();
      r.ok.should.be.false();
      r.message.should.match(/username or password/);
      r.message.should.not.containEql('wrong-pw');
      server.state.messages.should.be.empty();
    });
  });
});
