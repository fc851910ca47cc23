import should from 'should';
import type { DispatcherStats } from '../../src/dispatch/dispatcher';
import { SenderMonitor, type MonitorSnapshot } from '../../src/monitor/sender-monitor';
import { ManualClock } from '../../src/util/clock';

function stats(over: Partial<DispatcherStats> = {}): DispatcherStats {
  return { queued: 0, inFlight: 0, sent: 0, failed: 0, circuit: 'closed', storeOk: true, ...over };
}

describe('SenderMonitor (sidebar numbers)', function () {
  let clock: ManualClock;
  let current: DispatcherStats;
  let published: MonitorSnapshot[];
  let listed: number;
  let monitor: SenderMonitor;

  beforeEach(function () {
    clock = new ManualClock();
    current = stats();
    published = [];
    listed = 0;
    monitor = new SenderMonitor({
      clock,
      listSenders: () => {
        listed++;
        return [{ id: 's1', name: 'Main number', ratePerSecond: 2, stats: current }];
      },
      publish: (s) => published.push(s),
      tickMs: 2000,
      leaseMs: 25_000,
    });
  });

  it('does nothing at all until an editor watches', function () {
    clock.advance(600_000);
    listed.should.equal(0);
    published.length.should.equal(0);
    clock.pendingTimers().should.equal(0);
    monitor.watching.should.be.false();
  });

  it('samples and publishes while the lease is held, then stops and forgets when it lapses', function () {
    const first = monitor.watch();
    first.senders[0].should.match({ id: 's1', name: 'Main number', sent: 0, ratePerSecond: 2 });
    monitor.watching.should.be.true();
    clock.advance(10_000);
    published.length.should.equal(1 + 5);
    clock.advance(20_000); // lease (25 s) ran out
    monitor.watching.should.be.false();
    clock.pendingTimers().should.equal(0);
    const n = published.length;
    clock.advance(60_000);
    published.length.should.equal(n);
  });

  it('reports queue, counts, the rate over the last 10 s against the limit, and rate-limit pauses', function () {
    monitor.watch();
    current = stats({ sent: 10, failed: 1, queued: 4, inFlight: 1 });
    clock.advance(2000);
    current = stats({ sent: 30, failed: 1, queued: 2 });
    clock.advance(8000);
    let s = published[published.length - 1].senders[0];
    s.sent.should.equal(30);
    s.failed.should.equal(1);
    s.queued.should.equal(2);
    s.rate.should.equal(3); // 30 sent over the 10 s window
    s.ratePerSecond.should.equal(2);
    s.rateLimitPauses.should.equal(0);

    current = stats({ sent: 30, rateLimitedUntil: clock.now() + 5000, circuit: 'open' });
    clock.advance(2000);
    current = stats({ sent: 30, rateLimitedUntil: clock.now() + 3000, circuit: 'open' });
    clock.advance(2000); // same pause still running: counted once
    s = published[published.length - 1].senders[0];
    s.rateLimitPauses.should.equal(1);
    s.circuit.should.equal('open');
    should(s.rateLimitedUntil).be.above(clock.now());
    current = stats({ sent: 30 });
    clock.advance(2000);
    current = stats({ sent: 30, rateLimitedUntil: clock.now() + 3000 });
    clock.advance(2000);
    published[published.length - 1].senders[0].rateLimitPauses.should.equal(2);
  });

  it('keeps one history point per 5 s for at most 10 minutes', function () {
    for (let i = 0; i < 80; i++) {
      monitor.watch(); // renewed like the tab does
      current = stats({ sent: i });
      clock.advance(10_000);
    }
    const h = published[published.length - 1].senders[0].history;
    h.length.should.be.within(119, 121);
    (h[h.length - 1].t - h[0].t).should.be.belowOrEqual(600_000);
    for (let i = 1; i < h.length; i++) Math.floor(h[i].t / 5000).should.be.above(Math.floor(h[i - 1].t / 5000));
  });
});
