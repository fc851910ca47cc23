import should from 'should';
import { TokenBucket } from '../../src/dispatch/token-bucket';
import { ManualClock } from '../../src/util/clock';
import { seeded } from '../helpers/dispatch-fakes';

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

  it('carries timer lateness into the next wait, so late timers do not slow the long-run rate', () => {
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
    should(rate).be.within(19.8, 20.0001);
  });

  it('still allows no more than rate + burst in any 1 s window at an integer rate', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, 5, clock);
    const taken: number[] = [];
    for (let t = 0; t < 10_000; t += 7) {
      clock.advance(7);
      while (bucket.tryTake()) taken.push(clock.now());
    }
    for (let i = 0; i < taken.length; i++) {
      let j = i;
      while (j < taken.length && taken[j] - taken[i] < 1000) j++;
      should(j - i).be.belowOrEqual(15);
    }
  });

  it('rejects a rate that could never send', () => {
    should(() => new TokenBucket(0, 1, new ManualClock())).throw(RangeError);
    should(() => new TokenBucket(NaN, 1, new ManualClock())).throw(RangeError);
  });
});
