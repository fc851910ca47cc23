import should from 'should';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Dispatcher, type DispatcherOptions, type SendJob, type SendOutcome } from '../../src/dispatch/dispatcher';
import { AccountBudget } from '../../src/dispatch/request-budget';
import { unlimitedBudget, type RequestBudget } from '../../src/providers/types';
import { ManualClock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import { FakeProvider, httpError, job, ok, seeded, settle, until, type Reply, dispatchOptions } from '../helpers/dispatch-fakes';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sms-dispatch-'));
}

interface Harness {
  clock: ManualClock;
  provider: FakeProvider;
  d: Dispatcher;
  outcomes: { job: SendJob; outcome: SendOutcome }[];
  /** Advance the clock in steps, letting promise chains (and file writes) run in between. */
  run(ms: number, step?: number): Promise<void>;
}

async function harness(
  script: (m: { to: string }, i: number) => Reply,
  opts: Partial<DispatcherOptions> = {},
  budgetFor?: (clock: ManualClock) => RequestBudget,
  clock = new ManualClock(),
): Promise<Harness> {
  const budget = budgetFor ? budgetFor(clock) : unlimitedBudget;
  const provider = new FakeProvider(clock, script, budget);
  const d = new Dispatcher(() => Promise.resolve(provider), budget, dispatchOptions(clock, opts));
  await d.start();
  const outcomes: Harness['outcomes'] = [];
  d.register('n1', (j, o) => outcomes.push({ job: j, outcome: o }));
  const durable = opts.storeDir != null;
  return {
    clock,
    provider,
    d,
    outcomes,
    async run(ms, step = 100) {
      for (let t = 0; t < ms; t += step) {
        clock.advance(Math.min(step, ms - t));
        await (durable ? new Promise((r) => setTimeout(r, 1)) : settle(5));
      }
      await settle(5);
    },
  };
}

function codes(h: Harness): string[] {
  return h.outcomes.map((o) => (o.outcome.ok ? (o.outcome.duplicate ? 'duplicate' : 'ok') : o.outcome.error.code));
}

describe('dispatch: Dispatcher', () => {
  it('retries a 503 with backoff and then succeeds', async () => {
    const h = await harness((_m, i) => (i < 2 ? httpError(503) : ok('m1')));
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.run(100);
    should(h.provider.calls.length).equal(1);
    await h.run(5000);
    should(codes(h)).eql(['ok']);
    should(h.outcomes[0].outcome.attempts).equal(3);
    // Backoff with random 0.5: 500 ms after the first failure, 1000 ms after the second.
    const gaps = h.provider.calls.slice(1).map((c, i) => c.at - h.provider.calls[i].at);
    should(gaps[0]).be.within(500, 600);
    should(gaps[1]).be.within(1000, 1100);
  });

  it('does not retry a 400: output at once with the error', async () => {
    const h = await harness(() => httpError(400));
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.run(10_000);
    should(h.provider.calls.length).equal(1);
    should(codes(h)).eql(['provider_rejected']);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const h = await harness(() => httpError(502), { maxAttempts: 3 });
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.run(20_000);
    should(h.provider.calls.length).equal(3);
    should(codes(h)).eql(['provider_unavailable']);
  });

  it('reports an ambiguous send by default and resends it when the option is on', async () => {
    const timeout = (): SmsError => new SmsError('timeout', 'read timeout', { sent: 'maybe' });
    const h1 = await harness((_m, i) => (i === 0 ? timeout() : ok('m')));
    await h1.d.submit(job('n1', '+15550000001', h1.clock));
    await h1.run(5000);
    should(h1.provider.calls.length).equal(1);
    should(codes(h1)).eql(['ambiguous_send']);

    const h2 = await harness((_m, i) => (i === 0 ? timeout() : ok('m')), { resendAmbiguous: true });
    await h2.d.submit(job('n1', '+15550000001', h2.clock));
    await h2.run(5000);
    should(h2.provider.calls.length).equal(2);
    should(codes(h2)).eql(['ok']);
  });

  it('fails with rate_limited when Retry-After exceeds the cap, without holding the message', async () => {
    const h = await harness(
      () => httpError(429, { retryAfterMs: 3600_000 }),
      {},
      (clock) => new AccountBudget({ requestsPerMinute: 600, clock, random: () => 0 }),
    );
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.d.submit(job('n1', '+15550000002', h.clock));
    await h.run(200);
    should(h.provider.calls.length).equal(1);
    should(codes(h)).eql(['rate_limited', 'rate_limited']);
    should(h.d.stats().rateLimitedUntil).be.above(h.clock.now());
  });

  it("counts a paced request in the sender's window from when it leaves, not from when the budget got it", async () => {
    // 5 a second, burst 5, 5 in flight: a window of 5 per 1010 ms. The account's budget holds the first
    // request 300 ms; the other four leave at once.
    const held = (clock: ManualClock): RequestBudget => {
      let first = true;
      return {
        acquire: () => {
          if (!first) return Promise.resolve();
          first = false;
          return new Promise((resolve) => clock.setTimer(resolve, 300));
        },
        onRateLimited: () => {},
      };
    };
    const h = await harness(() => ok('m'), { ratePerSecond: 5, burst: 5, maxInFlight: 5 }, held);
    const t0 = h.clock.now();
    for (let i = 0; i < 10; i++) await h.d.submit(job('n1', `+1555000000${i}`, h.clock));
    await h.run(2000, 10);
    const at = h.provider.calls.map((c) => c.at - t0).sort((a, b) => a - b);
    should(at).have.length(10);
    // The four slots that left at 0 open at 1010; the held one's opens a window after it left, at 300.
    should(at).eql([0, 0, 0, 0, 300, 1010, 1010, 1010, 1010, 1310]);
    for (let i = 5; i < at.length; i++) should(at[i] - at[i - 5]).be.aboveOrEqual(1010, `request ${i} and the fifth before it`);
    await h.d.close();
  });

  it('sends nothing inside a Retry-After window except the one probe at its end', async () => {
    let limited = true;
    const h = await harness(
      () => (limited ? httpError(429, { retryAfterMs: 10_000 }) : ok('m')),
      { ratePerSecond: 50, burst: 5, maxAttempts: 10 },
      (clock) => new AccountBudget({ requestsPerMinute: 6000, clock, random: () => 0.5, maxJitterMs: 1000 }),
    );
    const t0 = h.clock.now();
    for (let i = 0; i < 5; i++) await h.d.submit(job('n1', `+1555000000${i}`, h.clock));
    await h.run(100, 10);
    should(h.provider.calls.length).equal(1);
    const pauseEnd = t0 + 10_500;
    // The second 429 (the probe) at the end of the window starts a new one.
    await h.run(pauseEnd - h.clock.now() + 50, 10);
    should(h.provider.calls.map((c) => c.at - t0)).eql([0, 10_500]);
    limited = false;
    await h.run(15_000, 50);
    const inWindows = h.provider.calls.filter((c) => (c.at > t0 && c.at < pauseEnd) || (c.at > pauseEnd && c.at < pauseEnd + 10_500));
    should(inWindows).eql([]);
    should(codes(h)).eql(['ok', 'ok', 'ok', 'ok', 'ok']);
    should(h.outcomes.map((o) => o.job.message.to)).eql([0, 1, 2, 3, 4].map((i) => `+1555000000${i}`));
  });

  it('rides out a 429 storm longer than maxAttempts without giving up (429s are pacing, not failures)', async () => {
    let storm = 8;
    const h = await harness(
      () => (storm-- > 0 ? httpError(429, { retryAfterMs: 5_000 }) : ok('m')),
      { ratePerSecond: 50, burst: 5, maxAttempts: 2, deadlineMs: 0 },
      (clock) => new AccountBudget({ requestsPerMinute: 6000, clock, random: () => 0 }),
    );
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.run(60_000, 100);
    should(codes(h)).eql(['ok']);
    should(h.provider.calls.length).equal(9);
  });

  it('opens the breaker on failures, holds queued messages, probes after the cool-down and closes', async () => {
    let healthy = false;
    const h = await harness(() => (healthy ? ok('m') : new SmsError('network_error', 'ECONNREFUSED', { sent: 'no' })), {
      maxAttempts: 1,
      breaker: { minimumCalls: 4, failureThreshold: 0.5, coolDownMs: 30_000, windowMs: 60_000 },
    });
    for (let i = 0; i < 4; i++) await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.run(200);
    should(h.d.stats().circuit).equal('open');
    should(codes(h)).eql(['network_error', 'network_error', 'network_error', 'network_error']);
    healthy = true;
    for (let i = 0; i < 3; i++) await h.d.submit(job('n1', '+15550000002', h.clock));
    await h.run(29_000);
    should(h.provider.calls.length).equal(4);
    should(h.d.stats().queued).equal(3);
    await h.run(1500);
    should(h.d.stats().circuit).equal('closed');
    should(codes(h).slice(4)).eql(['ok', 'ok', 'ok']);
  });

  it('in fail-fast mode rejects with circuit_open while the breaker is open', async () => {
    const h = await harness(() => httpError(503), { maxAttempts: 1, breakerFailFast: true, breaker: { minimumCalls: 2, failureThreshold: 0.5 } });
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.d.submit(job('n1', '+15550000001', h.clock));
    await h.run(200);
    should(codes(h)).eql(['provider_unavailable', 'provider_unavailable', 'circuit_open']);
    const err = await h.d.submit(job('n1', '+15550000001', h.clock)).then(
      () => null,
      (e: unknown) => e,
    );
    should((err as SmsError).code).equal('circuit_open');
  });

  it('answers queue_full for a message that does not fit and keeps every older one', async () => {
    const h = await harness(
      () => ok('m'),
      { queueLimit: 3 },
      (clock) => new AccountBudget({ requestsPerMinute: 600, clock, random: () => 0 }),
    );
    // A paused account holds everything in the queue while we fill it.
    (h.d as unknown as { budget: AccountBudget }).budget.onRateLimited(10_000);
    const accepted: string[] = [];
    const rejected: string[] = [];
    for (let i = 0; i < 6; i++) {
      const j = job('n1', `+1555000000${i}`, h.clock);
      await h.d.submit(j).then(
        () => accepted.push(j.message.to),
        (e: SmsError) => rejected.push(e.code),
      );
    }
    should(accepted.length).equal(3);
    should(rejected).eql(['queue_full', 'queue_full', 'queue_full']);
    should(accepted).eql(['+15550000000', '+15550000001', '+15550000002']);
    should(h.provider.calls.length).equal(0);
    await h.run(12_000);
    should(h.outcomes.map((o) => o.job.message.to)).eql(accepted);
  });

  it('answers a repeated idempotency key with the first result, without sending again', async () => {
    const h = await harness((_m, i) => ok(`m${i}`));
    await h.d.submit(job('n1', '+15550000001', h.clock, { idempotencyKey: 'k1' }));
    await h.d.submit(job('n1', '+15550000001', h.clock, { idempotencyKey: 'k1' }));
    await h.run(1000);
    await h.d.submit(job('n1', '+15550000001', h.clock, { idempotencyKey: 'k1' }));
    await h.run(1000);
    should(h.provider.calls.length).equal(1);
    should(codes(h)).eql(['ok', 'duplicate', 'duplicate']);
    for (const o of h.outcomes) should((o.outcome as { result: { id: string } }).result.id).equal('m0');
  });

  it('holds outcomes for a node that is not registered and delivers them in order once it is', async () => {
    const h = await harness(() => ok('m'));
    const a = job('n2', '+15550000001', h.clock);
    const b = job('n2', '+15550000002', h.clock);
    await h.d.submit(a);
    await h.d.submit(b);
    await h.run(500);
    const got: string[] = [];
    h.d.register('n2', (j) => got.push(j.id));
    should(got).eql([a.id, b.id]);
  });

  it('resumes queued jobs in order after a restart and reports the one in flight as ambiguous_send', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    // First life: the first request never returns (the process is "killed" during it).
    const h1 = await harness(() => 'hang', { storeDir: dir, ratePerSecond: 1, burst: 1, closeTimeoutMs: 1000 }, undefined, clock);
    const jobs = [1, 2, 3].map((i) => job('n1', `+1555000000${i}`, clock, { msg: { payload: `text ${i}`, topic: 't' } }));
    for (const j of jobs) await h1.d.submit(j);
    await until(() => h1.provider.calls.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    // Simulate kill -9: no close(), just read the same directory with a new dispatcher.
    const h2 = await harness(() => ok('sent'), { storeDir: dir, ratePerSecond: 100, burst: 10 }, undefined, clock);
    await h2.run(500);
    await until(() => h2.outcomes.length === 3);
    should(h2.outcomes.map((o) => o.job.id)).eql(jobs.map((j) => j.id));
    should(codes(h2)).eql(['ambiguous_send', 'ok', 'ok']);
    should(h2.outcomes[1].job.msg).eql({ payload: 'text 2', topic: 't' });
    should(h2.provider.calls.length).equal(2);
    await h2.d.close();
    // Let the first life's handles go (its close gives up on the hung request after closeTimeoutMs).
    const closing = h1.d.close();
    await settle();
    clock.advance(1000);
    await closing;
    // Third life: everything was delivered, nothing comes back.
    const h3 = await harness(() => ok('again'), { storeDir: dir }, undefined, clock);
    await h3.run(500);
    should(h3.outcomes).eql([]);
    await h3.d.close();
  });

  it('keeps queued jobs across close() and sends them after the next start', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const h1 = await harness(() => ok('m'), { storeDir: dir, ratePerSecond: 1, burst: 1 }, undefined, clock);
    for (let i = 0; i < 3; i++) await h1.d.submit(job('n1', `+1555000000${i}`, clock));
    await until(() => h1.outcomes.length === 1);
    await h1.d.close();
    const err = await h1.d.submit(job('n1', '+15550000009', clock)).then(
      () => null,
      (e: unknown) => e,
    );
    should((err as SmsError).code).equal('closed');
    const h2 = await harness(() => ok('m'), { storeDir: dir, ratePerSecond: 100 }, undefined, clock);
    await h2.run(500);
    await until(() => h2.outcomes.length === 2);
    should(h2.outcomes.map((o) => o.job.message.to)).eql(['+15550000001', '+15550000002']);
    await h2.d.close();
  });

  it('answers store_unavailable when the store directory cannot be written, and does not crash', async () => {
    const file = path.join(tmpDir(), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const h = await harness(() => ok('m'), { storeDir: path.join(file, 'store') });
    should(h.d.stats().storeOk).be.false();
    const err = await h.d.submit(job('n1', '+15550000001', h.clock)).then(
      () => null,
      (e: unknown) => e,
    );
    should((err as SmsError).code).equal('store_unavailable');
    should(h.provider.calls.length).equal(0);
  });

  it('gives every submitted job exactly one outcome under a random mix of failures', async () => {
    const random = seeded(7);
    const replies: (() => Reply)[] = [
      () => ok('m'),
      () => ok('m'),
      () => httpError(503),
      () => httpError(400),
      () => httpError(429, { retryAfterMs: 2000 }),
      () => new SmsError('network_error', 'reset', { sent: 'no' }),
      () => new SmsError('timeout', 'timeout', { sent: 'maybe' }),
    ];
    const h = await harness(
      () => replies[Math.floor(random() * replies.length)](),
      {
        queueLimit: 20,
        maxAttempts: 4,
        deadlineMs: 120_000,
        breaker: { minimumCalls: 10, failureThreshold: 0.5, coolDownMs: 5000 },
        random,
      },
      (clock) => new AccountBudget({ requestsPerMinute: 120, clock, random }),
    );
    const submitted = new Set<string>();
    let rejected = 0;
    for (let i = 0; i < 80; i++) {
      const j = job('n1', '+15550000001', h.clock, random() < 0.2 ? { idempotencyKey: `k${i % 5}` } : {});
      await h.d.submit(j).then(
        () => submitted.add(j.id),
        () => rejected++,
      );
      await h.run(Math.floor(random() * 2000), 100);
    }
    await h.run(300_000, 500);
    const seen = h.outcomes.map((o) => o.job.id);
    should(new Set(seen).size).equal(seen.length);
    should(seen.length).equal(submitted.size);
    for (const id of seen) should(submitted.has(id)).be.true();
    should(h.d.stats()).match({ queued: 0, inFlight: 0 });
    should(submitted.size + rejected).equal(80);
  });
});
