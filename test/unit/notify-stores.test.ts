/**
 * The plain modules behind replies and pushed statuses: the sent-message log (inReplyTo, own-message
 * filter; durable, bounded), PollScheduler.offer (a pushed final status ends waits), and the receiver's
 * channel path (ingest: own messages only, output 5, dead-letter budget, status hand-over).
 */
import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { SentMessages } from '../../src/status/sent-messages';
import { PollScheduler, type WaitOutcome } from '../../src/status/poll-scheduler';
import { ManualClock } from '../../src/util/clock';
import { WebhookEventStore } from '../../src/webhook/event-store';
import { WebhookReceiver, type Emission } from '../../src/webhook/receiver';
import { replyAnnotator } from '../../src/webhook/replies';
import { inboundOptOutHandler } from '../../src/compliance/inbound';
import type { StatusUpdate } from '../../src/webhook/normalize';
import { conversation, messageDetails, topicFrame, inboundMessageData, CUSTOMER } from '../helpers/genesys-event-fixtures';

const flush = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('sent-message log', function () {
  let dir = '';
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentless-sent-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers the last message sent to a number in any notation, with its metadata, also after reopening', async function () {
    const clock = new ManualClock();
    const file = path.join(dir, 'sent.jsonl');
    const s = await SentMessages.open(file, { clock });
    await s.record({ id: 'm-1', to: '+12025550123', at: clock.now(), metadata: { n: 1 } });
    clock.advance(1000);
    await s.record({ id: 'm-2', to: '+12025550123', conversationId: 'c-2', from: '+12025550100', at: clock.now(), metadata: { n: 2 } });
    await s.record({ id: 'm-3', to: '+12025550124', at: clock.now() });
    assert.deepStrictEqual(s.inReplyTo('+1 (202) 555-0123'), {
      id: 'm-2',
      to: '+12025550123',
      conversationId: 'c-2',
      from: '+12025550100',
      sentAt: new Date(clock.now()).toISOString(),
      metadata: { n: 2 },
    });
    assert.ok(s.has('m-1') && s.has('m-3') && !s.has('m-4'));
    assert.strictEqual(s.inReplyTo('+12025550199'), undefined);
    await s.close();
    const again = await SentMessages.open(file, { clock });
    assert.strictEqual(again.inReplyTo('+12025550123')?.id, 'm-2');
    assert.strictEqual(again.size, 3);
    await again.close();
  });

  it('writes the sends of one batch together: each record is on disk when its promise resolves, and close writes what still waits', async function () {
    const clock = new ManualClock();
    const file = path.join(dir, 'sent.jsonl');
    const s = await SentMessages.open(file, { clock });
    const lines = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
    const first = Array.from({ length: 50 }, (_, i) => s.record({ id: `b-${i}`, to: '+12025550123', at: clock.now() }));
    // In memory at once, on disk only with the batch.
    assert.strictEqual(s.get('b-49')?.id, 'b-49');
    assert.strictEqual(lines(), 0);
    await Promise.all(first);
    assert.strictEqual(lines(), 50);
    // Not awaited: close still writes it before the log is closed.
    void s.record({ id: 'late', to: '+12025550124', at: clock.now() });
    await s.close();
    const again = await SentMessages.open(file, { clock });
    assert.strictEqual(again.size, 51);
    assert.strictEqual(again.inReplyTo('+12025550124')?.id, 'late');
    await again.close();
  });

  it('keeps every send recorded while its log is compacted in slices, each as last recorded', async function () {
    const clock = new ManualClock();
    const file = path.join(dir, 'sent.jsonl');
    const maxEntries = 6000;
    const s = await SentMessages.open(file, { clock, maxEntries, fsync: false });
    // Compacted past 2 x 6,000 + 1,000 lines: a snapshot of 6,000 records in two slices, with sends
    // recorded in the turns between them; some of them record a message again with new metadata.
    const total = 30_000;
    const written: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      written.push(s.record({ id: `m-${i}`, to: `+1202555${String(1000 + (i % 9000)).padStart(4, '0')}`, at: clock.now(), metadata: { v: 1 } }));
      if (i % 10 === 0 && i >= 100) written.push(s.record({ id: `m-${i - 100}`, to: `+1202555${String(1000 + ((i - 100) % 9000)).padStart(4, '0')}`, at: clock.now(), metadata: { v: 2 } }));
      if (i % 300 === 299) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(written);
    const expected = new Map<string, unknown>();
    for (const r of s.since(0, 10 * maxEntries)) expected.set(r.id, r.metadata);
    assert.strictEqual(expected.size, maxEntries);
    await s.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    assert.ok(lines < total, `log has ${lines} lines: it was compacted`);
    const again = await SentMessages.open(file, { clock, maxEntries });
    assert.strictEqual(again.size, maxEntries);
    for (const [id, metadata] of expected) assert.deepStrictEqual(again.get(id)?.metadata, metadata, id);
    assert.deepStrictEqual(again.get(`m-${total - 110}`)?.metadata, { v: 2 });
    assert.deepStrictEqual(again.get(`m-${total - 1}`)?.metadata, { v: 1 });
    await again.close();
  });

  it('drops the oldest first also over many evictions, and a record sent again counts from its newest time', async function () {
    const clock = new ManualClock();
    const s = await SentMessages.open(null, { clock, maxEntries: 50 });
    await s.record({ id: 'kept', to: '+12025550100', at: clock.now() });
    for (let i = 0; i < 5000; i++) {
      await s.record({ id: `m-${i}`, to: `+1202555${String(1000 + (i % 900)).padStart(4, '0')}`, at: clock.now() });
      // The same id again, now the newest: it outlives the ones recorded after its first record.
      if (i % 40 === 0) await s.record({ id: 'kept', to: '+12025550100', at: clock.now() });
    }
    assert.strictEqual(s.size, 50);
    assert.ok(s.has('kept'));
    assert.deepStrictEqual(
      s
        .since(0, 100)
        .map((r) => r.id)
        .filter((id) => id !== 'kept'),
      Array.from({ length: 49 }, (_, k) => `m-${4999 - k}`),
    );
    assert.strictEqual(s.inReplyTo('+12025550100')?.id, 'kept');
  });

  it('is bounded by count, bytes and age, dropping the oldest first', async function () {
    const clock = new ManualClock();
    const s = await SentMessages.open(null, { clock, maxEntries: 100, maxBytes: 50_000, retentionMs: 10_000 });
    for (let i = 0; i < 500; i++) await s.record({ id: `m-${i}`, to: `+1202555${String(1000 + (i % 900)).padStart(4, '0')}`, at: clock.now() });
    assert.strictEqual(s.size, 100);
    assert.ok(!s.has('m-0') && s.has('m-499'));
    await s.record({ id: 'big', to: '+12025550150', at: clock.now(), metadata: { pad: 'x'.repeat(60_000) } });
    assert.ok(s.size < 100, 'a 60 KB record pushes others out under a 50 KB budget');
    clock.advance(20_000);
    await s.record({ id: 'new', to: '+12025550151', at: clock.now() });
    assert.deepStrictEqual(
      s.since(0, 1000).map((r) => r.id),
      ['new'],
    );
    assert.strictEqual(s.inReplyTo('+12025550150'), undefined, 'an evicted message is no reply target');
  });
});

describe('PollScheduler.offer', function () {
  it('a pushed final status settles every wait on that message without a poll; a pending one only updates last', async function () {
    const clock = new ManualClock();
    let reads = 0;
    const sched = new PollScheduler({ clock, fetchStatus: async (id) => (reads++, { id, status: 'sent', providerStatus: 'sent', final: false }) });
    const outcomes: WaitOutcome[] = [];
    void sched.wait({ id: 'm', intervalMs: 10_000, timeoutMs: 60_000 }).promise.then((o) => outcomes.push(o));
    void sched.wait({ id: 'm', intervalMs: 10_000, timeoutMs: 60_000 }).promise.then((o) => outcomes.push(o));
    void sched.wait({ id: 'other', intervalMs: 10_000, timeoutMs: 60_000 }).promise.then((o) => outcomes.push(o));
    assert.strictEqual(sched.offer({ id: 'm', status: 'sent', providerStatus: 'sent', final: false }), 0);
    assert.strictEqual(sched.offer({ id: 'unknown', status: 'delivered', providerStatus: 'delivery-success', final: true }), 0);
    assert.strictEqual(sched.offer({ id: 'm', status: 'delivered', providerStatus: 'delivery-success', final: true }), 2);
    await flush();
    assert.deepStrictEqual(
      outcomes.map((o) => [o.kind, o.polls]),
      [
        ['final', 0],
        ['final', 0],
      ],
    );
    assert.strictEqual(reads, 0);
    assert.strictEqual(sched.stats().waiting, 1);
    clock.advance(10_000);
    await flush();
    assert.strictEqual(reads, 1, 'only the other message is still polled');
    sched.close();
  });
});

describe('receiver: events from the notification channel', function () {
  let dir = '';
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentless-rx-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function make(known: Set<string>, perMinute = 2) {
    const clock = new ManualClock();
    const store = WebhookEventStore.open(path.join(dir, 'rx.jsonl'), { clock });
    const out: Emission[] = [];
    const updates: StatusUpdate[] = [];
    const sent = await SentMessages.open(null, { clock });
    await sent.record({ id: 'm-1', to: CUSTOMER, at: clock.now(), metadata: { booking: 'b' } });
    const rx = new WebhookReceiver(
      { path: 'genesys-notifications/q', mode: 'none' },
      {
        store,
        clock,
        emit: (e) => out.push(e),
        onUpdate: (u) => updates.push(u),
        isKnownMessage: (id) => known.has(id),
        onInbound: replyAnnotator(inboundOptOutHandler(null), async () => sent),
      },
    );
    let budget = 0;
    const feed = (value: unknown, limited = false) => {
      const text = JSON.stringify(value);
      return rx.ingest({ value, payload: text, raw: text, source: 'genesys-notifications', ...(limited ? { mayDeadLetter: () => ++budget <= perMinute } : {}) });
    };
    return { rx, out, updates, feed };
  }

  it('reports only its own messages, each status once, and hands each advance to get-status', async function () {
    const { rx, out, updates, feed } = await make(new Set(['m-1']));
    await feed(topicFrame(conversation([messageDetails('m-1', 'sent'), messageDetails('foreign', 'delivery-success')]), undefined, 'c1'));
    await feed(topicFrame(conversation([messageDetails('m-1', 'delivery-success'), messageDetails('foreign', 'delivery-success')]), undefined, 'c2'));
    await feed(topicFrame(conversation([messageDetails('m-1', 'delivery-success')]), undefined, 'c3'));
    await flush();
    assert.deepStrictEqual(
      out.map((e) => [e.output, (e.msg.sms as StatusUpdate).id, (e.msg.sms as StatusUpdate).status]),
      [
        [3, 'm-1', 'sent'],
        [1, 'm-1', 'delivered'],
      ],
    );
    assert.deepStrictEqual(
      updates.map((u) => u.status),
      ['sent', 'delivered'],
    );
    assert.strictEqual(rx.stats.ignored, 2);
    assert.strictEqual(out[0].msg.webhook.source, 'genesys-notifications');
    await rx.close();
  });

  it('a reply leaves on output 5 with the text as payload and inReplyTo', async function () {
    const { rx, out, feed } = await make(new Set());
    await feed(inboundMessageData('C'));
    await flush();
    assert.strictEqual(out.length, 1);
    assert.strictEqual(out[0].output, 5);
    assert.strictEqual(out[0].msg.payload, 'C');
    assert.deepStrictEqual((out[0].msg.sms as Record<string, unknown>).inReplyTo, { id: 'm-1', to: CUSTOMER, sentAt: new Date(1_700_000_000_000).toISOString(), metadata: { booking: 'b' } });
    await rx.close();
  });

  it('unknown topics and malformed envelopes go to output 4 within the dead-letter budget, the rest are counted', async function () {
    const { rx, out, feed } = await make(new Set(), 2);
    for (let i = 0; i < 5; i++) await feed({ topicName: 'v2.users.u.presence', eventBody: { i } }, true);
    await feed({ topicName: 'v2.routing.queues.q.conversations.messages', eventBody: 'nope' }, true);
    await flush();
    assert.deepStrictEqual(
      out.map((e) => [e.output, e.msg.webhook.reason]),
      [
        [4, 'unsupported_topic'],
        [4, 'unsupported_topic'],
      ],
    );
    assert.strictEqual(rx.stats.invalid, 6);
    await rx.close();
  });
});
