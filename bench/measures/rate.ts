/** Measure 1: pace accuracy of send-sms against delay (rate limit) -> function -> http request. */
import type { BenchConfig } from '../config';
import { SendPair, type Lane } from '../lib/lane';
import { effectiveRate, maxInWindow, percentile, spacingJitter, summarize, type Summary } from '../lib/stats';

export interface RatePoint {
  ratePerSecond: number;
  messages: number;
  systems: Record<'ours' | 'baseline', { rate: Summary; maxPerSecond: Summary; p99JitterMs: Summary; cpuPercent: Summary; sent: Summary }>;
}

async function runOnce(lane: Lane, n: number, rate: number, prefix: string) {
  await lane.sandbox.reset();
  const cpu0 = lane.cpu();
  const t0 = Date.now();
  await lane.enqueue(n, prefix);
  await lane.waitDone((n / rate) * 1000 * 2 + 30_000);
  const wall = (Date.now() - t0) / 1000;
  const cpu = ((lane.cpu() - cpu0) / wall) * 100;
  const times = (await lane.sandbox.sends()).filter((q) => q.status === 202).map((q) => q.at);
  return { rate: effectiveRate(times), maxPerSecond: maxInWindow(times, 1000), p99JitterMs: percentile(spacingJitter(times, rate), 99), cpuPercent: cpu, sent: times.length };
}

export async function measureRate(cfg: BenchConfig, log: (s: string) => void): Promise<RatePoint[]> {
  const pair = new SendPair('rate');
  const { ours, base } = pair;
  const points: RatePoint[] = [];
  try {
    await pair.start();
    for (const { ratePerSecond: rate, messages: n } of cfg.rate.points) {
      await pair.deploy(rate);
      const acc = { ours: [] as Awaited<ReturnType<typeof runOnce>>[], baseline: [] as Awaited<ReturnType<typeof runOnce>>[] };
      for (let r = 0; r < cfg.runs; r++) {
        // Both systems run at the same time on separate processes: at these rates neither is CPU bound.
        const [o, b] = await Promise.all([runOnce(ours, n, rate, `r${r}`), runOnce(base, n, rate, `r${r}`)]);
        acc.ours.push(o);
        acc.baseline.push(b);
        log(
          `rate ${rate}/s run ${r + 1}: ours ${o.rate.toFixed(2)}/s max ${o.maxPerSecond}/1s p99 jitter ${o.p99JitterMs} ms; baseline ${b.rate.toFixed(2)}/s max ${b.maxPerSecond}/1s p99 jitter ${b.p99JitterMs} ms`,
        );
      }
      const sum = (xs: typeof acc.ours) => ({
        rate: summarize(xs.map((x) => x.rate)),
        maxPerSecond: summarize(xs.map((x) => x.maxPerSecond)),
        p99JitterMs: summarize(xs.map((x) => x.p99JitterMs)),
        cpuPercent: summarize(xs.map((x) => x.cpuPercent)),
        sent: summarize(xs.map((x) => x.sent)),
      });
      points.push({ ratePerSecond: rate, messages: n, systems: { ours: sum(acc.ours), baseline: sum(acc.baseline) } });
    }
  } finally {
    await pair.stop();
  }
  return points;
}
