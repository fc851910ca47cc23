/**
 * Sizes of every measure. `full` is what `npm run bench` runs (about 18 minutes on 2 cores);
 * BENCH_SPEC=1 uses the sizes of the original brief where `full` trims them for time (2,000 messages
 * at 20/s, 30 s of webhook load per point); `smoke` runs each measure for about a second.
 */
export interface BenchConfig {
  label: string;
  runs: number;
  /** Run the measures at the same time (smoke only: numbers then share the CPU, only the harness is checked). */
  parallel: boolean;
  rate: { points: { ratePerSecond: number; messages: number }[] };
  /** `concurrency`: requests in flight, for the sender and the client loop alike; `runs` per point, when not `runs`. */
  throughput: { messages: number; concurrency: number; curve?: number[]; runs?: number };
  /** `burst`: a closed loop of `requests` signed events, `concurrency` at a time; `runs` per point, when not `runs`. */
  webhook: { rates: number[]; seconds: number; stalledRate: number; connections: number; duplicateShare: number; burst: { requests: number; concurrency: number }; runs?: number };
  storm: { ratePerSecond: number; leadSeconds: number; stormSeconds: number; retryAfterSeconds: number; tailSeconds: number };
  restart: { messages: number; ratePerSecond: number; killAfter: number; quietMs: number };
  /** `jobs`: the headline size; `curve`: every size measured; `largeRuns`: runs of sizes above `jobs`. */
  memory: { jobs: number; curve?: number[]; largeRuns?: number };
  /**
   * Three instances against one through Redis: `messages` in all; then `boundMessages` with a budget of
   * `budget` requests per `windowMs` (the account's window, shortened through a test-only setting).
   * Left out of the smoke run: `npm test` must not need redis-server.
   */
  redis?: { messages: number; boundMessages: number; budget: number; windowMs: number };
  /** The stores at their bounds: the dedupe store's bound (events and statuses), and jobs queued then drained. */
  bounds: { dedupe: number; queued: number };
  /** CPU profiles of the hot paths (bench/profile.ts). */
  profile: { messages: number; rounds: number; webhookRate: number; webhookSeconds: number };
  /** fdatasyncs of the disk probe at the start and at the end of the run (bench/measures/disk.ts). */
  disk: { syncs: number };
}

/**
 * Runs per point of the throughput and webhook measures in a full run (BENCH_RUNS sets every measure's):
 * their baselines vary most from run to run (the client loop at 8 in flight between 8,000 and 15,800
 * requests/s in one run, the bare server's p99 between 7 and 11 ms), and a run of either takes seconds.
 */
const THROUGHPUT_RUNS = 7;
const WEBHOOK_RUNS = 5;

export function fullConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const spec = env.BENCH_SPEC === '1';
  const runs = env.BENCH_RUNS ? Number(env.BENCH_RUNS) : undefined;
  return {
    label: spec ? 'spec' : 'full',
    runs: runs ?? 3,
    parallel: false,
    rate: {
      points: [
        { ratePerSecond: 20, messages: spec ? 2000 : 1000 },
        { ratePerSecond: 100, messages: 2000 },
      ],
    },
    throughput: { messages: 1000, concurrency: 8, curve: env.BENCH_CURVE ? env.BENCH_CURVE.split(',').map(Number) : [1, 2, 4, 8, 16], runs: runs ?? THROUGHPUT_RUNS },
    webhook: {
      rates: [500, 1000, 2000],
      seconds: Number(env.BENCH_WEBHOOK_SECONDS ?? (spec ? 30 : 6)),
      stalledRate: 1000,
      connections: 50,
      duplicateShare: 0.05,
      burst: { requests: 500, concurrency: 10 },
      runs: runs ?? WEBHOOK_RUNS,
    },
    storm: { ratePerSecond: 20, leadSeconds: 2, stormSeconds: 30, retryAfterSeconds: 5, tailSeconds: 8 },
    restart: { messages: 1000, ratePerSecond: 100, killAfter: 100, quietMs: 3000 },
    memory: { jobs: 100_000, curve: [10_000, 100_000, 1_000_000], largeRuns: 1 },
    redis: { messages: 600, boundMessages: 300, budget: 100, windowMs: 2000 },
    bounds: { dedupe: 100_000, queued: 100_000 },
    profile: { messages: 3000, rounds: 2, webhookRate: 1000, webhookSeconds: 8 },
    disk: { syncs: 300 },
  };
}

export function smokeConfig(): BenchConfig {
  return {
    label: 'smoke',
    runs: 1,
    parallel: true,
    rate: { points: [{ ratePerSecond: 50, messages: 50 }] },
    throughput: { messages: 50, concurrency: 4, curve: [1, 4] },
    webhook: { rates: [200], seconds: 1, stalledRate: 200, connections: 10, duplicateShare: 0.05, burst: { requests: 50, concurrency: 5 } },
    storm: { ratePerSecond: 50, leadSeconds: 0.3, stormSeconds: 1, retryAfterSeconds: 1, tailSeconds: 0.5 },
    restart: { messages: 100, ratePerSecond: 100, killAfter: 10, quietMs: 1000 },
    memory: { jobs: 2000, curve: [1000, 2000] },
    bounds: { dedupe: 2000, queued: 2000 },
    profile: { messages: 50, rounds: 1, webhookRate: 100, webhookSeconds: 1 },
    disk: { syncs: 10 },
  };
}
