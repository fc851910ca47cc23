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
  /** The longest a batch of 200 claims waited to be on disk. */
  belowAckMs: number;
  atRate: number;
  atStallMs: number;
  atAckMs: number;
  compactions: number;
  queued: number;
  drainRate: number;
  drainStallMs: number;
  firstKeysRate: number;
  lastKeysRate: number;
  keyStallMs: number;
  /** The longest a batch of 200 keys waited to be on disk. */
  keyAckMs: number;
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
  belowAckMs: Summary;
  atAckMs: Summary;
  compactions: Summary;
  drainRate: Summary;
  drainStallMs: Summary;
  firstKeysRate: Summary;
  lastKeysRate: Summary;
  /** The last tenth's rate against the first's, of the medians. */
  keysRatio: number;
  keyStallMs: Summary;
  keyAckMs: Summary;
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
    belowAckMs: of('belowAckMs'),
    atAckMs: of('atAckMs'),
    compactions: of('compactions'),
    drainRate: of('drainRate'),
    drainStallMs: of('drainStallMs'),
    firstKeysRate,
    lastKeysRate,
    keysRatio: lastKeysRate.median / firstKeysRate.median,
    keyStallMs: of('keyStallMs'),
    keyAckMs: of('keyAckMs'),
  };
}
