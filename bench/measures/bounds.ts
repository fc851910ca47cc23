/**
 * Measure 9: the stores at their bounds (bench/bounds.ts, a fresh process per run): webhook claims per
 * second below the dedupe bounds and at them (a log compaction included), and the longest the event
 * loop stood still in each phase; then a dispatcher draining a queue of many jobs 8 at a time, with its rate and
 * longest stall; then as many idempotency keys put, 200 at a time, with the rate of the first and the
 * last tenth. A stall holds up every flow of the runtime, not only the store's own writes.
 */
import type { BenchConfig } from '../config';
import { firstJsonLine, spawnTs } from '../lib/procs';
import { summarize, type Summary } from '../lib/stats';

export interface BoundsProbe {
  bound: number;
  belowRate: number;
  belowStallMs: number;
  atRate: number;
  atStallMs: number;
  compactions: number;
  /** At the bounds, 200 claims every 40 ms through one compaction: the longest and the median a batch waited to be on disk. */
  pacedAckLongestMs: number;
  pacedAckMedianMs: number;
  /** The sent-message log at its bounds (50,000): sends recorded per second filling it and kept at it, and the longest stall there. */
  sentBound: number;
  sentBelowRate: number;
  sentAtRate: number;
  sentStallMs: number;
  queued: number;
  drainRate: number;
  drainStallMs: number;
  firstKeysRate: number;
  lastKeysRate: number;
  keyStallMs: number;
}

export interface BoundsResult {
  bound: number;
  queued: number;
  belowRate: Summary;
  atRate: Summary;
  /** At the bounds against below them, of the medians. */
  atRatio: number;
  belowStallMs: Summary;
  atStallMs: Summary;
  compactions: Summary;
  /** Not in results from before these were measured. */
  pacedAckLongestMs?: Summary;
  pacedAckMedianMs?: Summary;
  sentBound?: number;
  sentBelowRate?: Summary;
  sentAtRate?: Summary;
  sentStallMs?: Summary;
  drainRate: Summary;
  drainStallMs: Summary;
  firstKeysRate: Summary;
  lastKeysRate: Summary;
  /** The last tenth's rate against the first's, of the medians. */
  keysRatio: number;
  keyStallMs: Summary;
}

export async function measureBounds(cfg: BenchConfig, log: (s: string) => void): Promise<BoundsResult> {
  const probes: BoundsProbe[] = [];
  for (let r = 0; r < cfg.runs; r++) {
    const p = await firstJsonLine<BoundsProbe>(spawnTs('bounds.ts', [String(cfg.bounds.dedupe), String(cfg.bounds.queued)]), 600_000);
    if (p.compactions < 1) throw new Error('bounds probe: the dedupe log was never compacted at its bounds');
    probes.push(p);
    log(`bounds run ${r + 1}: ${JSON.stringify(p)}`);
  }
  const of = (k: keyof BoundsProbe) => summarize(probes.map((p) => p[k]));
  const belowRate = of('belowRate');
  const atRate = of('atRate');
  const firstKeysRate = of('firstKeysRate');
  const lastKeysRate = of('lastKeysRate');
  return {
    bound: cfg.bounds.dedupe,
    queued: cfg.bounds.queued,
    belowRate,
    atRate,
    atRatio: atRate.median / belowRate.median,
    belowStallMs: of('belowStallMs'),
    atStallMs: of('atStallMs'),
    pacedAckLongestMs: of('pacedAckLongestMs'),
    pacedAckMedianMs: of('pacedAckMedianMs'),
    sentBound: probes[0]?.sentBound,
    sentBelowRate: of('sentBelowRate'),
    sentAtRate: of('sentAtRate'),
    sentStallMs: of('sentStallMs'),
    compactions: of('compactions'),
    drainRate: of('drainRate'),
    drainStallMs: of('drainStallMs'),
    firstKeysRate,
    lastKeysRate,
    keysRatio: lastKeysRate.median / firstKeysRate.median,
    keyStallMs: of('keyStallMs'),
  };
}
