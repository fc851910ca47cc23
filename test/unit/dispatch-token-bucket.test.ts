import should from 'should';
import { TokenBucket } from '../../src/dispatch/token-bucket';
import { ManualClock } from '../../src/util/clock';
import { seeded } from './dispatch-fakes';

describe('dispatch: TokenBucket', () => {
  it('never hands out more than rate * t + burst over any interval', () => {
    for (const [rate, burst] of [[5, 1], [2.5, 4], [50, 10], [0.5, 2]] as const) {
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
          should(j - i + 1).be.belowOrEqual((rate * span) / 1000 + burst + 1e-9);
        }
      }
      // And it is not stingy: over the whole run it delivers close to the rate.
      const total = clock.now() - start;
      should(taken.length).be.aboveOrEqual(Math.floor((rate * total) / 1000 * 0.5));
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

  it('rejects a rate that could never send', () => {
    should(() => new TokenBucket(0, 1, new ManualClock())).throw(RangeError);
    should(() => new TokenBucket(NaN, 1, new ManualClock())).throw(RangeError);
  });
});
