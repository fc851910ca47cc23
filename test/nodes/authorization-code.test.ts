/**
 * A signed-in Genesys Cloud user for the queue-based flow, in a real Node-RED runtime against the sandbox
 * over HTTP: the sign-in through the admin routes (start, the sandbox's sign-in page, the callback),
 * bad callbacks, the guard rails between sender mode and account grant, refresh before expiry and after
 * a 401, revocation and recovery by signing in again without a redeploy, single flight under 20
 * concurrent sends, and no token or secret in any msg, log line, node status or admin answer.
 */
import { helper, loadSendFlow, sendFlow, sleep, useLoopbackSandbox } from '../helpers/flow';
import { sandboxAuthorize, sandboxRefreshToken } from '../helpers/sandbox-sign-in';
import type { SandboxServer } from '../../src/sandbox/server';

const CREDS = { clientId: 'auth-client', clientSecret: 'auth-client-secret-value' };
const QUEUE = 'a1b23c4d-ab12-1abc-1234-1a23b4c56789';
const SAM = 'Sam Sandbox';

/** Every status the node `id` showed (the helper spies on Node.prototype.status). */
function statuses(id: string): { text?: string; fill?: string }[] {
  const spy = helper.getNode(id).status as unknown as { getCalls(): { thisValue: { id: string }; args: unknown[] }[] };
  return spy.getCalls().filter((c) => c.thisValue?.id === id).map((c) => c.args[0] as { text?: string });
}

function apiRequests(server: SandboxServer): string[] {
  return server.requests.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path}`);
}

/** The editor's sign-in, step by step over HTTP, returning the callback's answer. */
async function signIn(sandboxUrl: string, opts: { accountId?: string; provider?: string; tamper?: (u: URL) => void; cookie?: string | null } = {}) {
  const redirectUri = 'http://127.0.0.1:1880/agentless-sms/oauth/callback';
  const start = await helper
    .request()
    .post(`/agentless-sms/accounts/${opts.accountId ?? 'acct'}/sign-in`)
    .send({ provider: opts.provider ?? 'genesys-cloud', apiBaseUrl: sandboxUrl, authBaseUrl: sandboxUrl, credentials: { clientId: '__PWRD__', clientSecret: '__PWRD__' }, redirectUri });
  if (start.status !== 200) return { start, callback: null };
  const authorize = new URL(start.body.url);
  const cookie = opts.cookie === undefined ? String(start.headers['set-cookie']).split(';')[0] : opts.cookie;
  const back = await sandboxAuthorize(sandboxUrl, authorize.searchParams.get('client_id')!, authorize.searchParams.get('redirect_uri')!, authorize.searchParams.get('state')!);
  opts.tamper?.(back);
  const req = helper.request().get(`/agentless-sms/oauth/callback${back.search}`);
  const callback = await (cookie ? req.set('Cookie', cookie) : req);
  return { start, callback, back, cookie };
}

function queueFlow(url: string, sender: Record<string, unknown> = {}) {
  return sendFlow({ provider: 'genesys-cloud', apiBaseUrl: url, authBaseUrl: url, grant: 'authorization-code' }, { mode: 'queue', queueId: QUEUE, fromAddress: '', ...sender });
}

describe('Genesys authorization-code grant (signed-in user)', function () {
  this.timeout(30_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 }, { userDir: true });

  describe('guard rails: sender mode and account grant', function () {
    it('queue mode on a client-credentials account: grant_mismatch on output 2, node status says so, nothing sent', async function () {
      const { send, ok, fail } = await loadSendFlow(sendFlow({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url }, { mode: 'queue', queueId: QUEUE }), { acct: CREDS });
      send.receive({ to: '+12025550123', payload: 'hi' });
      const [m] = await fail.wait(1);
      m.error.code.should.equal('grant_mismatch');
      m.error.message.should.match(/signed-in Genesys Cloud user/);
      ok.msgs.should.be.empty();
      statuses('send').map((s) => s.text).should.containEql('agentless-send-sms.status.grant-mismatch');
      sandbox.server.requests.should.be.empty();
    });

    it('agentless mode on an authorization-code account: grant_mismatch, nothing sent', async function () {
      const { send, fail } = await loadSendFlow(sendFlow({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, grant: 'authorization-code' }), { acct: CREDS });
      send.receive({ to: '+12025550123', payload: 'hi' });
      const [m] = await fail.wait(1);
      m.error.code.should.equal('grant_mismatch');
      m.error.message.should.match(/client-credentials/);
      sandbox.server.requests.should.be.empty();
    });

    it('the sandbox account follows the same rule (queue mode needs a signed-in sandbox user)', async function () {
      const { send, ok, fail } = await loadSendFlow(sendFlow({ provider: 'sandbox' }, { mode: 'queue', queueId: QUEUE }));
      send.receive({ to: '+12025550123', payload: 'hi' });
      (await fail.wait(1))[0].error.code.should.equal('grant_mismatch');
      ok.msgs.should.be.empty();
    });
  });

  describe('signing in from the editor (admin routes)', function () {
    it('signs a user in: the code is exchanged on the server, the dialog sees the name only, queue mode sends', async function () {
      const { send, ok, fail } = await loadSendFlow(queueFlow(sandbox.url), { acct: CREDS });
      // Before: nobody, and a send fails with auth_failed without reaching the queue routes.
      send.receive({ to: '+12025550123', payload: 'before sign-in' });
      const [before] = await fail.wait(1);
      before.error.code.should.equal('auth_failed');
      before.error.details.reason.should.equal('sign-in-required');
      apiRequests(sandbox.server).should.be.empty();

      const { start, callback } = await signIn(sandbox.url);
      start.status.should.equal(200);
      start.headers['set-cookie'].toString().should.match(/HttpOnly/).and.match(/SameSite=Lax/);
      new URL(start.body.url).pathname.should.equal('/oauth/authorize');
      callback!.status.should.equal(200);
      callback!.text.should.containEql(`Signed in as ${SAM}`);

      const who = await helper.request().get('/agentless-sms/accounts/acct/sign-in').expect(200);
      who.body.should.eql({ deployed: true, state: 'signed-in', user: SAM });

      // Test connection checks the signed-in account with its stored sign-in and names the user.
      const check = await helper.request().post('/agentless-sms/accounts/test').send({ id: 'acct', provider: 'genesys-cloud', grant: 'authorization-code', credentials: {} }).expect(200);
      check.body.should.eql({ ok: true, message: `signed in as ${SAM}` });
      const undeployed = await helper.request().post('/agentless-sms/accounts/test').send({ id: 'other', provider: 'genesys-cloud', grant: 'authorization-code' }).expect(200);
      undeployed.body.ok.should.be.false();
      undeployed.body.message.should.match(/sign in first/);

      send.receive({ to: '+12025550123', payload: 'after sign-in' });
      const [m] = await ok.wait(1);
      m.sms.communicationId.should.be.a.String();
      sandbox.server.state.messages.should.have.length(1);
      sandbox.server.oauth.stats.codeGrants.should.equal(1);
      // Nothing the runtime or the routes said carries a code, a token or the client secret.
      const secrets = [...sandbox.server.oauth.issued, CREDS.clientSecret];
      const said = JSON.stringify([start.body, start.headers.location ?? '', callback!.text, who.body, check.body, ok.msgs, fail.msgs, statuses('send'), helper.log().args]);
      for (const s of secrets) said.includes(s).should.be.false();
    });

    it('refuses bad callbacks with a clear page and stores nothing: replayed state, unknown state, other browser, foreign code, cancel', async function () {
      await loadSendFlow(queueFlow(sandbox.url), { acct: CREDS });
      const status = () => helper.request().get('/agentless-sms/accounts/acct/sign-in').then((r: { body: { state: string } }) => r.body.state);

      const cancelled = await signIn(sandbox.url, { tamper: (u) => (u.search = `?error=access_denied&state=${u.searchParams.get('state')}`) });
      cancelled.callback!.status.should.equal(400);
      cancelled.callback!.text.should.match(/did not sign you in/);

      const otherBrowser = await signIn(sandbox.url, { cookie: null });
      otherBrowser.callback!.status.should.equal(400);
      otherBrowser.callback!.text.should.match(/another browser/);

      const unknown = await helper.request().get('/agentless-sms/oauth/callback?code=x&state=not-a-state').expect(400);
      unknown.text.should.match(/unknown or was already used/);
      (await helper.request().get('/agentless-sms/oauth/callback').expect(400)).text.should.match(/no state/);

      // A code issued for another redirect URI (someone else's sign-in) cannot be exchanged here.
      const foreign = await sandboxAuthorize(sandbox.url, CREDS.clientId, 'http://127.0.0.1:9/elsewhere');
      const swapped = await signIn(sandbox.url, { tamper: (u) => u.searchParams.set('code', foreign.searchParams.get('code')!) });
      swapped.callback!.status.should.equal(400);
      swapped.callback!.text.should.match(/Sign-in failed/).and.match(/invalid_grant|invalid, expired/);
      (await status()).should.not.equal('signed-in');

      // The good one works once; its replay is refused and changes nothing.
      const good = await signIn(sandbox.url);
      good.callback!.status.should.equal(200);
      const replay = await helper.request().get(`/agentless-sms/oauth/callback${good.back!.search}`).set('Cookie', good.cookie!);
      replay.status.should.equal(400);
      replay.text.should.match(/already used/);
      sandbox.server.oauth.stats.codeGrants.should.equal(1);
      (await status()).should.equal('signed-in');
    });

    it('answers clear errors for bad starts: a sandbox account that is not deployed, a foreign redirect URI, a non-Genesys platform', async function () {
      await loadSendFlow(queueFlow(sandbox.url), { acct: CREDS });
      const notDeployed = await signIn(sandbox.url, { accountId: 'nope', provider: 'sandbox' });
      notDeployed.start.status.should.equal(409);
      notDeployed.start.body.message.should.match(/deploy/);
      const post = (body: Record<string, unknown>) => helper.request().post('/agentless-sms/accounts/acct/sign-in').send(body);
      (await post({ provider: 'genesys-cloud', redirectUri: 'https://evil.example/steal' })).status.should.equal(400);
      (await post({ provider: 'genesys-cloud', redirectUri: 'javascript:alert(1)//agentless-sms/oauth/callback' })).status.should.equal(400);
      (await post({ provider: 'ccai-platform', redirectUri: 'http://127.0.0.1:1880/agentless-sms/oauth/callback' })).status.should.equal(400);
      (await helper.request().post('/agentless-sms/accounts/..%2F..%2Fetc/sign-in').send({})).status.should.be.within(400, 404);
    });
  });

  describe('token lifecycle', function () {
    async function deployedWithToken(sender: Record<string, unknown> = {}) {
      const refreshToken = await sandboxRefreshToken(sandbox.url, CREDS);
      const flow = await loadSendFlow(queueFlow(sandbox.url, sender), { acct: { ...CREDS, refreshToken } });
      return { ...flow, refreshToken };
    }

    it('a pasted refresh token works; a rotated one replaces it, so the next refresh works too', async function () {
      const { send, ok } = await deployedWithToken();
      send.receive({ to: '+12025550123', payload: 'one' });
      await ok.wait(1);
      // Access tokens gone: the next request gets 401, refreshes once with the rotated token, then sends.
      sandbox.server.control({ revokeTokens: true });
      send.receive({ to: '+12025550124', payload: 'two' });
      await ok.wait(2);
      const s = sandbox.server.oauth.stats;
      s.refreshGrants.should.equal(2);
      s.refusedGrants.should.equal(0);
      sandbox.server.requests.filter((r) => r.status === 401).length.should.equal(1);
    });

    it('renews before expiry without a 401', async function () {
      sandbox.server.control({ tokenTtlSeconds: 2 });
      try {
        const { send, ok } = await deployedWithToken();
        send.receive({ to: '+12025550123', payload: 'one' });
        await ok.wait(1);
        // Renewed at half its lifetime at the latest: a send after 1.2 s refreshes first.
        await sleep(1200);
        send.receive({ to: '+12025550124', payload: 'two' });
        await ok.wait(2);
        sandbox.server.oauth.stats.refreshGrants.should.equal(2);
        sandbox.server.requests.filter((r) => r.status === 401).should.be.empty();
      } finally {
        sandbox.server.control({ tokenTtlSeconds: 86_400 });
      }
    });

    it('one refresh for 20 concurrent sends, also after a 401 for all of them', async function () {
      const { send, ok, fail } = await deployedWithToken({ concurrency: 20 });
      for (let i = 0; i < 20; i++) send.receive({ to: `+120255501${String(i).padStart(2, '0')}`, payload: `m${i}` });
      await ok.wait(20, 15_000);
      sandbox.server.oauth.stats.refreshGrants.should.equal(1);
      // Slow answers, so the 20 requests are all open with the revoked token before the first 401 returns.
      sandbox.server.control({ revokeTokens: true, latencyMs: 150 });
      for (let i = 0; i < 20; i++) send.receive({ to: '+12025550150', payload: `again ${i}`, sms: { useExistingConversation: true } });
      await ok.wait(40, 15_000);
      fail.msgs.should.be.empty();
      sandbox.server.oauth.stats.refreshGrants.should.equal(2);
      // It was concurrent: several requests were open at once and several saw the 401 before the one refresh.
      sandbox.server.peakInFlight.should.be.above(1);
      sandbox.server.requests.filter((r) => r.status === 401).length.should.be.above(1);
      sandbox.server.control({ latencyMs: 0 });
    });

    it('a revoked refresh token fails messages with auth_failed, sends nothing, says sign in again; signing in again recovers without a redeploy', async function () {
      const { send, ok, fail } = await deployedWithToken();
      send.receive({ to: '+12025550123', payload: 'one' });
      await ok.wait(1);
      sandbox.server.control({ revokeRefreshTokens: true });
      const sentBefore = sandbox.server.state.messages.length;
      send.receive({ to: '+12025550124', payload: 'after revoke' });
      const [m] = await fail.wait(1);
      m.error.code.should.equal('auth_failed');
      m.error.details.reason.should.equal('sign-in-required');
      m.error.message.should.match(/sign in again/);
      await sleep(300);
      statuses('send').map((s) => s.text).should.containEql('agentless-send-sms.status.sign-in-again');
      // A refused token is not sent again: the next message fails without asking the login service.
      const refused = sandbox.server.oauth.stats.refusedGrants;
      send.receive({ to: '+12025550125', payload: 'still revoked' });
      await fail.wait(2);
      sandbox.server.oauth.stats.refusedGrants.should.equal(refused);
      sandbox.server.state.messages.length.should.equal(sentBefore);

      const again = await signIn(sandbox.url);
      again.callback!.status.should.equal(200);
      send.receive({ to: '+12025550126', payload: 'signed in again' });
      const [back] = await ok.wait(2);
      back.should.be.ok();
      ok.msgs[1].sms.to.should.equal('+12025550126');
      sandbox.server.state.messages.length.should.equal(sentBefore + 1);
    });

    it('a garbled pasted refresh token is never sent: auth_failed, nothing sent, a warning without the value', async function () {
      const garbled = 'not a token\u0007';
      const { send, fail } = await loadSendFlow(queueFlow(sandbox.url), { acct: { ...CREDS, refreshToken: garbled } });
      send.receive({ to: '+12025550123', payload: 'x' });
      const [m] = await fail.wait(1);
      m.error.code.should.equal('auth_failed');
      sandbox.server.requests.should.be.empty();
      const log = JSON.stringify(helper.log().args);
      log.should.containEql('agentless-account.warn.refresh-token-garbled');
      log.includes('not a token').should.be.false();
    });
  });
});
