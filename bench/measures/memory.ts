/**
 * Measure 6: heap and RSS per queued message, each run in a fresh process (bench/memory.ts), at each
 * queue size of a curve (10,000, 100,000 and 1,000,000 queued), with the store's size on disk and the
 * time it took to queue them all.
 */
import type { BenchConfig } from '../config';
import { firstJsonLine, spawnTs } from '../lib/procs';
import { summarize, type Summary } from '../lib/stats';

export interface MemoryPoint {
  jobs: number;
  heapBytesPerJob: Summary;
  rssBytesPerJob: Summary;
  submitSeconds: Summary;
  storeBytesPerJob: Summary;
  /** The spill file (a cache of the queue's tail, not part of the durable store). */
  spillBytesPerJob?: Summary;
}

/** The headline point (100,000 queued) at the top level, every size in `points`. */
export interface MemoryResult extends MemoryPoint {
  points?: MemoryPoint[];
}

interface Probe {
  jobs: number;
  queued: number;
  heapBytesPerJob: number;
  rssBytesPerJob: number;
  submitSeconds: number;
  storeBytesPerJob: number;
  spillBytesPerJob: number;
}

async function point(jobs: number, runs: number, log: (s: string) => void): Promise<MemoryPoint> {
  const probes: Probe[] = [];
  for (let r = 0; r < runs; r++) {
    // The heap must hold every job: give the probe room above Node's default limit at the largest size.
    const heapMb = Math.max(2048, Math.ceil((jobs * 2500) / 2 ** 20));
    const p = await firstJsonLine<Probe>(spawnTs('memory.ts', [String(jobs)], ['--expose-gc', `--max-old-space-size=${heapMb}`]), 900_000);
    if (p.queued !== p.jobs) throw new Error(`memory probe queued ${p.queued} of ${p.jobs}`);
    probes.push(p);
    log(`memory ${jobs} run ${r + 1}: ${JSON.stringify(p)}`);
  }
  return {
    jobs,
    heapBytesPerJob: summarize(probes.map((x) => x.heapBytesPerJob)),
    rssBytesPerJob: summarize(probes.map((x) => x.rssBytesPerJob)),
    submitSeconds: summarize(probes.map((x) => x.submitSeconds)),
    storeBytesPerJob: summarize(probes.map((x) => x.storeBytesPerJob)),
    spillBytesPerJob: summarize(probes.map((x) => x.spillBytesPerJob ?? 0)),
  };
}

export async function measureMemory(cfg: BenchConfig, log: (s: string) => void): Promise<MemoryResult> {
  const sizes = cfg.memory.curve ?? [cfg.memory.jobs];
  const points: MemoryPoint[] = [];
  for (const jobs of sizes) {
    // The largest size takes a while and varies little between runs: one run of it is enough.
    points.push(await point(jobs, jobs > cfg.memory.jobs ? Math.min(cfg.runs, cfg.memory.largeRuns ?? 1) : cfg.runs, log));
  }
  const head = points.find((p) => p.jobs === cfg.memory.jobs) ?? points[points.length - 1];
  return { ...head, points };
}
