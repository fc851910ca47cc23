/**
 * Redis going away and coming back: submissions are answered store_unavailable and the dispatcher's
 * stats say so while it is down; with the same server back on its port everything works again without
 * a restart. Starts its own redis-server (fails, never skips, when it is not installed).
 */
import assert from 'node:assert';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';
import { Dispatcher, type SendOutcome } from '../../src/dispatch/dispatcher';
import { RedisCoordination } from '../../src/coordination/coordination';
import { DISPATCH_DEFAULTS } from '../../src/send/sender';
import { toSmsError } from '../../src/util/errors';
import { RedisServer } from '../helpers/redis-server';
import { FakeProvider, job, ok } from '../helpers/dispatch-fakes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

describe('Redis coordination: outage and recovery', function () {
  this.timeout(30_000);
  const server = new RedisServer();
  after(() => server.stop());

  it('answers store_unavailable while Redis is down and recovers when it returns', async () => {
    await server.start();
    const coord = new RedisCoordination(
      'acct-outage',
      { url: server.url, keyPrefix: 'outage:', tls: false, leaseMs: 2000, whenDown: 'fail' },
      { requestsPerMinute: 1000 },
      { clock: systemClock, logger: silentLogger },
    );
    const stores = coord.senderStores('s1', { queueLimit: 100, maxInFlight: 1, ratePerSecond: 100, burst: 5, idempotencyRetentionMs: 60_000, logger: silentLogger });
    const provider = new FakeProvider(systemClock, (_m, i) => ok(`id-${i}`), coord.budget);
    const d = new Dispatcher(() => Promise.resolve(provider), coord.budget, {
      ...DISPATCH_DEFAULTS,
      storeDir: null,
      ratePerSecond: 100,
      burst: 5,
      breaker: {},
      clock: systemClock,
      logger: silentLogger,
      queueStore: stores.queueStore,
      idempotencyStore: stores.idempotencyStore,
    });
    const outcomes: SendOutcome[] = [];
    d.register('n', (_j, o) => outcomes.push(o));
    await d.start();
    await d.submit(job('n', '+12025550101', systemClock));
    assert.ok(await waitFor(() => outcomes.length === 1, 5000));
    assert.strictEqual(d.stats().storeOk, true);

    await server.stop();
    assert.ok(await waitFor(() => !d.stats().storeOk, 5000), 'stats show the store down');
    const err = await d.submit(job('n', '+12025550102', systemClock)).then(
      () => null,
      (e) => toSmsError(e),
    );
    assert.strictEqual(err?.code, 'store_unavailable');
    // Answered on output 2, so counted as failed like any other output-2 answer.
    assert.strictEqual(d.stats().failed, 1);

    await server.start(); // same port
    assert.ok(await waitFor(() => d.stats().storeOk, 10_000), 'stats recover');
    await d.submit(job('n', '+12025550103', systemClock));
    assert.ok(await waitFor(() => outcomes.length === 2, 10_000), 'a message sent after recovery');
    assert.ok(outcomes.every((o) => o.ok));
    assert.deepStrictEqual(
      provider.calls.map((c) => c.to),
      ['+12025550101', '+12025550103'],
    );
    await d.close();
    await coord.close();
  });
});
