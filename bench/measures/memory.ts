/** Measure 6: heap and RSS per queued message, each run in a fresh process (bench/memory.ts). */
import type { BenchConfig } from '../config';
import { firstJsonLine, spawnTs } from '../lib/procs';
import { summarize, type Summary } from '../lib/stats';

export interface MemoryResult {
  jobs: number;
  heapBytesPerJob: Summary;
  rssBytesPerJob: Summary;
  submitSeconds: Summary;
  storeBytesPerJob: Summary;
}

interface Probe {
  jobs: number;
  queued: number;
  heapBytesPerJob: number;
  rssBytesPerJob: number;
  submitSeconds: number;
  storeBytesPerJob: number;
}

export async function measureMemory(cfg: BenchConfig, log: (s: string) => void): Promise<MemoryResult> {
  const runs: Probe[] = [];
  for (let r = 0; r < cfg.runs; r++) {
    const p = await firstJsonLine<Probe>(spawnTs('memory.ts', [String(cfg.memory.jobs)], ['--expose-gc']), 600_000);
    if (p.queued !== p.jobs) throw new Error(`memory probe queued ${p.queued} of ${p.jobs}`);
    runs.push(p);
    log(`memory run ${r + 1}: ${JSON.stringify(p)}`);
  }
  return {
    jobs: cfg.memory.jobs,
    heapBytesPerJob: summarize(runs.map((x) => x.heapBytesPerJob)),
    rssBytesPerJob: summarize(runs.map((x) => x.rssBytesPerJob)),
    submitSeconds: summarize(runs.map((x) => x.submitSeconds)),
    storeBytesPerJob: summarize(runs.map((x) => x.storeBytesPerJob)),
  };
}
