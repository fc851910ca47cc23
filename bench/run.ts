/**
 * `npm run bench`: every measure against its baseline, then bench/RESULTS.md, bench/results.json and
 * one SVG chart per measure in bench/charts/. `npm run bench:smoke` (or --smoke) runs each measure at
 * a tiny size to check the harness. Sizes: bench/config.ts (BENCH_SPEC=1, BENCH_RUNS, BENCH_WEBHOOK_SECONDS).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fullConfig, smokeConfig, type BenchConfig } from './config';
import { machineFacts, BENCH_DIR } from './lib/procs';
import { resultsMarkdown, writeCharts, type BenchResults } from './lib/report';
import { measureRate } from './measures/rate';
import { measureThroughput } from './measures/throughput';
import { measureWebhook } from './measures/webhook';
import { measureStorm } from './measures/storm';
import { measureRestart } from './measures/restart';
import { measureMemory } from './measures/memory';
import { measureRedisScale } from './measures/redis-scale';
import { measureBounds } from './measures/bounds';
import { probeDisk } from './measures/disk';
import { runProfiles } from './profile';
import { writeReadmeTable } from './lib/readme';

export async function runBench(cfg: BenchConfig, outDir: string, log: (s: string) => void = (s) => console.log(s)): Promise<BenchResults> {
  const t0 = Date.now();
  const loadAtStart = os.loadavg()[0];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    log(`== ${name}`);
    const r = await fn();
    log(`== ${name} done in ${((Date.now() - s) / 1000).toFixed(1)} s`);
    return r;
  };
  const diskAtStart = await step('disk at start', () => probeDisk(cfg.disk.syncs));
  const measures = [
    () => step('rate accuracy', () => measureRate(cfg, log)),
    () => step('throughput', () => measureThroughput(cfg, log)),
    () => step('webhook latency', () => measureWebhook(cfg, log)),
    () => step('429 storm', () => measureStorm(cfg, log)),
    () => step('restart safety', () => measureRestart(cfg, log)),
    () => step('memory', () => measureMemory(cfg, log)),
    () => (cfg.redis ? step('redis coordination', () => measureRedisScale(cfg, log)) : Promise.resolve(undefined)),
    () => step('cpu profiles', () => runProfiles(cfg.profile)),
    () => step('stores at their bounds', () => measureBounds(cfg, log)),
  ] as const;
  const all: unknown[] = [];
  if (cfg.parallel) all.push(...(await Promise.all(measures.map((m) => m()))));
  else for (const m of measures) all.push(await m());
  const [rate, throughput, webhook, storm, restart, memory, redis, profiles, bounds] = all as [
    Awaited<ReturnType<typeof measureRate>>,
    Awaited<ReturnType<typeof measureThroughput>>,
    Awaited<ReturnType<typeof measureWebhook>>,
    Awaited<ReturnType<typeof measureStorm>>,
    Awaited<ReturnType<typeof measureRestart>>,
    Awaited<ReturnType<typeof measureMemory>>,
    Awaited<ReturnType<typeof measureRedisScale>>,
    Awaited<ReturnType<typeof runProfiles>>,
    Awaited<ReturnType<typeof measureBounds>>,
  ];
  const diskAtEnd = await step('disk at end', () => probeDisk(cfg.disk.syncs));
  const results: BenchResults = {
    config: cfg,
    machine: machineFacts(loadAtStart),
    seconds: (Date.now() - t0) / 1000,
    disk: { start: diskAtStart, end: diskAtEnd },
    rate,
    throughput,
    webhook,
    storm,
    restart,
    memory,
    redis,
    profiles,
    bounds,
  };
  fs.mkdirSync(outDir, { recursive: true });
  writeCharts(results, path.join(outDir, 'charts'));
  fs.writeFileSync(path.join(outDir, 'RESULTS.md'), resultsMarkdown(results));
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  // The project README quotes the summary table: refreshed from a full run written to bench/ itself.
  if (outDir === BENCH_DIR) writeReadmeTable(results);
  return results;
}

if (require.main === module) {
  const smoke = process.argv.includes('--smoke');
  const outArg = process.argv.indexOf('--out');
  const outDir = outArg >= 0 ? path.resolve(process.argv[outArg + 1]) : smoke ? path.join(BENCH_DIR, 'smoke-out') : BENCH_DIR;
  runBench(smoke ? smokeConfig() : fullConfig(), outDir).then(
    () => {
      console.log(`wrote ${path.join(outDir, 'RESULTS.md')}`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
