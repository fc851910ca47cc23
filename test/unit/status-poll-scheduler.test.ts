import should from 'should';
import { PollScheduler, WaitOutcome } from '../../src/status/poll-scheduler';
import { ManualClock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import type { SmsStatus, StatusResult } from '../../src/providers/types';

const flush = async (rounds = 3) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

function status(id: string, s: SmsStatus, providerStatus: string = s): StatusResult {
  return { id, status: s, providerStatus, final: s === 'delivered' || s === 'failed' || s === 'read' };
}

/** A status source scripted per call: records when each read happened. */
function scripted(clock: ManualClock, reply: (id: string, n: number) => StatusResult | SmsError | 'hang') {
  const calls: { id: string; at: number }[] = [];
  const counts = new Map<string, number>();
  const fetchStatus = (id: string) => {
    calls.push({ id, at: clock.now() });
    const n = counts.get(id) ?? 0;
    counts.set(id, n + 1);
    const r = reply(id, n);
    if (r === 'hang') return new Promise<StatusResult>(() => {});
    return r instanceof SmsError ? Promise.reject(r) : Promise.resolve(r);
  };
  return { calls, fetchStatus };
}

describe('status: PollScheduler', () => {
  it('keeps at most one timer armed for 1,000 concurrent waits and settles every one', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    // Each message is delivered from its third read on.
    const src = scripted(clock, (id, n) => status(id, n >= 2 ? 'delivered' : 'sent'));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus, maxInFlight: 8 });
    const outcomes: WaitOutcome[] = [];
    for (let i = 0; i < 1000; i++) {
      // Spread intervals so due times differ.
      void sched.wait({ id: `m${i}`, intervalMs: 1000 + (i % 17) * 10, timeoutMs: 600_000 }).promise.then((o) => outcomes.push(o));
      should(clock.pendingTimers()).be.belowOrEqual(1);
    }
    let maxTimers = 0;
    for (let step = 0; step < 400 && outcomes.length < 1000; step++) {
      clock.advance(50);
      await flush();
      maxTimers = Math.max(maxTimers, clock.pendingTimers());
      should(sched.stats().inFlight).be.belowOrEqual(8);
    }
    should(outcomes).have.length(1000);
    should(maxTimers).be.belowOrEqual(1);
    outcomes.forEach((o) => should(o.kind).equal('final'));
    should(src.calls).have.length(3000);
    should(clock.pendingTimers()).equal(0);
    should(sched.stats()).eql({ waiting: 0, inFlight: 0, timersArmed: 0 });
    // No read of a message happened before its first interval.
    src.calls.forEach((c) => should(c.at - start).be.aboveOrEqual(1000));
  });

  it('backs off x1.5 per poll up to the cap', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const src = scripted(clock, (id) => status(id, 'sent'));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus, maxIntervalMs: 5000 });
    void sched.wait({ id: 'm', intervalMs: 1000, timeoutMs: 100_000 });
    // Answers are observed after each 10 ms step, so each gap is measured from up to 10 ms late.
    for (let i = 0; i < 3000; i++) {
      clock.advance(10);
      await flush(2);
    }
    should(src.calls[0].at - t0).equal(1000);
    const gaps = src.calls
      .slice(0, 7)
      .map((c, i, a) => (i ? c.at - a[i - 1].at : 0))
      .slice(1);
    const expected = [1500, 2250, 3375, 5000, 5000, 5000];
    gaps.forEach((g, i) => should(g).be.within(expected[i], expected[i] + 10));
  });

  it('ends a wait at its deadline as timeout, with the last status it read', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, (id) => status(id, 'sent'));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    let outcome: WaitOutcome | undefined;
    void sched.wait({ id: 'm98', intervalMs: 1000, timeoutMs: 5000 }).promise.then((o) => (outcome = o));
    for (let i = 0; i < 49; i++) {
      clock.advance(100);
      await flush();
    }
    should(outcome).be.undefined();
    clock.advance(100);
    await flush();
    should(outcome).containDeep({ kind: 'timeout', last: { id: 'm98', status: 'sent' }, polls: 3 });
    should(clock.pendingTimers()).equal(0);
  });

  it('does not fail a wait on a 429: it reschedules no earlier than Retry-After', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const src = scripted(clock, (id, n) =>
      n === 0 ? new SmsError('rate_limited', 'slow down', { httpStatus: 429, retryable: true, retryAfterMs: 20_000 }) : status(id, 'delivered', 'delivery-success'),
    );
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    let outcome: WaitOutcome | undefined;
    void sched.wait({ id: 'm', intervalMs: 1000, timeoutMs: 60_000 }).promise.then((o) => (outcome = o));
    for (let i = 0; i < 300; i++) {
      clock.advance(100);
      await flush();
    }
    should(outcome).containDeep({ kind: 'final', status: { status: 'delivered' }, polls: 2 });
    should(src.calls[1].at - src.calls[0].at).be.aboveOrEqual(20_000);
    should(src.calls[0].at - t0).equal(1000);
  });

  it('retries transient errors and reports the last one when the deadline passes without a read', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, () => new SmsError('network_error', 'unreachable', { retryable: true }));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    let outcome: WaitOutcome | undefined;
    void sched.wait({ id: 'm', intervalMs: 1000, timeoutMs: 10_000 }).promise.then((o) => (outcome = o));
    for (let i = 0; i < 101; i++) {
      clock.advance(100);
      await flush();
    }
    should(outcome!.kind).equal('timeout');
    should((outcome as { error?: SmsError }).error!.code).equal('network_error');
    should(src.calls.length).be.above(2);
  });

  it('ends a wait at once on an error retrying cannot fix', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, () => new SmsError('not_found', 'no such message', { httpStatus: 404 }));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    let outcome: WaitOutcome | undefined;
    void sched.wait({ id: 'm', intervalMs: 1000, timeoutMs: 60_000 }).promise.then((o) => (outcome = o));
    clock.advance(1000);
    await flush();
    should(outcome).containDeep({ kind: 'error', error: { code: 'not_found' }, polls: 1 });
    should(src.calls).have.length(1);
    should(clock.pendingTimers()).equal(0);
  });

  it('keeps in-flight reads under the cap and serves queued polls as slots free', async () => {
    const clock = new ManualClock();
    const release: (() => void)[] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const sched = new PollScheduler({
      clock,
      maxInFlight: 3,
      fetchStatus: (id) =>
        new Promise<StatusResult>((resolve) => {
          inFlight++;
          maxSeen = Math.max(maxSeen, inFlight);
          release.push(() => {
            inFlight--;
            resolve(status(id, 'delivered'));
          });
        }),
    });
    const done: string[] = [];
    for (let i = 0; i < 10; i++) void sched.wait({ id: `m${i}`, intervalMs: 1000, timeoutMs: 60_000 }).promise.then((o) => done.push(o.kind));
    clock.advance(1000);
    await flush();
    should(release).have.length(3);
    while (done.length < 10) {
      release.shift()!();
      await flush();
    }
    should(maxSeen).equal(3);
    should(done).eql(Array(10).fill('final'));
  });

  it('times out a wait whose read is still in flight at the deadline and ignores the late answer', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, () => 'hang');
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    let outcome: WaitOutcome | undefined;
    void sched.wait({ id: 'm', intervalMs: 1000, timeoutMs: 3000 }).promise.then((o) => (outcome = o));
    clock.advance(3000);
    await flush();
    should(outcome).containDeep({ kind: 'timeout', polls: 1 });
  });

  it('cancel() settles one wait as closed; close() settles all and refuses new ones', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, (id) => status(id, 'sent'));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    const kinds: string[] = [];
    const a = sched.wait({ id: 'a', intervalMs: 1000, timeoutMs: 60_000 });
    void a.promise.then((o) => kinds.push(`a:${o.kind}`));
    for (const id of ['b', 'c']) void sched.wait({ id, intervalMs: 1000, timeoutMs: 60_000 }).promise.then((o) => kinds.push(`${id}:${o.kind}`));
    a.cancel();
    await flush();
    should(kinds).eql(['a:closed']);
    clock.advance(1500);
    await flush();
    should(src.calls.map((c) => c.id)).eql(['b', 'c']);
    sched.close();
    await flush();
    should(kinds).eql(['a:closed', 'b:closed', 'c:closed']);
    should(clock.pendingTimers()).equal(0);
    const late = await sched.wait({ id: 'd', intervalMs: 1000, timeoutMs: 60_000 }).promise;
    should(late.kind).equal('closed');
    clock.advance(120_000);
    await flush();
    should(src.calls).have.length(2);
  });

  it('does not let cancelled waits pile up in its queue', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, (id) => status(id, 'sent'));
    const sched = new PollScheduler({ clock, fetchStatus: src.fetchStatus });
    for (let i = 0; i < 5000; i++) sched.wait({ id: `m${i}`, intervalMs: 1000, timeoutMs: 3_600_000 }).cancel();
    should((sched as unknown as { heap: unknown[] }).heap.length).be.belowOrEqual(200);
    should(sched.stats().waiting).equal(0);
    should(clock.pendingTimers()).equal(0);
  });
});
