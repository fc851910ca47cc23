/**
 * A gateway's 504 after the platform took the message, end to end: send-sms in a real runtime, the
 * sandbox told over HTTP (POST /sandbox/control) to record the message and then answer 504.
 */
import should from 'should';
import { loadSendFlow, sendFlow, sleep, useLoopbackSandbox } from '../helpers/flow';

const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };

describe('gateway timeout (504) after the request was sent', function () {
  this.timeout(30_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 10_000, sentToFinalMs: 10_000 }, { userDir: true });
  const account = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });
  const sends = () => sandbox.server.requests.filter((r) => r.path.endsWith('/agentless'));

  async function fault(f: Record<string, unknown>): Promise<void> {
    const r = await fetch(`${sandbox.url}/sandbox/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: [f] }),
    });
    r.status.should.equal(200);
  }

  it('reports ambiguous_send and does not resend: the sandbox recorded the message once', async function () {
    const { send, ok, fail } = await loadSendFlow(sendFlow(account(), { maxAttempts: 5 }), { acct: CREDS });
    await fault({ status: 504, count: 1, process: true, path: 'agentless' });
    send.receive({ to: '+12025550123', payload: 'maybe sent' });
    const [msg] = await fail.wait(1, 10_000);
    msg.error.code.should.equal('ambiguous_send');
    msg.error.httpStatus.should.equal(504);
    msg.error.retryable.should.be.false();
    msg.sms.provider.should.equal('genesys-cloud');
    await sleep(500);
    ok.msgs.should.be.empty();
    sends().should.have.length(1);
    sandbox.server.state.messages.map((m) => m.textBody).should.eql(['maybe sent']);
  });

  it('resends after a 504 only when the sender allows ambiguous resends (at-least-once)', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(account(), { resendAmbiguous: true }), { acct: CREDS });
    await fault({ status: 504, count: 1, process: true, path: 'agentless' });
    send.receive({ to: '+12025550123', payload: 'at least once' });
    const [msg] = await ok.wait(1, 10_000);
    msg.sms.attempts.should.equal(2);
    sandbox.server.state.messages.should.have.length(2);
  });

  for (const status of [502, 503]) {
    it(`still retries a ${status} (the request was not processed) and sends once`, async function () {
      const { send, ok, fail } = await loadSendFlow(sendFlow(account()), { acct: CREDS });
      await fault({ status, count: 1, path: 'agentless' });
      send.receive({ to: '+12025550123', payload: `after ${status}` });
      const [msg] = await ok.wait(1, 10_000);
      msg.sms.attempts.should.equal(2);
      should(fail.msgs).be.empty();
      sends().map((r) => r.status).should.eql([status, 202]);
      sandbox.server.state.messages.should.have.length(1);
    });
  }
});
