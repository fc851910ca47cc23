import should from 'should';
import { statusView } from '../../src/send/status';
import type { DispatcherStats } from '../../src/dispatch/dispatcher';

describe('send/status view', function () {
  const base: DispatcherStats = { queued: 0, inFlight: 0, sent: 0, failed: 0, circuit: 'closed', storeOk: true };
  const now = 1_700_000_000_000;

  it('puts the most urgent state first: store, circuit, rate limit, quiet hours, queue', function () {
    statusView({ ...base, storeOk: false, circuit: 'open' }, now).key.should.equal('store-unavailable');
    statusView({ ...base, circuit: 'open', rateLimitedUntil: now + 5000 }, now).key.should.equal('circuit-open');
    const limited = statusView({ ...base, queued: 3, rateLimitedUntil: now + 4200, heldUntil: now + 60_000 }, now);
    limited.key.should.equal('rate-limited');
    limited.params.should.eql({ seconds: 5, queued: 3 });
    const held = statusView({ ...base, queued: 2, heldUntil: now + 60_000 }, now);
    held.key.should.equal('held');
    should(held.params.time).match(/^\d\d:\d\d$/);
    statusView({ ...base, queued: 1, inFlight: 1 }, now).params.should.eql({ queued: 2 });
  });

  it('shows the last outcome when idle', function () {
    statusView(base, now).key.should.equal('idle');
    statusView({ ...base, sent: 4 }, now, { ok: true }).should.containDeep({ fill: 'green', key: 'sent', params: { sent: 4 } });
    statusView({ ...base, failed: 1 }, now, { ok: false, code: 'invalid_number' }).should.containDeep({ fill: 'red', key: 'failed', params: { code: 'invalid_number' } });
  });

  it('clears a store failure once the store is back, keeping the counts', function () {
    const last = { ok: false, code: 'store_unavailable' };
    statusView({ ...base, storeOk: false, sent: 3, failed: 2 }, now, last).key.should.equal('store-unavailable');
    statusView({ ...base, storeOk: true, sent: 3, failed: 2 }, now, last).should.containDeep({ fill: 'green', key: 'sent', params: { sent: 3, failed: 2 } });
  });

  it('ignores a pause or hold that has already passed', function () {
    statusView({ ...base, queued: 1, rateLimitedUntil: now - 1, heldUntil: now - 1 }, now).key.should.equal('sending');
  });
});
