/**
 * Measure 4: a 429 storm. The sandbox answers every send with 429 + Retry-After for a fixed time,
 * then recovers. Counted from the sandbox's request log: calls made while a Retry-After window was
 * open (wasted), time from the end of the storm to the first accepted send, messages never accepted
 * (lost) and accepted twice (duplicates). Ours vs delay -> function -> http request.
 */
import type { BenchConfig } from '../config';
import { SendPair, type Lane } from '../lib/lane';
import type { ApiRequest } from '../lib/sandbox';
import { sleep } from '../../test/helpers/red-process';
import { summarize, type Summary } from '../lib/stats';

export interface StormSystem {
  calls: Summary;
  rateLimited: Summary;
  wasted: Summary;
  recoverMs: Summary;
  drainMs: Summary;
  lost: Summary;
  duplicates: Summary;
  failedVisibly: Summary;
}

export interface StormResult {
  messages: number;
  ratePerSecond: number;
  stormSeconds: number;
  retryAfterSeconds: number;
  systems: Record<'ours' | 'baseline', StormSystem>;
}

/** Calls that arrived while an earlier 429's Retry-After window was still open. */
export function wastedCalls(sends: ApiRequest[], retryAfterMs: number): number {
  let openUntil = 0;
  let wasted = 0;
  for (const q of [...sends].sort((a, b) => a.at - b.at)) {
    if (q.at < openUntil) wasted++;
    if (q.status === 429) openUntil = Math.max(openUntil, q.at + retryAfterMs);
  }
  return wasted;
}

async function runOnce(lane: Lane, cfg: BenchConfig['storm'], n: number, prefix: string) {
  await lane.sandbox.reset();
  await lane.enqueue(n, prefix);
  await sleep(cfg.leadSeconds * 1000);
  const stormStart = Date.now();
  await lane.sandbox.control({ faults: [{ status: 429, count: 1, retryAfter: cfg.retryAfterSeconds, path: 'agentless', forMs: cfg.stormSeconds * 1000 }] });
  const stormEnd = stormStart + cfg.stormSeconds * 1000;
  await lane.waitDone((n / cfg.ratePerSecond) * 1000 + cfg.stormSeconds * 1000 * 3 + 60_000);
  const sends = await lane.sandbox.sends();
  const texts = (await lane.sandbox.texts()).filter((t) => t.startsWith(prefix + ' '));
  const unique = new Set(texts).size;
  const accepted = sends.filter((q) => q.status === 202);
  const firstAfter = accepted.find((q) => q.at >= stormEnd);
  return {
    calls: sends.length,
    rateLimited: sends.filter((q) => q.status === 429).length,
    wasted: wastedCalls(sends, cfg.retryAfterSeconds * 1000),
    recoverMs: firstAfter ? firstAfter.at - stormEnd : NaN,
    drainMs: accepted.length ? Math.max(0, accepted[accepted.length - 1].at - stormEnd) : NaN,
    lost: n - unique,
    duplicates: texts.length - unique,
    failedVisibly: lane.failures().length,
  };
}

export async function measureStorm(cfg: BenchConfig, log: (s: string) => void): Promise<StormResult> {
  const s = cfg.storm;
  const n = Math.round(s.ratePerSecond * (s.leadSeconds + s.stormSeconds + s.tailSeconds));
  const pair = new SendPair('storm');
  const { ours, base } = pair;
  try {
    await pair.start();
    await pair.deploy(s.ratePerSecond);
    const acc: Record<'ours' | 'baseline', Awaited<ReturnType<typeof runOnce>>[]> = { ours: [], baseline: [] };
    for (let r = 0; r < cfg.runs; r++) {
      const [o, b] = await Promise.all([runOnce(ours, s, n, `s${r}`), runOnce(base, s, n, `s${r}`)]);
      acc.ours.push(o);
      acc.baseline.push(b);
      log(`storm run ${r + 1}: ours ${JSON.stringify(o)}; baseline ${JSON.stringify(b)}`);
    }
    const sum = (xs: (typeof acc)['ours']): StormSystem => ({
      calls: summarize(xs.map((x) => x.calls)),
      rateLimited: summarize(xs.map((x) => x.rateLimited)),
      wasted: summarize(xs.map((x) => x.wasted)),
      recoverMs: summarize(xs.map((x) => x.recoverMs)),
      drainMs: summarize(xs.map((x) => x.drainMs)),
      lost: summarize(xs.map((x) => x.lost)),
      duplicates: summarize(xs.map((x) => x.duplicates)),
      failedVisibly: summarize(xs.map((x) => x.failedVisibly)),
    });
    return { messages: n, ratePerSecond: s.ratePerSecond, stormSeconds: s.stormSeconds, retryAfterSeconds: s.retryAfterSeconds, systems: { ours: sum(acc.ours), baseline: sum(acc.baseline) } };
  } finally {
    await pair.stop();
  }
}
