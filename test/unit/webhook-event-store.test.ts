import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { allowanceWhileCompacting } from '../../src/store/append-log';
import { ManualClock } from '../../src/util/clock';
import { COMPACT_MIN_BYTES, MAX_KEY_CHARS, WebhookEventStore } from '../../src/webhook/event-store';

describe('webhook event store (dedupe + status order)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wh-store-'));
    file = path.join(dir, 'events.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes an event once, also when claimed concurrently', async () => {
    const store = await WebhookEventStore.open(file, { clock: new ManualClock() });
    const a = store.claim('evt', [{ id: 'm', status: 'delivered' }]);
    const b = store.claim('evt', [{ id: 'm', status: 'delivered' }]);
    assert.strictEqual(a.duplicate, false);
    assert.strictEqual(b.duplicate, true);
    if (!a.duplicate) await a.committed;
    if (b.duplicate) assert.strictEqual(await b.settled, true);
    assert.strictEqual(store.claim('evt', []).duplicate, true);
    await store.close();
  });

  it('remembers events and statuses across a reopen (restart)', async () => {
    const clock = new ManualClock();
    const s1 = await WebhookEventStore.open(file, { clock });
    const c = s1.claim('evt-1', [{ id: 'm1', status: 'delivered' }]);
    if (!c.duplicate) await c.committed;
    await s1.close();
    const s2 = await WebhookEventStore.open(file, { clock });
    assert.strictEqual(s2.claim('evt-1', []).duplicate, true);
    assert.strictEqual(s2.statusOf('m1'), 'delivered');
    const late = s2.claim('evt-2', [{ id: 'm1', status: 'sent' }]);
    assert.ok(!late.duplicate);
    assert.deepStrictEqual(late.advanced, [false]);
    await s2.close();
  });

  it('lets statuses only move forward', async () => {
    const store = await WebhookEventStore.open(file, { clock: new ManualClock() });
    const seq: [string, 'queued' | 'sent' | 'delivered' | 'failed' | 'read', boolean][] = [
      ['e1', 'sent', true],
      ['e2', 'queued', false],
      ['e3', 'delivered', true],
      ['e4', 'sent', false],
      ['e5', 'failed', false],
      ['e6', 'delivered', false],
      ['e7', 'read', true],
    ];
    for (const [e, s, expected] of seq) {
      const c = store.claim(e, [{ id: 'm', status: s }]);
      assert.ok(!c.duplicate);
      assert.deepStrictEqual(c.advanced, [expected], `${e} ${s}`);
    }
    await store.close();
  });

  it('forgets events after the retention period and bounds the number kept', async () => {
    const clock = new ManualClock();
    const store = await WebhookEventStore.open(file, { clock, eventRetentionMs: 1000, maxEvents: 3, fsync: false });
    const settle = async (e: string) => {
      const c = store.claim(e, []);
      if (!c.duplicate) await c.committed;
    };
    await settle('old');
    clock.advance(1001);
    for (const e of ['a', 'b', 'c', 'd']) await settle(e);
    assert.strictEqual(store.claim('old', []).duplicate, false, 'expired id is new again');
    assert.ok(store.eventCount <= 3, `kept ${store.eventCount}`);
    assert.strictEqual(store.claim('a', []).duplicate, false, 'oldest evicted by the bound');
    await store.close();
  });

  it('by default keeps event ids 7 days and statuses 30 days, at most 100,000 of each (the documented bounds)', async () => {
    const clock = new ManualClock();
    const store = await WebhookEventStore.open(file, { clock, fsync: false });
    const DAY = 24 * 3600 * 1000;
    const settle = async (e: string, updates: { id: string; status: 'delivered' }[] = []) => {
      const c = store.claim(e, updates);
      if (!c.duplicate) await c.committed;
    };
    await settle('first', [{ id: 'msg-first', status: 'delivered' }]);
    clock.advance(7 * DAY - 1);
    await settle('tick-1');
    assert.strictEqual(store.claim('first', []).duplicate, true, 'kept for 7 days');
    clock.advance(2);
    await settle('tick-2');
    assert.strictEqual(store.statusOf('msg-first'), 'delivered', 'a status outlives its event');
    assert.strictEqual(store.claim('first', []).duplicate, false, 'forgotten after 7 days');
    clock.advance(23 * DAY);
    await settle('tick-3');
    assert.strictEqual(store.statusOf('msg-first'), undefined, 'a status is forgotten after 30 days');
    // The count: 100,001 unique events (each with its own message status) keep 100,000 of each.
    for (let chunk = 0; chunk < 101; chunk++) {
      const commits: Promise<void>[] = [];
      for (let k = 0; k < 1000; k++) {
        const i = chunk * 1000 + k;
        const c = store.claim(`e-${i}`, [{ id: `m-${i}`, status: 'delivered' }]);
        if (!c.duplicate) commits.push(c.committed);
      }
      await Promise.all(commits);
    }
    await settle('e-last', [{ id: 'm-last', status: 'delivered' }]);
    assert.strictEqual(store.eventCount, 100_000);
    assert.strictEqual(store.messageCount, 100_000);
    assert.strictEqual(store.claim('e-100999', []).duplicate, true, 'the newest are kept');
    assert.strictEqual(store.statusOf('m-0'), undefined, 'the oldest status went first');
    await store.close();
  });

  it('compacts the log and keeps what is retained', async () => {
    const clock = new ManualClock();
    const store = await WebhookEventStore.open(file, { clock, maxEvents: 50, fsync: false });
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 1500; i++) {
      const c = store.claim(`e${i}`, [{ id: `m${i % 10}`, status: i < 1400 ? 'sent' : 'delivered' }]);
      if (!c.duplicate) commits.push(c.committed);
    }
    await Promise.all(commits);
    await store.close();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    assert.ok(lines < 1500, `log has ${lines} lines`);
    const again = await WebhookEventStore.open(file, { clock, maxEvents: 50 });
    assert.strictEqual(again.claim('e1499', []).duplicate, true);
    assert.strictEqual(again.statusOf('m9'), 'delivered');
    await again.close();
  });

  it('keeps every claim made while a compaction of several slices runs, and what the snapshot held', async () => {
    const clock = new ManualClock();
    const opts = { clock, maxEvents: 6000, maxMessages: 6000, fsync: false };
    const store = await WebhookEventStore.open(file, opts);
    // At the bounds the log is compacted once it has more than 2 x 12,000 lines; the snapshot of 12,000
    // records is built in slices with turns of the event loop between them, and the claims below keep
    // coming in those turns (statuses of messages already in the snapshot moving on among them).
    const total = 30_000;
    const commits: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const c = store.claim(`e${i}`, [{ id: `m${i % 8000}`, status: i < total - 3000 ? 'sent' : 'delivered' }]);
      if (!c.duplicate) commits.push(c.committed);
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(commits);
    const statuses = new Map<string, string | undefined>();
    for (let m = 0; m < 8000; m++) statuses.set(`m${m}`, store.statusOf(`m${m}`));
    await store.close();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    assert.ok(lines < total, `log has ${lines} lines: it was compacted`);
    const again = await WebhookEventStore.open(file, opts);
    for (let i = total - 6000; i < total; i++) assert.strictEqual(again.claim(`e${i}`, []).duplicate, true, `e${i} kept`);
    for (const [m, s] of statuses) assert.strictEqual(again.statusOf(m), s, m);
    // The 6,000 messages changed last (m0 to m5999, by e24000 to e29999) are the ones kept.
    assert.strictEqual(again.statusOf('m5999'), 'delivered');
    assert.strictEqual(again.statusOf('m7999'), undefined);
    await again.close();
  });

  it('acknowledges a claim made while the log is compacted without waiting for the compaction, and keeps it', async () => {
    const clock = new ManualClock();
    const opts = { clock, maxEvents: 6000, maxMessages: 6000, fsync: false };
    const store = await WebhookEventStore.open(file, opts);
    let i = 0;
    // Filled one claim at a time until one of them starts a compaction (a snapshot of 12,000 records).
    while (!store.compacting) {
      const c = store.claim(`e${i}`, [{ id: `m${i}`, status: 'sent' }]);
      i++;
      if (!c.duplicate) await c.committed;
      assert.ok(i < 30_000, 'no compaction started');
    }
    const during = store.claim('during', [{ id: 'm-during', status: 'delivered' }]);
    assert.ok(!during.duplicate);
    await during.committed;
    assert.strictEqual(store.compacting, true, 'the acknowledgement waited for the compaction');
    await store.close();
    const again = await WebhookEventStore.open(file, opts);
    assert.strictEqual(again.claim('during', []).duplicate, true);
    assert.strictEqual(again.statusOf('m-during'), 'delivered');
    assert.strictEqual(again.claim(`e${i - 1}`, []).duplicate, true);
    assert.ok(fs.readFileSync(file, 'utf8').trim().split('\n').length < i, 'the log was compacted');
    await again.close();
  });

  it('rolls back a claim whose write failed, so a retry is processed afresh', async () => {
    const store = await WebhookEventStore.open(file, { clock: new ManualClock() });
    await store.close(); // the log is closed: appends fail
    const c = store.claim('evt', [{ id: 'm', status: 'delivered' }]);
    assert.ok(!c.duplicate);
    await assert.rejects(c.committed);
    assert.strictEqual(store.statusOf('m'), undefined);
    const again = store.claim('evt', []);
    assert.strictEqual(again.duplicate, false);
    if (!again.duplicate) await again.committed.catch(() => undefined);
  });

  it('stays within its stated bound under a flood of unique events with long ids (memory and file)', async () => {
    const clock = new ManualClock();
    const maxEvents = 2000;
    const maxMessages = 2000;
    const store = await WebhookEventStore.open(file, { clock, maxEvents, maxMessages, fsync: false });
    const long = (p: string, i: number) => `${p}-${i}-${'x'.repeat(500)}`;
    let largest = 0;
    for (let chunk = 0; chunk < 120; chunk++) {
      // 100 requests per group commit, as a flood arrives over HTTP.
      const commits: Promise<void>[] = [];
      for (let k = 0; k < 100; k++) {
        const i = chunk * 100 + k;
        const c = store.claim(long('evt', i), [{ id: long('msg', i), status: 'delivered' }]);
        if (!c.duplicate) commits.push(c.committed);
      }
      await Promise.all(commits);
      largest = Math.max(largest, fs.statSync(file).size);
    }
    assert.ok(store.eventCount <= maxEvents && store.messageCount <= maxMessages);
    // The stated bound: keys at most MAX_KEY_CHARS, so a snapshot line is at most key + a few bytes; the
    // file is compacted beyond max(COMPACT_MIN_BYTES, twice the snapshot), plus what a compaction lets
    // through while it runs, plus one batch in flight.
    const snapshotMax = maxEvents * (MAX_KEY_CHARS + 30) + maxMessages * (MAX_KEY_CHARS + 50);
    const batchMax = 100 * (2 * MAX_KEY_CHARS + 60);
    const compactAt = Math.max(COMPACT_MIN_BYTES, 2 * snapshotMax) + batchMax;
    const bound = compactAt + allowanceWhileCompacting(compactAt) + batchMax;
    assert.ok(largest <= bound, `the dedupe file reached ${largest} bytes, over the bound of ${bound}`);
    await store.close();
    // The newest events are still known after a restart, by their full ids.
    const again = await WebhookEventStore.open(file, { clock, maxEvents, maxMessages });
    for (let i = 11_900; i < 12_000; i++) assert.strictEqual(again.claim(long('evt', i), []).duplicate, true, `event ${i} forgotten`);
    assert.strictEqual(again.statusOf(long('msg', 11_999)), 'delivered');
    await again.close();
  });
});
