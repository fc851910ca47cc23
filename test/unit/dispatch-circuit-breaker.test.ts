import should from 'should';
import { CircuitBreaker } from '../../src/dispatch/circuit-breaker';
import { ManualClock } from '../../src/util/clock';

describe('dispatch: CircuitBreaker', () => {
  const opts = { windowMs: 300_000, failureThreshold: 0.15, minimumCalls: 20, coolDownMs: 30_000 };

  it('stays closed below the minimum number of calls, opens when the ratio exceeds the threshold', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(opts, clock);
    for (let i = 0; i < 10; i++) b.onFailure();
    should(b.state).equal('closed');
    for (let i = 0; i < 60; i++) b.onSuccess();
    // 10 / 70 = 14.3 %: not above 15 %
    should(b.state).equal('closed');
    b.onFailure(); // 11 / 71 = 15.5 %
    should(b.state).equal('open');
    should(b.allowRequest()).be.false();
  });

  it('forgets calls older than the window', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(opts, clock);
    for (let i = 0; i < 19; i++) b.onFailure();
    clock.advance(300_001);
    b.onFailure();
    should(b.counts()).eql({ calls: 1, failures: 1 });
    should(b.state).equal('closed');
  });

  it('after the cool-down lets one probe through; success closes, failure reopens', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(opts, clock);
    for (let i = 0; i < 20; i++) b.onFailure();
    should(b.state).equal('open');
    clock.advance(29_999);
    should(b.allowRequest()).be.false();
    clock.advance(1);
    should(b.allowRequest()).be.true();
    should(b.state).equal('half-open');
    should(b.allowRequest()).be.false();
    should(b.msUntilAllowed()).equal(Infinity);
    b.onFailure();
    should(b.state).equal('open');
    should(b.msUntilAllowed()).equal(30_000);
    clock.advance(30_000);
    should(b.allowRequest()).be.true();
    b.onIgnored(); // a 429 on the probe decides nothing
    should(b.state).equal('half-open');
    should(b.allowRequest()).be.true();
    b.onSuccess();
    should(b.state).equal('closed');
    should(b.counts()).eql({ calls: 0, failures: 0 });
  });
});
