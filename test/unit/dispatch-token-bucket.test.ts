import should from 'should';
import { TokenBucket } from '../../src/dispatch/token-bucket';
import { ManualClock } from '../../src/util/clock';
import { seeded } from '../helpers/dispatch-fakes';
import { maxInWindow } from '../../bench/lib/stats';

describe('dispatch: TokenBucket', () => {
  it('never hands out more than floor(rate * t + burst + slack) over any interval', () => {
    for (const [rate, burst] of [
      [5, 1],
      [2.5, 4],
      [50, 10],
      [0.5, 2],
    ] as const) {
      const clock = new ManualClock();
      const start = clock.now();
      const bucket = new TokenBucket(rate, burst, clock);
      const random = seeded(rate * 100 + burst);
      const taken: number[] = [];
      for (let i = 0; i < 1500; i++) {
        clock.advance(Math.floor(random() * (2000 / rate)));
        // Several tries at the same instant: only the available tokens may be taken.
        for (let k = 0; k < 3; k++) if (bucket.tryTake()) taken.push(clock.now());
      }
      for (let i = 0; i < taken.length; i++) {
        for (let j = i; j < taken.length; j++) {
          const span = taken[j] - taken[i];
          if (span > 20_000) break;
          should(j - i + 1).be.belowOrEqual(Math.floor((rate * span) / 1000 + burst + TokenBucket.SLACK + 1e-9));
        }
      }
      // And it is not stingy: over the whole run it delivers close to the rate.
      const total = clock.now() - start;
      should(taken.length).be.aboveOrEqual(Math.floor(((rate * total) / 1000) * 0.5));
    }
  });

  it('starts full, then msUntilToken tells exactly when the next token is there', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(4, 2, clock);
    should(bucket.tryTake()).be.true();
    should(bucket.tryTake()).be.true();
    should(bucket.tryTake()).be.false();
    const wait = bucket.msUntilToken();
    should(wait).be.equal(250);
    clock.advance(wait - 1);
    should(bucket.tryTake()).be.false();
    clock.advance(1);
    should(bucket.msUntilToken()).be.equal(0);
    should(bucket.tryTake()).be.true();
  });

  it('carries timer lateness into the next wait, so late timers slow the long-run rate by no more than the window margin', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(20, 1, clock);
    const start = clock.now();
    let sent = 0;
    for (let i = 0; i < 200; i++) {
      if (!bucket.tryTake()) {
        // A timer asked for the exact wait and fired 2 ms late, as Node timers do under load.
        clock.advance(bucket.msUntilToken() + 2);
        should(bucket.tryTake()).be.true();
      }
      sent++;
    }
    const rate = ((sent - 1) * 1000) / (clock.now() - start);
    // The window is 1 % longer than a second: 20 per 1010 ms is 19.80/s.
    should(rate).be.within(19.75, 20.0001);
  });

  it('never lets more than max(ceil(rate), burst) through in any window of 1 % more than their time at the rate (1010 ms at 20/s)', () => {
    for (const [rate, burst] of [
      [20, 1],
      [100, 1],
      [10, 5],
      [2.5, 4],
      [7.9, 1],
      [0.5, 2],
    ] as const) {
      const clock = new ManualClock();
      const bucket = new TokenBucket(rate, burst, clock);
      const limit = Math.max(Math.ceil(rate), burst);
      should(bucket.perWindow).be.equal(limit);
      should(bucket.windowMs).be.approximately((1010 * limit) / rate, 1e-9);
      if (Number.isInteger(rate) && burst <= rate) should(bucket.windowMs).be.approximately(1010, 1e-9);
      const random = seeded(rate * 10 + burst);
      const taken: number[] = [];
      for (let i = 0; i < 4000; i++) {
        // Late and early wake-ups alike, and waits taken at their word.
        clock.advance(random() < 0.5 ? bucket.msUntilToken() : Math.floor(random() * 30));
        while (bucket.tryTake()) taken.push(clock.now());
      }
      should(maxInWindow(taken, bucket.windowMs)).be.belowOrEqual(limit);
      // Not stingy either: a sender that always waits as told (and wakes up to 2 ms late) runs within 2 % of the rate.
      const steady = new TokenBucket(rate, burst, clock);
      const start = clock.now();
      let sent = 0;
      while (clock.now() - start < 60_000) {
        while (steady.tryTake()) sent++;
        clock.advance(steady.msUntilToken() + Math.floor(random() * 3));
      }
      should((sent * 1000) / (clock.now() - start)).be.aboveOrEqual(rate * 0.98);
    }
  });

  it('msUntilToken waits for the window as well as for a token', () => {
    const clock = new ManualClock();
    // 5 a second, burst 5: five at once, then the sixth waits for the first to leave the window.
    const bucket = new TokenBucket(5, 5, clock);
    for (let i = 0; i < 5; i++) should(bucket.tryTake()).be.true();
    clock.advance(1000);
    // The bucket has refilled five tokens by now; the window has not let the first go yet.
    should(bucket.available()).be.aboveOrEqual(5);
    should(bucket.tryTake()).be.false();
    should(bucket.msUntilToken()).be.equal(10);
    clock.advance(10);
    should(bucket.tryTake()).be.true();
  });

  it('counts a request from when it left, so a slow step between the take and the request cannot crowd the window', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(2, 2, clock);
    should(bucket.tryTake()).be.true();
    const first = bucket.lastTake;
    should(bucket.tryTake()).be.true();
    const second = bucket.lastTake;
    // The first request leaves 300 ms after its take (its start record took that long), the second at once.
    bucket.departed(second);
    clock.advance(300);
    bucket.departed(first);
    clock.advance(bucket.windowMs - 300);
    // A window after the takes, the first request is only windowMs - 300 ms old: one slot is free, not two.
    should(bucket.tryTake()).be.true();
    should(bucket.tryTake()).be.false();
    should(bucket.msUntilToken()).be.aboveOrEqual(300 - 1);
    clock.advance(bucket.msUntilToken());
    should(bucket.tryTake()).be.true();
    // A ticket whose slot has been reused changes nothing: the window still counts from the two requests in it.
    const wait = bucket.msUntilToken();
    should(wait).be.above(0);
    clock.advance(100);
    bucket.departed(first);
    bucket.departed(0);
    should(bucket.msUntilToken()).be.equal(wait - 100);
    should(bucket.tryTake()).be.false();
  });

  it('keeps no window above 1,000 a window (the bucket alone paces there)', () => {
    should(new TokenBucket(1000, 1, new ManualClock()).perWindow).be.equal(1000);
    const bucket = new TokenBucket(1_000_000, 10_000, new ManualClock());
    should(bucket.perWindow).be.equal(0);
    for (let i = 0; i < 10_000; i++) should(bucket.tryTake()).be.true();
  });

  it('wouldTake(n) says whether n more requests would be let through now, tokens and window both', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(2, 2, clock);
    should(b.wouldTake(2)).be.true();
    should(b.wouldTake(3)).be.false();
    b.tryTake().should.be.true();
    should([b.wouldTake(1), b.wouldTake(2)]).eql([true, false]);
    b.tryTake().should.be.true();
    should(b.wouldTake(1)).be.false();
    // The tokens are back after a second, but both requests are still inside the 1.01 s window.
    clock.advance(1000);
    should(b.available()).be.aboveOrEqual(2);
    should(b.wouldTake(1)).be.false();
    should(b.msUntilToken()).be.above(0);
    clock.advance(10);
    should([b.wouldTake(1), b.wouldTake(2)]).eql([true, true]);
  });

  it('rejects a rate that could never send', () => {
    should(() => new TokenBucket(0, 1, new ManualClock())).throw(RangeError);
    should(() => new TokenBucket(NaN, 1, new ManualClock())).throw(RangeError);
  });
});
