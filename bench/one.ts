/**
 * `npx tsx bench/one.ts <measure>`: one measure at the full sizes (BENCH_RUNS etc. apply), its result
 * printed as JSON and nothing written. For working on one hot path; the published figures come from
 * `npm run bench`, which runs every measure in one run.
 */
import { fullConfig } from './config';
import { measureRate } from './measures/rate';
import { measureThroughput } from './measures/throughput';
import { measureWebhook } from './measures/webhook';
import { measureStorm } from './measures/storm';
import { measureRestart } from './measures/restart';
import { measureMemory } from './measures/memory';
import { measureRedisScale } from './measures/redis-scale';
import { measureBounds } from './measures/bounds';

const cfg = fullConfig();
const log = (s: string): void => console.error(s);
const measures: Record<string, () => Promise<unknown>> = {
  rate: () => measureRate(cfg, log),
  throughput: () => measureThroughput(cfg, log),
  webhook: () => measureWebhook(cfg, log),
  storm: () => measureStorm(cfg, log),
  restart: () => measureRestart(cfg, log),
  memory: () => measureMemory(cfg, log),
  redis: () => measureRedisScale(cfg, log),
  bounds: () => measureBounds(cfg, log),
};

const name = process.argv[2] ?? '';
const run = measures[name];
if (!run) {
  console.error(`usage: tsx bench/one.ts ${Object.keys(measures).join('|')}`);
  process.exit(2);
}
run().then(
  (r) => {
    console.log(JSON.stringify(r, null, 2));
    process.exit(0);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
