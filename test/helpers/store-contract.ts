/**
 * One contract, two coordinations: every store the account hands out behaves the same in-process
 * (local files) and shared through Redis. The local half runs in `npm test` (test/unit/store-contract.test.ts);
 * the Redis half in `npm run test:redis` (test/redis/store-contract.test.ts), where it starts its own
 * redis-server on a free port and FAILS (never skips) when redis-server is not installed.
 */
import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';
import { AccountBudget, type SharedBudget } from '../../src/dispatch/request-budget';
import { IdempotencyStore, type IdempotencyKeys } from '../../src/dispatch/idempotency-store';
import { Dispatcher, type SendJob, type SendOutcome } from '../../src/dispatch/dispatcher';
import { WebhookEventStore, type EventClaimStore } from '../../src/webhook/event-store';
import { OptOutStore, type OptOutList } from '../../src/compliance/opt-out-store';
import { RedisCoordination } from '../../src/coordination/coordination';
import { REDIS_DEFAULTS } from '../../src/coordination/redis-connection';
import { RedisBudget } from '../../src/coordination/redis-budget';
import { DISPATCH_DEFAULTS } from '../../src/send/sender';
import { RedisServer } from './redis-server';
import { FakeProvider, job, ok } from './dispatch-fakes';
import { maxInWindow } from '../../bench/lib/stats';

export interface Kit {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A budget as one more instance of the account sees it. */
  budget(rpm: number, windowMs: number): SharedBudget;
  idempotency(retentionMs: number): Promise<IdempotencyKeys>;
  events(): Promise<EventClaimStore>;
  optOuts(): Promise<OptOutList>;
  /** Dispatcher options for the queue (local directory or shared store). */
  dispatcherStores(): Partial<ConstructorParameters<typeof Dispatcher>[2]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function localKit(): Kit {
  let dir = '';
  const closers: (() => unknown)[] = [];
  let sharedIdem: IdempotencyStore | null = null;
  let sharedEvents: WebhookEventStore | null = null;
  let sharedOpt: OptOutStore | null = null;
  let sharedBudget: AccountBudget | null = null;
  return {
    name: 'local',
    async setup() {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
    },
    async teardown() {
      for (const c of closers.splice(0)) await c();
      sharedIdem = null;
      sharedEvents = null;
      sharedOpt = null;
      sharedBudget = null;
      fs.rmSync(dir, { recursive: true, force: true });
    },
    budget(rpm, windowMs) {
      // In-process, "every instance" is the one process: the same budget object.
      if (!sharedBudget) {
        const b = new AccountBudget({ requestsPerMinute: rpm, windowMs, clock: systemClock, maxJitterMs: 0 });
        closers.push(() => b.close());
        sharedBudget = b;
      }
      return sharedBudget;
    },
    async idempotency(retentionMs) {
      if (!sharedIdem) {
        sharedIdem = new IdempotencyStore(dir, { retentionMs, clock: systemClock, fsync: false });
        await sharedIdem.open();
        const s = sharedIdem;
        closers.push(() => s.close());
      }
      return sharedIdem;
    },
    async events() {
      if (!sharedEvents) {
        sharedEvents = await WebhookEventStore.open(path.join(dir, 'events.jsonl'), { clock: systemClock, fsync: false });
        const s = sharedEvents;
        closers.push(() => s.close());
      }
      return sharedEvents;
    },
    async optOuts() {
      if (!sharedOpt) {
        sharedOpt = await OptOutStore.open(path.join(dir, 'opt-outs.jsonl'), { clock: systemClock, fsync: false });
        const s = sharedOpt;
        closers.push(() => s.close());
      }
      return sharedOpt;
    },
    dispatcherStores() {
      return { storeDir: dir, fsync: false };
    },
  };
}

export function redisKit(): Kit {
  const server = new RedisServer();
  const coords: RedisCoordination[] = [];
  let run = 0;
  const coordination = () => {
    // Each call is another instance of the same account (its own connections).
    const c = new RedisCoordination(
      `acct-${run}`,
      { url: server.url, keyPrefix: REDIS_DEFAULTS.keyPrefix, tls: false, leaseMs: 2000, whenDown: 'fail' },
      { requestsPerMinute: 1000 },
      { clock: systemClock, logger: silentLogger },
    );
    coords.push(c);
    return c;
  };
  return {
    name: 'redis',
    async setup() {
      if (!server.port) await server.start();
      run++;
    },
    async teardown() {
      for (const c of coords.splice(0)) await c.close();
    },
    budget(rpm, windowMs) {
      const c = coordination();
      const b = new RedisBudget(c.link, { requestsPerMinute: rpm, windowMs, keys: c.keys, clock: systemClock, maxJitterMs: 0, pollMs: 20 });
      return {
        acquire: () => b.acquire(),
        onRateLimited: (ms) => b.onRateLimited(ms),
        onResponse: () => b.onResponse(),
        pausedUntil: () => b.pausedUntil(),
        onChange: (fn) => b.onChange(fn),
        close: () => b.close(),
      };
    },
    async idempotency(retentionMs) {
      const s = coordination().senderStores('sender-1', { queueLimit: 100, maxInFlight: 1, ratePerSecond: 1000, burst: 10, idempotencyRetentionMs: retentionMs, logger: silentLogger });
      await s.idempotencyStore.open();
      return s.idempotencyStore;
    },
    async events() {
      return coordination().eventStore('receiver-1');
    },
    async optOuts() {
      return coordination().optOutStore();
    },
    dispatcherStores() {
      const s = coordination().senderStores('sender-1', { queueLimit: 100, maxInFlight: 1, ratePerSecond: 1000, burst: 10, idempotencyRetentionMs: 60_000, logger: silentLogger });
      return { storeDir: null, queueStore: s.queueStore, idempotencyStore: s.idempotencyStore };
    },
    // stop the server after the suite
    ...{ server },
  } as Kit & { server: RedisServer };
}

function dispatcher(kit: Kit, provider: FakeProvider): Dispatcher {
  return new Dispatcher(
    () => Promise.resolve(provider),
    { acquire: () => Promise.resolve(), onRateLimited() {} },
    {
      storeDir: null,
      ...DISPATCH_DEFAULTS,
      ratePerSecond: 1000,
      burst: 10,
      breaker: {},
      clock: systemClock,
      logger: silentLogger,
      ...kit.dispatcherStores(),
    },
  );
}

/** A provider whose answer takes 150 ms, as a platform's does. */
class SlowProvider extends FakeProvider {
  override async send(m: Parameters<FakeProvider['send']>[0]): Promise<ReturnType<typeof ok>> {
    const r = await super.send(m);
    await sleep(150);
    return r;
  }
}

/** The contract's suite for one coordination. */
export function describeStoreContract(make: () => Kit): void {
  const kit = make();
  describe(`store contract: ${kit.name}`, function () {
    this.timeout(20_000);
    beforeEach(() => kit.setup());
    afterEach(() => kit.teardown());
    after(async () => {
      await (kit as Kit & { server?: RedisServer }).server?.stop();
    });

    it('budget: two instances together never exceed the budget in any window', async () => {
      const a = kit.budget(3, 400);
      const b = kit.budget(3, 400);
      const times: number[] = [];
      const take = async (x: SharedBudget) => {
        await x.acquire();
        times.push(Date.now());
      };
      await Promise.all([...Array(5)].map(() => take(a)).concat([...Array(4)].map(() => take(b))));
      assert.strictEqual(times.length, 9);
      // Grants are timed where they are decided; a few ms of slack for the reply to come back.
      assert.ok(maxInWindow(times, 400 - 30) <= 3, `more than 3 grants in a window: ${times.map((t) => t - times[0])}`);
      // And the budget is really used: 9 grants at 3 per 400 ms need at least two full windows.
      assert.ok(Math.max(...times) - Math.min(...times) >= 780);
    });

    it('budget: a 429 seen by one instance pauses the other; one probe, then it reopens', async () => {
      const a = kit.budget(100, 1000);
      const b = kit.budget(100, 1000);
      await a.acquire();
      a.onRateLimited(400);
      const t0 = Date.now();
      await sleep(30);
      const grants: { who: string; at: number }[] = [];
      const p1 = b.acquire().then(() => grants.push({ who: 'b', at: Date.now() - t0 }));
      const p2 = a.acquire().then(() => grants.push({ who: 'a', at: Date.now() - t0 }));
      await Promise.race([p1, p2]);
      assert.strictEqual(grants.length, 1, 'exactly one probe after the pause');
      assert.ok(grants[0].at >= 390, `granted ${grants[0].at} ms into a 400 ms pause`);
      await sleep(150);
      assert.strictEqual(grants.length, 1, 'the others wait for the probe answer');
      (grants[0].who === 'a' ? a : b).onResponse();
      await Promise.all([p1, p2]);
      assert.strictEqual(grants.length, 2);
    });

    it('idempotency: the first result wins and expires after retention', async () => {
      const s1 = await kit.idempotency(300);
      const s2 = await kit.idempotency(300);
      assert.strictEqual(await s1.get('k1'), undefined);
      await s1.put('k1', ok('first'));
      await s2.put('k1', ok('second'));
      assert.deepStrictEqual(await s2.get('k1'), ok('first'));
      await sleep(350);
      assert.strictEqual(await s1.get('k1'), undefined);
    });

    it('idempotency: two instances sending one key at the same moment send it once; the other answers a duplicate', async () => {
      const instances = await Promise.all(
        [0, 1].map(async () => {
          // Each instance: its own provider client (slow enough that the two requests would overlap)
          // and its own handle on the account's idempotency keys.
          const provider = new SlowProvider(systemClock, (_m, i) => ok(`sent-${Math.random().toString(36).slice(2)}-${i}`));
          const idempotencyStore = await kit.idempotency(60_000);
          const d = new Dispatcher(
            () => Promise.resolve(provider),
            { acquire: () => Promise.resolve(), onRateLimited() {} },
            {
              ...DISPATCH_DEFAULTS,
              storeDir: null,
              ratePerSecond: 1000,
              burst: 10,
              breaker: {},
              clock: systemClock,
              logger: silentLogger,
              idempotencyStore,
            },
          );
          const outcomes: SendOutcome[] = [];
          d.register('n', (_j, o) => outcomes.push(o));
          await d.start();
          return { d, provider, outcomes };
        }),
      );
      for (let round = 0; round < 3; round++) {
        const key = `alert-${round}`;
        await Promise.all(instances.map((x) => x.d.submit(job('n', '+12025550150', systemClock, { idempotencyKey: key }))));
        const deadline = Date.now() + 8000;
        while (instances.some((x) => x.outcomes.length <= round) && Date.now() < deadline) await sleep(20);
        const outs = instances.map((x) => x.outcomes[round]);
        assert.ok(
          outs.every((o) => o && o.ok),
          `round ${round}: ${JSON.stringify(outs)}`,
        );
        assert.strictEqual(
          instances.reduce((n, x) => n + x.provider.calls.length, 0),
          round + 1,
          `round ${round}: the key was sent more than once`,
        );
        const dups = outs.filter((o) => o.ok && o.duplicate);
        assert.strictEqual(dups.length, 1, `round ${round}: one answer is the duplicate`);
        const ids = outs.map((o) => (o.ok ? o.result.id : ''));
        assert.strictEqual(ids[0], ids[1], 'the duplicate carries the result of the one that was sent');
      }
      for (const x of instances) await x.d.close();
    });

    it('webhook events: one claim per event across instances; statuses only move forward', async () => {
      const e1 = await kit.events();
      const e2 = await kit.events();
      const [a, b] = await Promise.all([e1.claim('evt-1', [{ id: 'm1', status: 'sent' }]), e2.claim('evt-1', [{ id: 'm1', status: 'sent' }])]);
      assert.deepStrictEqual([a.duplicate, b.duplicate].sort(), [false, true]);
      const taken = a.duplicate ? b : a;
      if (!taken.duplicate) {
        await taken.committed;
        assert.deepStrictEqual(taken.advanced, [true]);
      }
      const later = await e2.claim('evt-2', [{ id: 'm1', status: 'delivered' }]);
      assert.ok(!later.duplicate && later.advanced[0] === true);
      const late = await e1.claim('evt-3', [{ id: 'm1', status: 'sent' }]);
      assert.ok(!late.duplicate && late.advanced[0] === false);
    });

    it('opt-outs: a change made on one instance holds on another; older changes are ignored', async () => {
      const o1 = await kit.optOuts();
      const o2 = await kit.optOuts();
      const r = await o1.set('+12025550123', true, { at: 2000, source: 'inbound:STOP' });
      assert.deepStrictEqual(r, { changed: true, stale: false, optedOut: true });
      await o2.refresh?.('+12025550123');
      assert.strictEqual(o2.isOptedOut('+12025550123'), true);
      const stale = await o2.set('+12025550123', false, { at: 1000, source: 'inbound:START' });
      assert.deepStrictEqual(stale, { changed: false, stale: true, optedOut: true });
      await o2.addMany(['+12025550124', '+12025550124'], 'csv');
      await o1.refresh?.('+12025550124');
      assert.deepStrictEqual(
        o1
          .list()
          .map((e) => e.number)
          .sort(),
        ['+12025550123', '+12025550124'],
      );
      assert.strictEqual(o1.size, 2);
    });

    it('queue: every job comes out exactly once, in order, and a repeated idempotency key is not sent again', async () => {
      const provider = new FakeProvider(systemClock, (m, i) => ok(`id-${i}`));
      const d = dispatcher(kit, provider);
      const outcomes: { job: SendJob; outcome: SendOutcome }[] = [];
      d.register('n1', (j, o) => outcomes.push({ job: j, outcome: o }));
      await d.start();
      const jobs = [1, 2, 3, 4].map((i) => job('n1', `+1202555010${i}`, systemClock));
      for (const j of jobs) await d.submit(j);
      const deadline = Date.now() + 8000;
      while (outcomes.length < 4 && Date.now() < deadline) await sleep(20);
      assert.deepStrictEqual(
        outcomes.map((o) => o.job.id),
        jobs.map((j) => j.id),
      );
      assert.deepStrictEqual(
        provider.calls.map((c) => c.to),
        jobs.map((j) => j.message.to),
      );
      await d.submit(job('n1', '+12025550109', systemClock, { idempotencyKey: 'order-1' }));
      await d.submit(job('n1', '+12025550109', systemClock, { idempotencyKey: 'order-1' }));
      while (outcomes.length < 6 && Date.now() < deadline) await sleep(20);
      assert.strictEqual(provider.calls.length, 5);
      assert.deepStrictEqual(
        outcomes.slice(4).map((o) => o.outcome.ok && (o.outcome.duplicate ?? false)),
        [false, true],
      );
      await d.close();
    });
  });
}
