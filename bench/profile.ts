/**
 * `npm run bench:profile`: where the Node-RED process spends its time on the hot paths, with Node's
 * built-in sampler (`--cpu-prof`). Starts Node-RED with this package, runs the throughput flow with
 * 1 and 8 requests in flight and the webhook receiver at a fixed rate, stops Node-RED cleanly so the
 * profile is written, and prints (and writes to bench/profiles/summary.md) self time by place and the
 * heaviest functions, counted only while the load ran (start-up is cut out).
 *
 * Usage: tsx bench/profile.ts [send|webhook|all] [--messages N] [--rate R] [--seconds S]
 */
import fs from 'fs';
import path from 'path';
import { oursSendFlow, webhookFlow } from './lib/flows';
import { Lane } from './lib/lane';
import { BENCH_DIR } from './lib/procs';
import { profileMarkdown, summarizeProfile } from './lib/cpu-profile';
import { eventSource, load } from './measures/webhook';

const OUT = path.join(BENCH_DIR, 'profiles');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function profiled(
  name: string,
  flows: (lane: Lane) => unknown[],
  probe: ((lane: Lane) => Promise<boolean>) | undefined,
  work: (lane: Lane) => Promise<string>,
): Promise<string> {
  const lane = new Lane(`profile-${name}`);
  const dir = fs.mkdtempSync(path.join(lane.red.userDir, 'prof-'));
  lane.red.nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir];
  try {
    await lane.start();
    await lane.deploy(flows(lane), probe ? () => probe(lane) : undefined);
    const fromUs = nowUs();
    const note = await work(lane);
    const toUs = nowUs();
    // A clean stop writes the profile (SIGKILL would not).
    await lane.red.stop('SIGTERM');
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${name}: no profile written`);
    fs.mkdirSync(OUT, { recursive: true });
    const kept = path.join(OUT, `${name}.cpuprofile`);
    fs.copyFileSync(path.join(dir, file), kept);
    return profileMarkdown(`${name}: ${note}`, summarizeProfile(kept, { fromUs, toUs }));
  } finally {
    await lane.stop();
  }
}

function sendProfile(concurrency: number, n: number, rounds: number): Promise<string> {
  return profiled(
    `send-${concurrency}`,
    (lane) => oursSendFlow({ sandboxUrl: lane.sandbox.url, collectorUrl: lane.collector.url, ratePerSecond: 1_000_000, burst: 10_000, requestsPerMinute: 100_000_000, concurrency }),
    undefined,
    async (lane) => {
      const rates: number[] = [];
      for (let r = 0; r < rounds; r++) {
        await lane.sandbox.reset();
        await lane.enqueue(n, `p${r}`);
        const d = await lane.waitDone(300_000);
        rates.push((n * 1000) / (d.end - d.start));
      }
      return `${rounds} x ${n} messages, ${concurrency} in flight: ${rates.map((x) => x.toFixed(0)).join(', ')} msg/s`;
    },
  );
}

function webhookProfile(rate: number, seconds: number): Promise<string> {
  return profiled(
    `webhook-${rate}`,
    () => webhookFlow(),
    async (lane) => {
      try {
        return (await lane.red.req('POST', '/hooks/ours', 'probe', { 'content-type': 'text/plain' })).status === 415;
      } catch {
        return false;
      }
    },
    async (lane) => {
      const res = await load(`http://127.0.0.1:${lane.red.port}/hooks/ours`, rate, seconds, 50, eventSource(`prof-${Date.now()}`, 0.05));
      return `${rate}/s for ${seconds} s: p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms, ${res.errors + res.non2xx + res.timeouts} errors`;
    },
  );
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  const n = arg('messages', 3000);
  const parts: string[] = [`# CPU profiles (${new Date().toISOString()}, load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`, ''];
  if (which === 'send' || which === 'all') {
    parts.push(await sendProfile(1, n, 2));
    parts.push(await sendProfile(8, n, 2));
  }
  if (which === 'webhook' || which === 'all') parts.push(await webhookProfile(arg('rate', 1000), arg('seconds', 8)));
  const md = parts.join('\n');
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'summary.md'), md);
  console.log(md);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
