/**
 * Where the Node-RED process spends its time on the hot paths, with Node's built-in sampler
 * (`--cpu-prof`): the throughput flow with 1 and 8 requests in flight and the webhook receiver at a
 * fixed rate, each in a Node-RED of its own that is stopped cleanly so the profile is written. Only
 * samples taken while the load ran count (start-up is cut out). Part of `npm run bench` (RESULTS.md,
 * section "Where the time went"); `npm run bench:profile [send|webhook|all]` runs it alone and prints
 * the tables (also written to bench/profiles/summary.md, the raw profiles next to it).
 */
import fs from 'fs';
import path from 'path';
import { oursSendFlow, webhookFlow } from './lib/flows';
import { Lane } from './lib/lane';
import { BENCH_DIR } from './lib/procs';
import { profileMarkdown, summarizeProfile, type ProfileSummary } from './lib/cpu-profile';
import { eventSource, load } from './measures/webhook';

const OUT = path.join(BENCH_DIR, 'profiles');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export interface ProfileRun {
  name: string;
  /** What ran, with the rates it reached under the profiler. */
  note: string;
  /** Messages or requests handled while profiled. */
  units: number;
  summary: ProfileSummary;
}

export interface ProfileOptions {
  messages: number;
  rounds: number;
  webhookRate: number;
  webhookSeconds: number;
}

async function profiled(
  name: string,
  flows: (lane: Lane) => unknown[],
  probe: ((lane: Lane) => Promise<boolean>) | undefined,
  work: (lane: Lane) => Promise<{ note: string; units: number }>,
): Promise<ProfileRun> {
  const lane = new Lane(`profile-${name}`);
  const dir = fs.mkdtempSync(path.join(lane.red.userDir, 'prof-'));
  lane.red.nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir];
  try {
    await lane.start();
    await lane.deploy(flows(lane), probe ? () => probe(lane) : undefined);
    const fromUs = nowUs();
    const { note, units } = await work(lane);
    const toUs = nowUs();
    // A clean stop writes the profile (SIGKILL would not).
    await lane.red.stop('SIGTERM');
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${name}: no profile written`);
    fs.mkdirSync(OUT, { recursive: true });
    const kept = path.join(OUT, `${name}.cpuprofile`);
    fs.copyFileSync(path.join(dir, file), kept);
    return { name, note, units, summary: summarizeProfile(kept, { fromUs, toUs }) };
  } finally {
    await lane.stop();
  }
}

function sendProfile(concurrency: number, n: number, rounds: number): Promise<ProfileRun> {
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
      return { note: `${rounds} x ${n} messages, ${concurrency} in flight: ${rates.map((x) => x.toFixed(0)).join(', ')} msg/s under the profiler`, units: rounds * n };
    },
  );
}

function webhookProfile(rate: number, seconds: number): Promise<ProfileRun> {
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
      return { note: `${rate}/s for ${seconds} s: p99 ${res.latency.p99} ms, ${res.errors + res.non2xx + res.timeouts} errors under the profiler`, units: res.requests.total };
    },
  );
}

export async function runProfiles(o: ProfileOptions, which: 'send' | 'webhook' | 'all' = 'all'): Promise<ProfileRun[]> {
  const out: ProfileRun[] = [];
  if (which !== 'webhook') {
    out.push(await sendProfile(1, o.messages, o.rounds));
    out.push(await sendProfile(8, o.messages, o.rounds));
  }
  if (which !== 'send') out.push(await webhookProfile(o.webhookRate, o.webhookSeconds));
  return out;
}

export function profilesMarkdown(runs: ProfileRun[], level = '###'): string {
  return runs
    .map((r) => profileMarkdown(`${r.name}: ${r.note}; ${(r.summary.busyMs / r.units).toFixed(3)} ms busy per ${r.name.startsWith('webhook') ? 'request' : 'message'}`, r.summary, 12, level))
    .join('\n');
}

if (require.main === module) {
  const which = (process.argv[2] ?? 'all') as 'send' | 'webhook' | 'all';
  runProfiles({ messages: arg('messages', 3000), rounds: 2, webhookRate: arg('rate', 1000), webhookSeconds: arg('seconds', 8) }, which).then(
    (runs) => {
      const md = `# CPU profiles (${new Date().toISOString()}, load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})\n\n` + profilesMarkdown(runs);
      fs.mkdirSync(OUT, { recursive: true });
      fs.writeFileSync(path.join(OUT, 'summary.md'), md);
      console.log(md);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
