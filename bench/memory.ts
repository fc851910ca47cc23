/**
 * Memory per queued message, in its own process (run with --expose-gc): a Dispatcher whose provider
 * never answers, so every submitted job stays queued, with the durable store on (fsync, group commit).
 * Usage: node --expose-gc --import tsx bench/memory.ts <jobs> [memory]
 * Prints one JSON line: { jobs, heapBytesPerJob, rssBytesPerJob, submitSeconds, store }.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Provider } from '../src/providers/types';
import { benchDispatcher, benchJob } from './lib/jobs';

const gc = (globalThis as { gc?: () => void }).gc;

function settle(): void {
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? 100_000);
  const durable = process.argv[3] !== 'memory';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
  const never = new Promise<Provider>(() => {});
  const d = benchDispatcher(() => never, { storeDir: durable ? dir : null, ratePerSecond: 1000, burst: 1, queueLimit: jobs + 10 });
  await d.start();
  d.register('a1b2c3d4e5f60718', () => {});
  settle();
  const before = process.memoryUsage();
  const t0 = Date.now();
  // Batches of concurrent submits, as many send-sms inputs arriving together (the store group-commits them).
  const batch = 500;
  for (let i = 0; i < jobs; i += batch) {
    const ps: Promise<void>[] = [];
    for (let j = i; j < Math.min(jobs, i + batch); j++) ps.push(d.submit(benchJob(j)));
    await Promise.all(ps);
  }
  const submitSeconds = (Date.now() - t0) / 1000;
  settle();
  const after = process.memoryUsage();
  const queued = d.stats().queued + d.stats().inFlight;
  // The durable store (the logs) and, apart, the spill file that keeps the queue's tail out of memory.
  const sizeOf = (keep: (f: string) => boolean) =>
    fs
      .readdirSync(dir)
      .filter(keep)
      .reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
  const storeBytes = sizeOf((f) => !f.endsWith('.spill'));
  const spillBytes = sizeOf((f) => f.endsWith('.spill'));
  process.stdout.write(
    JSON.stringify({
      jobs,
      queued,
      heapBytesPerJob: (after.heapUsed - before.heapUsed) / jobs,
      rssBytesPerJob: (after.rss - before.rss) / jobs,
      submitSeconds,
      storeBytesPerJob: storeBytes / jobs,
      spillBytesPerJob: spillBytes / jobs,
      store: durable ? 'fsync' : 'memory',
    }) + '\n',
  );
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
