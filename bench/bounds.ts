/**
 * The stores at their bounds, in a process of their own (no Node-RED, durable store on): the webhook
 * receiver's dedupe store filled to its bounds and then kept at them, a dispatcher draining a queue of
 * many jobs (8 in flight, a platform that answers at once), a sender's idempotency
 * keys growing to as many (a day's keys of a busy sender), and an account's sent-message log kept at its
 * bounds. The longest the event loop stood still in each phase is measured with a 1 ms interval timer;
 * at the dedupe bounds also how long acknowledgements wait for the disk at a receiver's pace, a
 * compaction included.
 * Usage: node --import tsx bench/bounds.ts <dedupe bound> <queued>
 * Prints one JSON line (see BoundsProbe in measures/bounds.ts).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { IdempotencyStore } from '../src/dispatch/idempotency-store';
import type { Provider } from '../src/providers/types';
import { SentMessages } from '../src/status/sent-messages';
import { systemClock } from '../src/util/clock';
import { WebhookEventStore } from '../src/webhook/event-store';
import { benchDispatcher, benchJob } from './lib/jobs';

/** The longest gap between two ticks of a 1 ms timer since the last `take`. */
function stallMeter() {
  let last = process.hrtime.bigint();
  let worst = 0;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    worst = Math.max(worst, Number(now - last) / 1e6);
    last = now;
  }, 1);
  return {
    take(): number {
      const w = worst;
      worst = 0;
      last = process.hrtime.bigint();
      return w;
    },
    stop: () => clearInterval(timer),
  };
}

const msSince = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;
const claimOf = (store: WebhookEventStore, j: number) =>
  store.claim(`evt_${j.toString(36).padStart(8, '0')}_00000000-0000-4000-8000`, [{ id: `msg_${j.toString(36).padStart(8, '0')}_00000000-0000-4000`, status: 'delivered' }]);

/** Claims `from` to `to` (a new event and message each), 200 at a time; their rate, and how often the log was compacted. */
async function claims(store: WebhookEventStore, from: number, to: number): Promise<{ rate: number; compactions: number }> {
  const t0 = process.hrtime.bigint();
  let compactions = 0;
  let bytes = store.logBytes;
  for (let i = from; i < to; i += 200) {
    const commits: Promise<void>[] = [];
    for (let j = i; j < Math.min(to, i + 200); j++) {
      const c = claimOf(store, j);
      if (!c.duplicate) commits.push(c.committed);
    }
    await Promise.all(commits);
    if (store.logBytes < bytes) compactions++;
    bytes = store.logBytes;
  }
  const rate = (to - from) / (Number(process.hrtime.bigint() - t0) / 1e9);
  // Claims do not wait for a compaction: one may still be running, and counts once it has ended.
  while (store.compacting) await new Promise((r) => setTimeout(r, 10));
  if (store.logBytes < bytes) compactions++;
  return { rate, compactions };
}

/**
 * At the bounds, claims at nearly 5,000 a second (200 every 40 ms: about what the receiver answers over
 * HTTP on this machine) until the log has been compacted once more: the longest and the median time a batch
 * waited to be on disk. Each acknowledgement waits for its claim's commit.
 */
async function pacedClaims(store: WebhookEventStore, from: number): Promise<{ longestMs: number; medianMs: number }> {
  const waits: number[] = [];
  let bytes = store.logBytes;
  for (let i = from; ; i += 200) {
    const t = process.hrtime.bigint();
    const commits: Promise<void>[] = [];
    for (let j = i; j < i + 200; j++) {
      const c = claimOf(store, j);
      if (!c.duplicate) commits.push(c.committed);
    }
    await Promise.all(commits);
    waits.push(msSince(t));
    if (store.logBytes < bytes) break;
    bytes = store.logBytes;
    await new Promise((r) => setTimeout(r, 40));
  }
  waits.sort((a, b) => a - b);
  return { longestMs: waits[waits.length - 1], medianMs: waits[Math.floor(waits.length / 2)] };
}

async function main(): Promise<void> {
  const bound = Number(process.argv[2] ?? 100_000);
  const queued = Number(process.argv[3] ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bounds-'));
  const meter = stallMeter();

  const store = await WebhookEventStore.open(path.join(dir, 'events.jsonl'), { clock: systemClock, maxEvents: bound, maxMessages: bound });
  meter.take();
  const below = await claims(store, 0, bound);
  const belowStallMs = meter.take();
  // Kept at the bounds long enough for the log to be compacted: it must grow past twice its snapshot
  // (by bytes, at 100,000) or past four lines per event kept (by lines, at small bounds).
  const at = await claims(store, bound, Math.round(4.5 * bound));
  const atStallMs = meter.take();
  const paced = await pacedClaims(store, Math.round(4.5 * bound));
  await store.close();

  // The dispatcher itself, 8 in flight, on a platform that answers at once (its requests are released
  // together once everything is queued): start, result and done records, outcomes delivered in order.
  let release: () => void = () => {};
  const queuedAll = new Promise<void>((resolve) => (release = resolve));
  let sent = 0;
  const provider = {
    name: 'genesys-cloud',
    send: async () => {
      await queuedAll;
      return { id: `sent-${sent++}`, status: 'queued', providerStatus: 'queued' };
    },
  } as unknown as Provider;
  const d = benchDispatcher(async () => provider, { storeDir: path.join(dir, 'queue'), ratePerSecond: 1e6, burst: 10_000, queueLimit: queued + 10, maxInFlight: 8 });
  await d.start();
  let delivered = 0;
  let drained: () => void = () => {};
  const allDelivered = new Promise<void>((resolve) => (drained = resolve));
  d.register(benchJob(0).nodeId, () => {
    if (++delivered === queued) drained();
  });
  for (let i = 0; i < queued; i += 500) {
    const submits: Promise<void>[] = [];
    for (let j = i; j < Math.min(queued, i + 500); j++) submits.push(d.submit(benchJob(j)));
    await Promise.all(submits);
  }
  meter.take();
  const t0 = process.hrtime.bigint();
  release();
  await allDelivered;
  const drainRate = queued / (Number(process.hrtime.bigint() - t0) / 1e9);
  const drainStallMs = meter.take();
  await d.close();

  // Keys put 200 at a time; the rate of the first and of the last tenth.
  const keys = new IdempotencyStore(path.join(dir, 'keys'), { retentionMs: 24 * 3600 * 1000, clock: systemClock });
  await keys.open();
  const tenth = Math.max(1, Math.round(queued / 10));
  const putRates: number[] = [];
  meter.take();
  for (let i = 0, t = process.hrtime.bigint(); i < queued; i += 200) {
    const puts: Promise<void>[] = [];
    for (let j = i; j < Math.min(queued, i + 200); j++) puts.push(keys.put(`order-${j}`, { id: `sent-${j}`, status: 'queued', providerStatus: 'queued' }));
    await Promise.all(puts);
    if ((i + 200) % tenth === 0 || i + 200 >= queued) {
      const now = process.hrtime.bigint();
      putRates.push(tenth / (Number(now - t) / 1e9));
      t = now;
    }
  }
  const keyStallMs = meter.take();
  await keys.close();

  // An account's sent-message log at its default bounds (50,000 messages): filled, then 3.5 times as many
  // more, each evicting the oldest; the log is compacted as it grows. Sends are recorded 200 per turn of
  // the event loop, and every 2,000 the probe waits for them to be written (the log commits in batches of
  // up to 50 ms), so that the stall is the store's, not the probe's.
  const sentBound = Math.min(50_000, queued);
  const sentLog = await SentMessages.open(path.join(dir, 'sent.jsonl'), { clock: systemClock, maxEntries: sentBound });
  const sends = async (from: number, to: number): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (let i = from; i < to; i += 2000) {
      const written: Promise<void>[] = [];
      for (let j = i; j < Math.min(to, i + 2000); j++) {
        written.push(
          sentLog.record({
            id: `msg_${j.toString(36).padStart(8, '0')}_00000000-0000-4000`,
            to: `+1202555${String(j % 10_000).padStart(4, '0')}`,
            from: '+12025550100',
            conversationId: `conv-${j}`,
            metadata: { order: `A-${j}`, customer: `c-${j % 977}` },
            at: Date.now(),
          }),
        );
        if (j % 200 === 199) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(written);
    }
    return (to - from) / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  meter.take();
  const sentBelowRate = await sends(0, sentBound);
  meter.take();
  const sentAtRate = await sends(sentBound, Math.round(4.5 * sentBound));
  const sentStallMs = meter.take();
  await sentLog.close();
  meter.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    JSON.stringify({
      bound,
      belowRate: below.rate,
      belowStallMs,
      atRate: at.rate,
      atStallMs,
      compactions: at.compactions,
      pacedAckLongestMs: paced.longestMs,
      pacedAckMedianMs: paced.medianMs,
      queued,
      drainRate,
      drainStallMs,
      firstKeysRate: putRates[0],
      lastKeysRate: putRates[putRates.length - 1],
      keyStallMs,
      sentBound,
      sentBelowRate,
      sentAtRate,
      sentStallMs,
    }) + '\n',
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
