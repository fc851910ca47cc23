/**
 * The dispatch engine inside a real runtime, against a Genesys-compatible server on loopback:
 * pace, 429 pauses, retries, ambiguous sends, idempotency, the bounded queue, and redeploys.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import { helper, loadSendFlow, sendFlow, sleep, useLoopbackSandbox } from '../helpers/flow';

const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };

describe('dispatch through send-sms', function () {
  this.timeout(30_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 10_000, sentToFinalMs: 10_000 }, { userDir: true });

  const account = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });
  const sends = () => sandbox.server.requests.filter((r) => r.path.endsWith('/agentless'));

  /** Largest number of timestamps inside any window of `ms` (sliding, anchored at each request). */
  function maxInWindow(times: number[], ms: number): number {
    const t = [...times].sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i] - t[j] >= ms) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  }

  it('never exceeds rate + burst in any 1 s window', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(account(), { ratePerSecond: 10, burst: 5 }), { acct: CREDS });
    for (let i = 0; i < 40; i++) send.receive({ to: '+12025550123', payload: `m${i}` });
    await ok.wait(40, 10_000);
    const times = sends().map((r) => r.at);
    times.should.have.length(40);
    maxInWindow(times, 1000).should.be.belowOrEqual(15);
    // Paced, not serialized into a crawl: 40 messages at 10/s with a burst of 5 take about 3.5 s.
    (Math.max(...times) - Math.min(...times)).should.be.within(2500, 6000);
  });

  it('pauses the account on 429 + Retry-After and sends each message exactly once', async function () {
    const { send, ok, fail } = await loadSendFlow(sendFlow(account(), { ratePerSecond: 50, burst: 10 }), { acct: CREDS });
    sandbox.server.control({ faults: [{ status: 429, count: 3, retryAfter: 1, path: 'agentless' }] });
    for (let i = 0; i < 10; i++) send.receive({ to: '+12025550123', payload: `storm ${i}` });
    await ok.wait(10, 15_000);
    fail.msgs.should.be.empty();
    const texts = sandbox.server.state.messages.map((m) => m.textBody).sort();
    texts.should.eql(Array.from({ length: 10 }, (_, i) => `storm ${i}`).sort());
    const reqs = sends();
    const limited = reqs.filter((r) => r.status === 429);
    limited.should.have.length(3);
    for (const r of limited) {
      const inside = reqs.filter((x) => x.at > r.at && x.at < r.at + 1000);
      inside.length.should.be.belowOrEqual(1, 'at most one probe inside a Retry-After window');
      inside.length.should.equal(0, 'the probe comes after the window, not inside it');
    }
  });

  it('fails with rate_limited when Retry-After is longer than the cap', async function () {
    const { send, fail } = await loadSendFlow(sendFlow(account(), { retryAfterCap: 2 }), { acct: CREDS });
    sandbox.server.control({ faults: [{ status: 429, count: 1, retryAfter: 3600, path: 'agentless' }] });
    send.receive({ to: '+12025550123', payload: 'later' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('rate_limited');
    sandbox.server.state.messages.should.be.empty();
  });

  it('retries 503 with backoff and succeeds', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(account()), { acct: CREDS });
    sandbox.server.control({ faults: [{ status: 503, count: 2, path: 'agentless' }] });
    send.receive({ to: '+12025550123', payload: 'eventually' });
    const [msg] = await ok.wait(1, 10_000);
    msg.sms.attempts.should.equal(3);
    sandbox.server.state.messages.should.have.length(1);
  });

  it('does not retry a 400', async function () {
    const { send, fail } = await loadSendFlow(sendFlow(account()), { acct: CREDS });
    sandbox.server.control({ faults: [{ status: 400, count: 1, path: 'agentless' }] });
    send.receive({ to: '+12025550123', payload: 'refused' });
    const [msg] = await fail.wait(1);
    msg.error.should.containDeep({ code: 'provider_rejected', httpStatus: 400, retryable: false });
    msg.sms.attempts.should.equal(1);
    sends().should.have.length(1);
  });

  it('reports a reset after the request was processed as ambiguous_send and does not resend it', async function () {
    const { send, fail, ok } = await loadSendFlow(sendFlow(account()), { acct: CREDS });
    sandbox.server.control({ faults: [{ status: 0, count: 1, process: true, path: 'agentless' }] });
    send.receive({ to: '+12025550123', payload: 'maybe sent' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('ambiguous_send');
    await sleep(300);
    ok.msgs.should.be.empty();
    sandbox.server.state.messages.should.have.length(1);
  });

  it('resends an ambiguous send when the sender allows at-least-once', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(account(), { resendAmbiguous: true }), { acct: CREDS });
    sandbox.server.control({ faults: [{ status: 0, count: 1, process: true, path: 'agentless' }] });
    send.receive({ to: '+12025550123', payload: 'at least once' });
    const [msg] = await ok.wait(1, 10_000);
    msg.sms.attempts.should.equal(2);
    sandbox.server.state.messages.should.have.length(2);
  });

  it('sends an idempotency key once and answers the repeat with the first result', async function () {
    const { send, ok } = await loadSendFlow(sendFlow(account()), { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'once', sms: { idempotencyKey: 'order-17' } });
    const [first] = await ok.wait(1);
    send.receive({ to: '+12025550123', payload: 'once', sms: { idempotencyKey: 'order-17' } });
    const [, second] = await ok.wait(2);
    should(first.sms.duplicate).be.undefined();
    second.sms.duplicate.should.be.true();
    second.sms.id.should.equal(first.sms.id);
    sandbox.server.state.messages.should.have.length(1);
  });

  it('answers queue_full for messages beyond the limit and keeps the older ones', async function () {
    const { send, ok, fail } = await loadSendFlow(sendFlow(account(), { ratePerSecond: 5, burst: 1, queueLimit: 3 }), { acct: CREDS });
    for (let i = 0; i < 8; i++) send.receive({ to: '+12025550123', payload: `q${i}`, n: i });
    for (let i = 0; i < 250 && ok.msgs.length + fail.msgs.length < 8; i++) await sleep(20);
    await sleep(300);
    (ok.msgs.length + fail.msgs.length).should.equal(8);
    fail.msgs.length.should.be.above(0);
    fail.msgs.every((m) => m.error.code === 'queue_full').should.be.true();
    // Never the older ones: every accepted message came before every refused one.
    Math.max(...ok.msgs.map((m) => m.n)).should.be.below(Math.min(...fail.msgs.map((m) => m.n)));
  });

  it('keeps queued messages across a redeploy and sends each exactly once', async function () {
    const flow = sendFlow(account(), { ratePerSecond: 4, burst: 1 });
    let run = await loadSendFlow(flow, { acct: CREDS });
    for (let i = 0; i < 12; i++) run.send.receive({ to: '+12025550123', payload: `r${i}`, n: i });
    await run.ok.wait(2, 5000);
    const firstOk = run.ok.msgs.length;
    await helper.unload();
    const stored = sandbox.server.state.messages.length;
    stored.should.be.below(12);
    run = await loadSendFlow(flow, { acct: CREDS });
    const rest = await run.ok.wait(12 - firstOk, 10_000);
    run.fail.msgs.should.be.empty();
    // After the restart the messages come back from the store, in order, with their properties.
    rest.map((m) => m.n).should.eql(rest.map((m) => m.n).sort((a, b) => a - b));
    const texts = sandbox.server.state.messages.map((m) => m.textBody);
    new Set(texts).size.should.equal(texts.length);
    texts.length.should.equal(12);
  });

  it('answers store_unavailable when the queue cannot be written, and sends nothing', async function () {
    // Root ignores file permissions, so make the store path impossible instead: a file where a directory must be.
    fs.writeFileSync(path.join(sandbox.userDir, 'agentless-sms'), 'not a directory');
    const { send, ok, fail } = await loadSendFlow(sendFlow(account()), { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'nowhere to keep it' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('store_unavailable');
    ok.msgs.should.be.empty();
    sandbox.server.state.messages.should.be.empty();
  });

  it('keeps one request in flight by default and up to `concurrency` when raised', async function () {
    sandbox.server.control({ latencyMs: 80 });
    try {
      let run = await loadSendFlow(sendFlow(account(), { ratePerSecond: 100, burst: 20 }), { acct: CREDS });
      for (let i = 0; i < 10; i++) run.send.receive({ to: '+12025550123', payload: `serial ${i}` });
      await run.ok.wait(10, 10_000);
      sandbox.server.peakInFlight.should.equal(1);
      await helper.unload();
      sandbox.server.reset();
      run = await loadSendFlow(sendFlow(account(), { ratePerSecond: 100, burst: 20, concurrency: 4 }), { acct: CREDS });
      for (let i = 0; i < 20; i++) run.send.receive({ to: '+12025550123', payload: `parallel ${i}` });
      await run.ok.wait(20, 10_000);
      sandbox.server.peakInFlight.should.be.within(2, 4);
      new Set(sandbox.server.state.messages.map((m) => m.textBody)).size.should.equal(20);
    } finally {
      sandbox.server.control({ latencyMs: 0 });
    }
  });
});
