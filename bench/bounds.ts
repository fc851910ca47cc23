/**
 * The stores at their bounds, in a process of their own (no Node-RED, durable store on): the webhook
 * receiver's dedupe store filled to its bounds and then kept at them, a dispatcher draining a queue of
 * many jobs (8 in flight, a platform that answers at once), and a sender's idempotency
 * keys growing to as many (a day's keys of a busy sender). The longest the event loop stood still in
 * each phase is measured with a 1 ms interval timer, and for the dedupe and the keys the longest a batch
 * of 200 waited to be on disk.
 * Usage: node --import tsx bench/bounds.ts <dedupe bound> <queued>
 * Prints one JSON line (see BoundsProbe in measures/bounds.ts).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { IdempotencyStore } from '../src/dispatch/idempotency-store';
import type { Provider } from '../src/providers/types';
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

/**
 * Claims `from` to `to` (a new event and message each), 200 at a time; their rate, how often the log was
 * compacted, and the longest a batch waited to be on disk (each acknowledgement waits for its claim).
 */
async function claims(store: WebhookEventStore, from: number, to: number): Promise<{ rate: number; compactions: number; ackMs: number }> {
  const t0 = process.hrtime.bigint();
  let compactions = 0;
  let ackMs = 0;
  let bytes = store.logBytes;
  for (let i = from; i < to; i += 200) {
    const commits: Promise<void>[] = [];
    const t = process.hrtime.bigint();
    for (let j = i; j < Math.min(to, i + 200); j++) {
      const c = store.claim(`evt_${j.toString(36).padStart(8, '0')}_00000000-0000-4000-8000`, [{ id: `msg_${j.toString(36).padStart(8, '0')}_00000000-0000-4000`, status: 'delivered' }]);
      if (!c.duplicate) commits.push(c.committed);
    }
    await Promise.all(commits);
    ackMs = Math.max(ackMs, msSince(t));
    if (store.logBytes < bytes) compactions++;
    bytes = store.logBytes;
  }
  return { rate: (to - from) / (Number(process.hrtime.bigint() - t0) / 1e9), compactions, ackMs };
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
  let keyAckMs = 0;
  meter.take();
  for (let i = 0, t = process.hrtime.bigint(); i < queued; i += 200) {
    const puts: Promise<void>[] = [];
    const b = process.hrtime.bigint();
    for (let j = i; j < Math.min(queued, i + 200); j++) puts.push(keys.put(`order-${j}`, { id: `sent-${j}`, status: 'queued', providerStatus: 'queued' }));
    await Promise.all(puts);
    // A keyed message's outcome waits for its key on disk.
    keyAckMs = Math.max(keyAckMs, msSince(b));
    if ((i + 200) % tenth === 0 || i + 200 >= queued) {
      const now = process.hrtime.bigint();
      putRates.push(tenth / (Number(now - t) / 1e9));
      t = now;
    }
  }
  const keyStallMs = meter.take();
  await keys.close();
  meter.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    JSON.stringify({
      bound,
      belowRate: below.rate,
      belowStallMs,
      belowAckMs: below.ackMs,
      atRate: at.rate,
      atStallMs,
      atAckMs: at.ackMs,
      compactions: at.compactions,
      queued,
      drainRate,
      drainStallMs,
      firstKeysRate: putRates[0],
      lastKeysRate: putRates[putRates.length - 1],
      keyStallMs,
      keyAckMs,
    }) + '\n',
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
