import should from 'should';
import { AccountBudget } from '../../src/dispatch/request-budget';
import { parseRetryAfter } from '../../src/util/retry-after';
import { ManualClock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import { seeded, settle } from '../helpers/dispatch-fakes';

/** Records the instant of each grant (a resolved promise is only observed after the clock moved on). */
class RecordingBudget extends AccountBudget {
  grants: number[] = [];
  protected override grant(now: number): void {
    this.grants.push(now);
    super.grant(now);
  }
}

describe('dispatch: AccountBudget', () => {
  it('never grants more than requestsPerMinute in any 60 s window, and serves every waiter', async () => {
    const clock = new ManualClock();
    const budget = new RecordingBudget({ requestsPerMinute: 7, clock });
    const random = seeded(42);
    const grants = budget.grants;
    let served = 0;
    let asked = 0;
    for (let step = 0; step < 400; step++) {
      const burst = Math.floor(random() * 4);
      for (let k = 0; k < burst; k++) {
        asked++;
        void budget.acquire().then(() => served++);
      }
      clock.advance(Math.floor(random() * 9000));
      await settle(2);
    }
    for (let i = 0; i < 60; i++) {
      clock.advance(60_000);
      await settle(2);
    }
    should(served).equal(asked);
    should(grants.length).equal(asked);
    for (let i = 0; i < grants.length; i++) {
      let inWindow = 0;
      for (let j = i; j < grants.length && grants[j] < grants[i] + 60_000; j++) inWindow++;
      should(inWindow).be.belowOrEqual(7);
    }
  });

  it('grants in FIFO order', async () => {
    const clock = new ManualClock();
    const budget = new AccountBudget({ requestsPerMinute: 2, clock });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) void budget.acquire().then(() => order.push(i));
    for (let i = 0; i < 3; i++) {
      await settle();
      clock.advance(60_000);
    }
    await settle();
    should(order).eql([0, 1, 2, 3, 4]);
  });

  it('after a 429 grants nothing until Retry-After + jitter, then exactly one probe until it is answered', async () => {
    const clock = new ManualClock();
    const budget = new AccountBudget({ requestsPerMinute: 1000, clock, random: () => 0.5, maxJitterMs: 1000 });
    const t0 = clock.now();
    budget.onRateLimited(10_000);
    should(budget.pausedUntil()).equal(t0 + 10_500);
    const grants: number[] = [];
    for (let i = 0; i < 5; i++) void budget.acquire().then(() => grants.push(clock.now()));
    for (let ms = 0; ms < 10_499; ms += 500) {
      clock.advance(Math.min(500, 10_499 - ms));
      await settle();
    }
    should(grants).eql([]);
    clock.advance(1);
    await settle();
    should(grants).eql([t0 + 10_500]);
    should(budget.state().probing).be.true();
    clock.advance(5000);
    await settle();
    should(grants.length).equal(1);
    budget.onResponse();
    await settle();
    should(grants.length).equal(5);
    should(budget.pausedUntil()).be.undefined();
  });

  it('a 429 on the probe starts a new pause; an unanswered probe reopens after the probe timeout', async () => {
    const clock = new ManualClock();
    const budget = new AccountBudget({ requestsPerMinute: 1000, clock, random: () => 0, probeTimeoutMs: 15_000 });
    budget.onRateLimited(1000);
    const grants: number[] = [];
    for (let i = 0; i < 3; i++) void budget.acquire().then(() => grants.push(clock.now()));
    clock.advance(1000);
    await settle();
    should(grants.length).equal(1);
    budget.onRateLimited(2000);
    clock.advance(1999);
    await settle();
    should(grants.length).equal(1);
    clock.advance(1);
    await settle();
    should(grants.length).equal(2);
    clock.advance(14_999);
    await settle();
    should(grants.length).equal(2);
    clock.advance(1);
    await settle();
    should(grants.length).equal(3);
  });

  it('close() rejects waiters so nothing hangs', async () => {
    const clock = new ManualClock();
    const budget = new AccountBudget({ requestsPerMinute: 1, clock });
    await budget.acquire();
    const waiting = budget.acquire();
    budget.close();
    const err = await waiting.then(
      () => null,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(SmsError);
    should((err as SmsError).code).equal('closed');
    should(clock.pendingTimers()).equal(0);
  });

  it('parseRetryAfter reads seconds and HTTP dates and refuses garbage', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    should(parseRetryAfter('120', now)).equal(120_000);
    should(parseRetryAfter(' 0 ', now)).equal(0);
    should(parseRetryAfter('Wed, 21 Oct 2015 07:30:00 GMT', now)).equal(120_000);
    should(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).equal(0);
    should(parseRetryAfter(undefined, now)).be.undefined();
    should(parseRetryAfter('', now)).be.undefined();
    should(parseRetryAfter('-5', now)).be.undefined();
    should(parseRetryAfter('soon', now)).be.undefined();
  });
});
