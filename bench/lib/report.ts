/** RESULTS.md and the charts from the results of a bench run. */
import fs from 'fs';
import path from 'path';
import type { BenchConfig } from '../config';
import type { MachineFacts } from './procs';
import type { Summary } from './stats';
import { barChart, lineChart, type Bar } from './svg';
import type { RatePoint } from '../measures/rate';
import type { ThroughputPoint, ThroughputResult } from '../measures/throughput';
import type { WebhookPoint } from '../measures/webhook';
import type { StormResult } from '../measures/storm';
import type { RestartResult } from '../measures/restart';
import type { MemoryPoint, MemoryResult } from '../measures/memory';
import type { RedisScaleResult } from '../measures/redis-scale';
import type { ProfileRun } from '../profile';
import type { BoundsResult } from '../measures/bounds';
import type { DiskProbe } from '../measures/disk';
import { profileMarkdown } from './cpu-profile';

export interface BenchResults {
  config: BenchConfig;
  machine: MachineFacts;
  seconds: number;
  /** The disk probe at the start and the end of the run. */
  disk?: { start: DiskProbe; end: DiskProbe };
  rate: RatePoint[];
  throughput: ThroughputResult;
  webhook: WebhookPoint[];
  storm: StormResult;
  restart: RestartResult;
  memory: MemoryResult;
  redis?: RedisScaleResult;
  profiles?: ProfileRun[];
  bounds?: BoundsResult;
  /** Set when a measure was re-run after the main run (say which and why). */
  memoryNote?: string;
  restartNote?: string;
}

export interface Verdict {
  measure: string;
  target: string;
  ours: string;
  baseline: string;
  met: boolean;
}

function n(v: number, d = 1): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Number.isInteger(v) && d <= 1 ? String(v) : v.toFixed(d);
}

/** "median (min–max)" */
function s(x: Summary, d = 1): string {
  return x.runs.length > 1 ? `${n(x.median, d)} (${n(x.min, d)}–${n(x.max, d)})` : n(x.median, d);
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

const bar = (label: string, x: Summary, kind: Bar['kind']): Bar => ({ label, value: x.median, min: x.min, max: x.max, kind });

/** "3 runs per point", with the measures that ran more (their baselines vary most from run to run). */
export function runsPerPoint(c: BenchResults['config']): string {
  const more = [
    ['throughput', c.throughput.runs],
    ['webhook', c.webhook.runs],
  ].filter(([, n]) => n !== undefined && n !== c.runs);
  const base = `${c.runs} run${c.runs > 1 ? 's' : ''} per point`;
  return more.length ? `${base}, ${more.map(([m, n]) => `${n} for ${m}`).join(' and ')}` : base;
}

export function verdicts(r: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  for (const p of r.rate) {
    const o = p.systems.ours;
    const b = p.systems.baseline;
    const worstErr = (x: typeof o) => Math.max(...x.rate.runs.map((v) => Math.abs(v - p.ratePerSecond) / p.ratePerSecond)) * 100;
    const ok = (x: typeof o) => worstErr(x) <= 2 && x.maxPerSecond.max <= p.ratePerSecond;
    out.push({
      measure: `1. Rate accuracy at ${p.ratePerSecond}/s`,
      target: `within 2 %, no 1 s window over ${p.ratePerSecond}`,
      ours: `${n(o.rate.median, 2)}/s (worst ${n(worstErr(o), 2)} % off), max ${n(o.maxPerSecond.max, 0)} in 1 s`,
      baseline: `${n(b.rate.median, 2)}/s (worst ${n(worstErr(b), 2)} % off), max ${n(b.maxPerSecond.max, 0)} in 1 s${ok(b) ? '' : ' — misses'}`,
      met: ok(o),
    });
  }
  const t = r.throughput;
  const tp = t.points ?? [{ concurrency: t.concurrency ?? 1, ours: t.ours, clientLoop: t.clientLoop, ratio: t.ratio }];
  for (const c of [t.concurrency ?? 8, 1]) {
    const p = tp.find((x) => x.concurrency === c);
    if (!p) continue;
    out.push({
      measure: `2. Throughput, ${c} in flight${c === 1 ? ' (strict order, the default)' : ''}`,
      target: `≥ 0.8 of a plain keep-alive client loop with ${c} in flight`,
      ours: `${n(p.ours.median, 0)} msg/s = ${p.ratio.toFixed(2)} of the loop`,
      baseline: `client loop ${n(p.clientLoop.median, 0)} req/s`,
      met: p.ratio >= 0.8,
    });
  }
  const fixed = r.webhook.filter((w) => w.mode !== 'burst');
  const at = (target: string, rate: number) => fixed.find((w) => w.target === target && w.rate === rate);
  const rate1k = fixed.some((w) => w.rate === 1000) ? 1000 : fixed[0]?.rate;
  for (const target of ['ours', 'ours-stalled']) {
    const o = at(target, target === 'ours' ? rate1k : r.config.webhook.stalledRate);
    const b = at(target === 'ours' ? 'plain' : 'plain-stalled', o?.rate ?? 0);
    const bare = at('bare', o?.rate ?? 0) ?? at('bare', rate1k);
    if (!o) continue;
    const limit = bare ? 1.25 * bare.p99.median : NaN;
    out.push({
      measure: `3. Webhook ack${target === 'ours-stalled' ? ', downstream stalled' : ''} at ${o.rate}/s`,
      target: "p99 ≤ 1.25 × the bare server's p99 in the same run, no errors",
      ours: `p99 ${n(o.p99.median, 1)} ms = ${bare ? (o.p99.median / bare.p99.median).toFixed(2) : 'n/a'} × bare, ${n(o.errors.max, 0)} errors`,
      baseline: `bare server p99 ${bare ? n(bare.p99.median, 1) : 'n/a'} ms; http in→response p99 ${b ? n(b.p99.median, 1) : 'n/a'} ms (no signature check, no dedupe)`,
      met: o.p99.median <= limit && o.errors.max === 0,
    });
  }
  const top = Math.max(...fixed.map((w) => w.rate));
  const oTop = at('ours', top);
  if (oTop && top > (rate1k ?? 0)) {
    const bTop = at('bare', top);
    out.push({
      measure: `3. Webhook ack at ${top}/s`,
      target: 'no errors',
      ours: `${n(oTop.errors.max, 0)} errors, p99 ${n(oTop.p99.median, 1)} ms, ${n(oTop.achievedRate.median, 0)} req/s answered`,
      baseline: `bare server p99 ${bTop ? n(bTop.p99.median, 1) : 'n/a'} ms`,
      met: oTop.errors.max === 0,
    });
  }
  const burstOf = (target: string) => r.webhook.find((w) => w.mode === 'burst' && w.target === target);
  const bo = burstOf('ours');
  if (bo) {
    const bp = burstOf('plain');
    const bb = burstOf('bare');
    const { requests, concurrency } = r.config.webhook.burst;
    out.push({
      measure: `3. Webhook ack, burst of ${requests} (${concurrency} at a time)`,
      target: 'p99 < 50 ms, no errors',
      ours: `p99 ${n(bo.p99.median, 1)} ms, ${n(bo.errors.max, 0)} errors`,
      baseline: `http in→response p99 ${bp ? n(bp.p99.median, 1) : 'n/a'} ms; bare server p99 ${bb ? n(bb.p99.median, 1) : 'n/a'} ms`,
      met: bo.p99.median < 50 && bo.errors.max === 0,
    });
  }
  const so = r.storm.systems.ours;
  const sb = r.storm.systems.baseline;
  out.push({
    measure: '4. 429 storm',
    target: 'zero loss, zero duplicates, no calls inside Retry-After',
    ours: `lost ${n(so.lost.max, 0)} (${n(so.failedVisibly.max, 0)} reported failed), dup ${n(so.duplicates.max, 0)}, wasted ${n(so.wasted.max, 0)}, recovers in ${n(so.recoverMs.median / 1000, 1)} s`,
    baseline: `lost ${n(sb.lost.median, 0)}, dup ${n(sb.duplicates.max, 0)}, wasted ${n(sb.wasted.median, 0)}`,
    met: so.lost.max === 0 && so.duplicates.max === 0 && so.wasted.max === 0,
  });
  const ro = r.restart.systems.ours;
  const rb = r.restart.systems.baseline;
  out.push({
    measure: '5. Restart after kill -9',
    target: 'zero loss, zero duplicates',
    ours: `lost ${n(ro.lost.max, 0)}, dup ${n(ro.duplicates.max, 0)}, ambiguous ${n(ro.ambiguous.max, 0)}`,
    baseline: `lost ${n(rb.lost.median, 0)}, dup ${n(rb.duplicates.max, 0)}`,
    met: ro.lost.max === 0 && ro.duplicates.max === 0,
  });
  const m = r.memory;
  out.push({
    measure: `6. Memory at ${m.jobs.toLocaleString('en-US')} queued`,
    target: '≤ 400 B heap per queued message (and the time to queue them)',
    ours: `${n(m.heapBytesPerJob.median, 0)} B heap, ${n(m.rssBytesPerJob.median, 0)} B RSS per message; queued in ${n(m.submitSeconds.median, 1)} s`,
    baseline: 'delay node: in memory only (not measured)',
    met: m.heapBytesPerJob.max <= 400,
  });
  const rd = r.redis;
  if (rd) {
    out.push({
      measure: '7. Redis coordination, 3 instances',
      target: 'shared budget held (no window over it), nothing sent twice; throughput of 3 against 1',
      ours: `3 instances ${n(rd.three.median, 0)} msg/s = ${rd.ratio.toFixed(2)} × 1 instance; at most ${n(rd.boundMaxInWindow.max, 0)} sends in any window for a budget of ${rd.budget.requests}; ${n(rd.duplicates.max, 0)} duplicates`,
      baseline: `1 instance ${n(rd.one.median, 0)} msg/s`,
      met: rd.boundMaxInWindow.max <= rd.budget.requests && rd.duplicates.max === 0,
    });
  }
  return out;
}

export function summaryTable(r: BenchResults): string {
  const rows = verdicts(r).map((v) => `| ${v.measure} | ${v.target} | ${v.ours} | ${v.baseline} | ${v.met ? '**met**' : '**not met**'} |`);
  return ['| Measure | Target | This package (median) | Baseline (median) | Target |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function writeCharts(r: BenchResults, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [];
  files.push([
    'rate-accuracy.svg',
    barChart(
      'Rate accuracy: achieved rate / configured rate',
      '% of configured rate',
      r.rate.flatMap((p) => {
        const pct = (x: Summary): Summary => ({ median: (x.median / p.ratePerSecond) * 100, min: (x.min / p.ratePerSecond) * 100, max: (x.max / p.ratePerSecond) * 100, runs: x.runs });
        return [bar(`${p.ratePerSecond}/s ours`, pct(p.systems.ours.rate), 'ours'), bar(`${p.ratePerSecond}/s delay node`, pct(p.systems.baseline.rate), 'baseline')];
      }),
      { value: 100, label: 'configured rate' },
    ),
  ]);
  files.push([
    'throughput.svg',
    barChart('Throughput ceiling', 'messages per second', [bar('send-sms', r.throughput.ours, 'ours'), bar('keep-alive client loop', r.throughput.clientLoop, 'ceiling')], {
      value: r.throughput.clientLoop.median * 0.8,
      label: 'target 0.8 of loop',
    }),
  ]);
  const tpoints = r.throughput.points;
  if (tpoints?.length) {
    const sp = (pick: (p: ThroughputPoint) => Summary) => tpoints.map((p) => ({ x: p.concurrency, y: pick(p).median, min: pick(p).min, max: pick(p).max }));
    files.push([
      'throughput-curve.svg',
      lineChart('Throughput by requests in flight', 'requests in flight', 'messages per second', [
        { label: 'send-sms (durable, fsync)', kind: 'ours', points: sp((p) => p.ours) },
        { label: 'keep-alive client loop', kind: 'ceiling', points: sp((p) => p.clientLoop) },
        ...(tpoints.every((p) => p.core) ? [{ label: 'core nodes (nothing durable)', kind: 'baseline' as const, points: sp((p) => p.core!.rate) }] : []),
      ]),
    ]);
    files.push([
      'throughput-p99.svg',
      lineChart(
        'p99 time per message by requests in flight',
        'requests in flight',
        'ms (log scale)',
        [
          { label: 'send-sms (durable, fsync)', kind: 'ours', points: sp((p) => p.oursP99) },
          { label: 'keep-alive client loop', kind: 'ceiling', points: sp((p) => p.clientLoopP99) },
        ],
        { logY: true },
      ),
    ]);
  }
  const mpoints = r.memory.points;
  if (mpoints?.length) {
    const mp = (pick: (p: MemoryPoint) => Summary) => mpoints.map((p) => ({ x: p.jobs, y: pick(p).median, min: pick(p).min, max: pick(p).max }));
    files.push([
      'memory-curve.svg',
      lineChart(
        'Memory and disk per queued message by queue size',
        'messages queued',
        'bytes per message',
        [
          { label: 'heap', kind: 'ours', points: mp((p) => p.heapBytesPerJob) },
          { label: 'RSS', kind: 'baseline', points: mp((p) => p.rssBytesPerJob) },
          { label: 'store on disk', kind: 'ceiling', points: mp((p) => p.storeBytesPerJob) },
        ],
        { target: { value: 400, label: 'target 400 B heap' } },
      ),
    ]);
  }
  if (r.redis) {
    const rd = r.redis;
    files.push([
      'redis.svg',
      barChart('Redis coordination: messages per second at the platform', 'messages per second', [bar('1 instance', rd.one, 'baseline'), bar('3 instances', rd.three, 'ours')]),
    ]);
  }
  const kind = (t: string): Bar['kind'] => (t.startsWith('ours') ? 'ours' : t === 'bare' ? 'ceiling' : 'baseline');
  const label = (w: WebhookPoint) =>
    `${w.mode === 'burst' ? 'burst' : `${w.rate}/s`} ${w.target === 'plain' ? 'http in' : w.target === 'plain-stalled' ? 'http in stalled' : w.target === 'bare' ? 'bare server' : w.target === 'ours-stalled' ? 'ours stalled' : 'ours'}`;
  files.push([
    'webhook-latency.svg',
    barChart(
      'Webhook acknowledgement latency (p99)',
      'ms',
      r.webhook.map((w) => bar(label(w), w.p99, kind(w.target))),
      (() => {
        const bare = r.webhook.find((w) => w.target === 'bare' && w.rate === 1000);
        return bare ? { value: bare.p99.median * 1.25, label: 'target at 1000/s: 1.25 × bare p99' } : undefined;
      })(),
    ),
  ]);
  const so = r.storm.systems;
  files.push([
    'storm.svg',
    barChart(`429 storm (${r.storm.stormSeconds} s, Retry-After ${r.storm.retryAfterSeconds} s): messages`, 'messages / calls', [
      bar('ours lost', so.ours.lost, 'ours'),
      bar('baseline lost', so.baseline.lost, 'baseline'),
      bar('ours wasted calls', so.ours.wasted, 'ours'),
      bar('baseline wasted calls', so.baseline.wasted, 'baseline'),
      bar('ours duplicates', so.ours.duplicates, 'ours'),
      bar('baseline duplicates', so.baseline.duplicates, 'baseline'),
    ]),
  ]);
  const ro = r.restart.systems;
  files.push([
    'restart.svg',
    barChart(`kill -9 with ${r.restart.messages} queued`, 'messages', [
      bar('ours lost', ro.ours.lost, 'ours'),
      bar('delay node lost', ro.baseline.lost, 'baseline'),
      bar('ours duplicates', ro.ours.duplicates, 'ours'),
      bar('delay node duplicates', ro.baseline.duplicates, 'baseline'),
      bar('ours ambiguous', ro.ours.ambiguous, 'ours'),
    ]),
  ]);
  files.push([
    'memory.svg',
    barChart(
      `Memory per queued message at ${r.memory.jobs.toLocaleString('en-US')} queued`,
      'bytes per message',
      [bar('heap', r.memory.heapBytesPerJob, 'ours'), bar('RSS', r.memory.rssBytesPerJob, 'ours'), bar('on disk', r.memory.storeBytesPerJob, 'ours')],
      {
        value: 400,
        label: 'target 400 B heap',
      },
    ),
  ]);
  for (const [f, svg] of files) fs.writeFileSync(path.join(dir, f), svg);
  return files.map(([f]) => f);
}

/** The profiles taken before the rework (bench/profiles/before.md), quoted for comparison. */
function beforeProfiles(): string | undefined {
  return profileFile('before.md');
}

/** A hand-written note of bench/profiles (its leading HTML comment left out). */
function profileFile(name: string): string | undefined {
  const file = path.join(__dirname, '..', 'profiles', name);
  if (!fs.existsSync(file)) return undefined;
  return fs
    .readFileSync(file, 'utf8')
    .replace(/^<!--[\s\S]*?-->\n/, '')
    .trim();
}

export function resultsMarkdown(r: BenchResults, chartDir = 'charts'): string {
  const c = r.config;
  const m = r.machine;
  const L: string[] = [];
  const vs = verdicts(r);
  const standing = (num: string) => {
    for (const v of vs.filter((x) => x.measure.startsWith(num + '.'))) {
      L.push(`**Where we stand — ${v.measure.slice(num.length + 2)}:** target ${v.target}: **${v.met ? 'met' : 'not met'}**. Ours: ${v.ours}. Baseline: ${v.baseline}.`, '');
    }
  };
  L.push('# Benchmark results', '');
  L.push(
    `Generated by \`npm run bench\` (${c.label} sizes, ${runsPerPoint(c)}, ${Math.round(r.seconds)} s in all). Every figure is the median of the runs, with min–max in brackets where there was more than one run. Ours and the baselines ran in the same bench run on the same machine; everything on loopback.`,
    '',
  );
  L.push(
    '**Machine:** ' +
      `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; ${m.os}; Node ${m.node}; Node-RED ${m.nodeRed}; commit ${m.commit}; ${m.date}; 1-minute load average ${m.loadAverage ? `${m.loadAverage.start.toFixed(1)} at start, ${m.loadAverage.end.toFixed(1)} at end` : 'not recorded'} (above the core count means other work shared the CPU).`,
    '',
  );
  if (r.disk) {
    const d = (x: DiskProbe) => `median ${n(x.medianMs, 2)} ms, p99 ${n(x.p99Ms, 1)} ms, longest ${n(x.maxMs, 0)} ms, ${x.over20Ms} of ${x.syncs} over 20 ms`;
    L.push(
      `**Disk:** one appended line and its fdatasync, ${r.disk.start.perSecond} a second, ${r.disk.start.syncs} times, in the directory the stores use, with nothing else running: at the start ${d(r.disk.start)}; at the end ${d(r.disk.end)}. Every message send-sms sends waits for such a sync (its start record) before its request leaves.`,
      '',
    );
  }
  L.push('## Summary', '', summaryTable(r), '');
  L.push(
    "Baselines are plain core-node flows a Node-RED user would build: `delay (rate limit) -> function -> http request` for sending, `http in -> http response` for receiving, and a bare `http.createServer` as the ceiling. The Genesys-compatible server is the package's sandbox, in its own process.",
    '',
  );

  L.push('## 1. Rate accuracy', '');
  standing('1');
  L.push(
    'N messages queued at once, paced by send-sms (sender rate R, burst 1) or by a delay node in rate-limit mode (R per second). Timestamps are those of the sandbox receiving each send (when each request arrived). send-sms lets a request leave only once its start record is on disk, so a slow fdatasync (see Disk above) delays it, and every request a window behind it: the window counts departures and never makes lost time up. Both systems ran side by side in separate Node-RED processes. CPU is the Node-RED process (user + system) over the run, in % of one core.',
    '',
  );
  L.push('| Rate | N | System | Effective rate /s | Max in any 1 s window | p99 spacing jitter (ms) | CPU % | Rate vs baseline |', '|---|---|---|---|---|---|---|---|');
  for (const p of r.rate) {
    for (const k of ['ours', 'baseline'] as const) {
      const x = p.systems[k];
      L.push(
        `| ${p.ratePerSecond}/s | ${p.messages} | ${k === 'ours' ? 'send-sms' : 'delay node'} | ${s(x.rate, 2)} | ${s(x.maxPerSecond, 0)} | ${s(x.p99JitterMs, 0)} | ${s(x.cpuPercent, 1)} | ${k === 'ours' ? ratio(x.rate.median, p.systems.baseline.rate.median) : '1.00×'} |`,
      );
    }
  }
  L.push('', `![rate accuracy](${chartDir}/rate-accuracy.svg)`, '');

  const t = r.throughput;
  L.push('## 2. Throughput', '');
  standing('2');
  L.push(
    `${t.messages} messages through send-sms with the sender rate, burst and account budget set far above what the machine can do, timed inside Node-RED from the split to the last outcome, with the durable queue fsync'ed as always (each message on disk before it is accepted, each start on disk before its request, each outcome on disk before it leaves). The ceiling is a plain keep-alive client loop sending the same requests to the same sandbox from the bench process. Both keep the same number of requests in flight (the sender's \`concurrency\` option; its default of 1 keeps strict order). The p99 is the time per message from its slot coming free to its outcome, estimated the same way for both from the completion times (in a closed loop with C in flight, message i waits from completion i − C to its own). CPU is the Node-RED process's per message. Each point starts with one unrecorded run of each side, the first point with five of each (a fresh Node-RED's first few thousand messages cost up to twice the CPU of later ones, and the client loop's rate in strict order climbs by about 80 % over its first five runs; the figures are for both running warm).`,
    '',
  );
  L.push(
    '| In flight | send-sms msg/s | client loop req/s | Ratio | send-sms p99 ms | client loop p99 ms | send-sms CPU ms/msg | core nodes msg/s | core nodes ratio |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const p of t.points ?? []) {
    L.push(
      `| ${p.concurrency} | ${s(p.ours, 0)} | ${s(p.clientLoop, 0)} | ${p.ratio.toFixed(2)} | ${s(p.oursP99, 1)} | ${s(p.clientLoopP99, 1)} | ${p.oursCpuMs ? s(p.oursCpuMs, 3) : 'n/a'} | ${p.core ? s(p.core.rate, 0) : 'n/a'} | ${p.core ? p.core.ratio.toFixed(2) : 'n/a'} |`,
    );
  }
  // A results file from before the curve: its one point, without p99s.
  if (!t.points) L.push(`| ${t.concurrency ?? 1} | ${s(t.ours, 0)} | ${s(t.clientLoop, 0)} | ${t.ratio.toFixed(2)} | n/a | n/a | n/a | n/a | n/a |`);
  L.push('', `![throughput by requests in flight](${chartDir}/throughput-curve.svg)`, '', `![p99 by requests in flight](${chartDir}/throughput-p99.svg)`, '');
  const costed = (t.points ?? []).flatMap((p) =>
    p.core && p.clientLoopCpuMs && p.sandboxCpuMs && p.oursCpuMs ? [{ ...p, core: p.core, loopCpu: p.clientLoopCpuMs, sandboxCpu: p.sandboxCpuMs, oursCpu: p.oursCpuMs }] : [],
  );
  if (costed.length) {
    L.push(
      `**What each message costs, and where.** The core-node row is the same sends built from Node-RED's own nodes with nothing durable (split, a function node that keeps the same number of requests in flight, a function that builds the request, a keep-alive \`http request\` node, the same tally), in a Node-RED of its own against a sandbox of its own, run in turn with the other two. CPU is user + system time of the whole process (every thread) per message, read from /proc at 10 ms resolution over ${t.messages} messages: the client loop's is the bench process's while it ran the loop, the sandbox's is its process's per request while it served each side. The last column is the most the Node-RED process's one JavaScript thread may spend per message at 0.8 of the loop's rate, 1 / (0.8 × loop rate), whatever the other threads do; the two cores are shared with the sandbox and the bench.`,
      '',
      '| In flight | send-sms CPU ms/msg | core nodes CPU ms/msg | client loop CPU ms/req | sandbox CPU ms/req, serving send-sms | serving the client loop | one thread at 0.8 of the loop, ms/msg |',
      '|---|---|---|---|---|---|---|',
    );
    for (const p of costed) {
      L.push(
        `| ${p.concurrency} | ${s(p.oursCpu, 3)} | ${s(p.core.cpuMs, 3)} | ${s(p.loopCpu, 3)} | ${s(p.sandboxCpu.ours, 3)} | ${s(p.sandboxCpu.clientLoop, 3)} | ${(1000 / (0.8 * p.clientLoop.median)).toFixed(3)} |`,
      );
    }
    L.push('');
  }

  L.push('## 3. Webhook acknowledgement latency', '');
  standing('3');
  L.push(
    `Fixed request rates for ${c.webhook.seconds} s per point, after an unrecorded second of load on each target (autocannon, ${c.webhook.connections} connections, each answer's latency recorded once as measured: autocannon's coordinated-omission correction assumes a 1 ms send interval whatever the rate and would count a 19 ms answer 19 times; within a burst no planned send is missed, so there is nothing to correct). autocannon keeps a rate by letting each connection send its share of a second back to back, each request as soon as the previous one is answered, then wait for the next second: every second starts with a burst of the rate's requests, ${c.webhook.connections} in flight, so the p99 is mostly how fast a server works through such a burst. Validly signed Standard Webhooks events, ${Math.round(c.webhook.duplicateShare * 100)} % of them repeating a recent event id. "Stalled" puts a delay node holding every message for 1 s after the receiver, so thousands of messages wait downstream. The http in baseline answers straight from http in (the best a core-node flow can do) and checks no signature and drops no duplicate; the bare server does nothing but answer.`,
    '',
  );
  L.push(
    `The burst rows are a closed loop instead: ${c.webhook.burst.requests} signed events sent as fast as they are answered, ${c.webhook.burst.concurrency} at a time, each timed from request to answer (target: p99 under 50 ms).`,
    '',
  );
  L.push('| Rate | Target | p50 ms | p99 ms | max ms | Errors | Achieved req/s | CPU % | p99 vs http in |', '|---|---|---|---|---|---|---|---|---|');
  for (const w of r.webhook) {
    const base = r.webhook.find((x) => x.rate === w.rate && x.mode === w.mode && x.target === (w.target.endsWith('stalled') ? 'plain-stalled' : 'plain'));
    L.push(
      `| ${w.mode === 'burst' ? 'burst' : `${w.rate}/s`} | ${w.target} | ${s(w.p50, 1)} | ${s(w.p99, 1)} | ${s(w.max, 0)} | ${s(w.errors, 0)} | ${s(w.achievedRate, 0)} | ${s(w.cpuPercent, 0)} | ${w.target.startsWith('ours') && base ? ratio(w.p99.median, base.p99.median) : ''} |`,
    );
  }
  L.push('', `![webhook latency](${chartDir}/webhook-latency.svg)`, '');

  const st = r.storm;
  L.push('## 4. 429 storm', '');
  standing('4');
  L.push(
    `${st.messages} messages at ${st.ratePerSecond}/s. After ${c.storm.leadSeconds} s the sandbox answers every send with 429 and \`Retry-After: ${st.retryAfterSeconds}\` for ${st.stormSeconds} s, then accepts again. Wasted calls: sends that arrived while an earlier 429's Retry-After window was open. Recover: from the end of the storm to the first accepted send. Drain: from the end of the storm to the last accepted send. Lost: never accepted by the platform; "reported failed" is how many of ours came out of the failure output (with an error code) rather than silently.`,
    '',
  );
  L.push('| System | Calls | 429s | Wasted calls | Recover s | Drain s | Lost | Reported failed | Duplicates |', '|---|---|---|---|---|---|---|---|---|');
  for (const k of ['ours', 'baseline'] as const) {
    const x = st.systems[k];
    const sec = (y: Summary): Summary => ({ median: y.median / 1000, min: y.min / 1000, max: y.max / 1000, runs: y.runs });
    L.push(
      `| ${k === 'ours' ? 'send-sms' : 'delay → http request'} | ${s(x.calls, 0)} | ${s(x.rateLimited, 0)} | ${s(x.wasted, 0)} | ${s(sec(x.recoverMs), 1)} | ${s(sec(x.drainMs), 1)} | ${s(x.lost, 0)} | ${k === 'ours' ? s(x.failedVisibly, 0) : 'n/a (429 passes on as msg.statusCode)'} | ${s(x.duplicates, 0)} |`,
    );
  }
  L.push('', `![429 storm](${chartDir}/storm.svg)`, '');

  const rs = r.restart;
  L.push('## 5. Restart safety (kill -9)', '');
  standing('5');
  L.push(
    `${rs.messages} messages queued at ${rs.ratePerSecond}/s; once about ${c.restart.killAfter} have reached the platform, Node-RED is killed with SIGKILL and started again on the same user directory. Counted at the platform. Ambiguous: messages ours reported as \`ambiguous_send\` (a request in flight at the kill, not resent by default). Lost: neither taken by the platform nor reported to the flow (an ambiguous one that never reached the platform is reported, so not lost).`,
    '',
  );
  if (r.restartNote) L.push(`*Note: ${r.restartNote}.*`, '');
  L.push('| System | Sent before kill | Lost | Duplicates | Ambiguous |', '|---|---|---|---|---|');
  L.push(`| send-sms | ${s(rs.systems.ours.sentBeforeKill, 0)} | ${s(rs.systems.ours.lost, 0)} | ${s(rs.systems.ours.duplicates, 0)} | ${s(rs.systems.ours.ambiguous, 0)} |`);
  L.push(`| delay → http request | ${s(rs.systems.baseline.sentBeforeKill, 0)} | ${s(rs.systems.baseline.lost, 0)} | ${s(rs.systems.baseline.duplicates, 0)} | not tracked |`);
  L.push('', `![restart](${chartDir}/restart.svg)`, '');

  const mm = r.memory;
  L.push('## 6. Memory per queued message', '');
  standing('6');
  L.push(
    `Jobs submitted to a sender's dispatch engine whose platform never answers, so all stay queued; durable store on (fsync with group commit, submits in concurrent batches of 500); each run in a fresh process, heap measured after forced GC. Jobs carry a 70-character text and a small msg snapshot, as send-sms submits them. The largest size runs once.`,
    '',
  );
  if (r.memoryNote) L.push(`*Note: ${r.memoryNote}.*`, '');
  L.push(
    `Behind the first ${'1,000'} waiting jobs, the queue keeps each job's line in a spill file next to the log (a cache, removed on close) and only its id and place in memory; the job is read back as it nears the front.`,
    '',
  );
  L.push('| Queued | Heap B/message | RSS B/message | Store on disk B/message | Spill file B/message | Time to queue all (s) |', '|---|---|---|---|---|---|');
  for (const p of mm.points ?? [mm])
    L.push(
      `| ${p.jobs.toLocaleString('en-US')} | ${s(p.heapBytesPerJob, 0)} | ${s(p.rssBytesPerJob, 0)} | ${s(p.storeBytesPerJob, 0)} | ${p.spillBytesPerJob ? s(p.spillBytesPerJob, 0) : 'n/a'} | ${s(p.submitSeconds, 1)} |`,
    );
  L.push('', `![memory by queue size](${chartDir}/memory-curve.svg)`, '');

  const rd = r.redis;
  if (rd) {
    L.push('## 7. Redis coordination', '');
    standing('7');
    L.push(
      `Three Node-RED processes share one account through one redis-server (coordination "redis": shared queue, budget, 429 pause, idempotency) and one sandbox. ${rd.messages} messages queued on one instance, then the same number spread over all three; messages per second at the platform, first to last send. Then a budget of ${rd.budget.requests} requests per ${rd.budget.windowMs / 1000} s window (the account window, shortened through a test-only setting) with ${rd.budget.messages} messages over the three: the most sends the platform saw in any window (less 100 ms for the trip from grant to platform), and the rate after the first window's burst against the budget's rate. Each instance sends strictly in order (a shared queue keeps 1 in flight per instance). The machine has 2 cores for the three Node-REDs, Redis, the sandbox and the bench.`,
      '',
    );
    L.push('| Setup | Messages/s | Most in any window | Budget used | Duplicates |', '|---|---|---|---|---|');
    L.push(`| 1 instance | ${s(rd.one, 0)} | | | |`);
    L.push(`| 3 instances | ${s(rd.three, 0)} (${rd.ratio.toFixed(2)} ×) | | | ${s(rd.duplicates, 0)} |`);
    L.push(
      `| 3 instances, budget ${rd.budget.requests} per ${rd.budget.windowMs / 1000} s | | ${s(rd.boundMaxInWindow, 0)} (budget ${rd.budget.requests}) | ${s({ ...rd.boundUse, median: rd.boundUse.median * 100, min: rd.boundUse.min * 100, max: rd.boundUse.max * 100 }, 0)} % | |`,
    );
    L.push('', `![redis](${chartDir}/redis.svg)`, '');
  }

  if (r.profiles?.length) {
    L.push('## 8. Where the time went (CPU profiles)', '');
    L.push(
      'Node\'s own sampler (`node --cpu-prof`) in a Node-RED of its own per run, only samples taken while the load ran (start-up cut out); "busy" is the profiled time less idle. The same runs by `npm run bench:profile`. Rates under the profiler are lower than in the measures above.',
      '',
    );
    const findings = profileFile('findings.md');
    if (findings) L.push(findings, '');
    L.push('### This run', '');
    for (const p of r.profiles) {
      L.push(profileMarkdown(`${p.name}: ${p.note}; ${(p.summary.busyMs / p.units).toFixed(3)} ms busy per ${p.name.startsWith('webhook') ? 'request' : 'message'}`, p.summary, 8, '####'));
    }
    const before = beforeProfiles();
    if (before) L.push('### Before the hot paths were reworked', '', before, '');
  }

  const b = r.bounds;
  if (b) {
    L.push('## 9. Stores at their bounds', '');
    L.push(
      `In a process of its own per run, without Node-RED, durable store on. The webhook receiver's dedupe store with bounds of ${b.bound.toLocaleString('en-US')} event ids and ${b.bound.toLocaleString('en-US')} message statuses: ${b.bound.toLocaleString('en-US')} claims (a new event and message each, 200 at a time) to fill it, then ${(3.5 * b.bound).toLocaleString('en-US')} more at the bounds, where each claim evicts the oldest event and status and the log is compacted (${b.compactions.median === 1 ? 'once' : `${s(b.compactions, 0)} times`} per run). Then a sender's dispatcher drains a queue of ${b.queued.toLocaleString('en-US')} jobs, 8 in flight, on a platform that answers at once (start, result and done records, outcomes delivered in order; the queue's log is compacted as it shrinks), as many idempotency keys put (200 at a time, 24 h retention: a day's keys of a busy sender), and an account's sent-message log at ${b.sentBound ? `its bounds of ${b.sentBound.toLocaleString('en-US')} messages (filled, then 3.5 times as many more sends recorded, 2,000 at a time)` : 'its bounds'}. A stall is the longest gap between two ticks of a 1 ms timer: while it lasts every flow of the runtime waits.`,
      '',
    );
    L.push('| Phase | Rate | Longest event-loop stall (ms) |', '|---|---|---|');
    L.push(`| Dedupe, filling to the bounds | ${s(b.belowRate, 0)} claims/s | ${s(b.belowStallMs, 1)} |`);
    L.push(`| Dedupe, at the bounds (evicting, compacting) | ${s(b.atRate, 0)} claims/s = ${b.atRatio.toFixed(2)} of filling | ${s(b.atStallMs, 1)} |`);
    L.push(`| Dispatcher draining ${b.queued.toLocaleString('en-US')} queued | ${s(b.drainRate, 0)} jobs/s | ${s(b.drainStallMs, 1)} |`);
    if (b.firstKeysRate) {
      L.push(`| Idempotency keys, first tenth | ${s(b.firstKeysRate, 0)} keys/s | |`);
      L.push(
        `| Idempotency keys, last tenth (${(0.9 * b.queued).toLocaleString('en-US')} kept) | ${s(b.lastKeysRate, 0)} keys/s = ${b.keysRatio.toFixed(2)} of the first | ${s(b.keyStallMs, 1)} (all of it) |`,
      );
    }
    if (b.sentBound && b.sentBelowRate && b.sentAtRate && b.sentStallMs) {
      L.push(`| Sent-message log, filling to ${b.sentBound.toLocaleString('en-US')} | ${s(b.sentBelowRate, 0)} sends/s | |`);
      L.push(
        `| Sent-message log, at its bounds (evicting, compacting) | ${s(b.sentAtRate, 0)} sends/s = ${(b.sentAtRate.median / b.sentBelowRate.median).toFixed(2)} of filling | ${s(b.sentStallMs, 1)} |`,
      );
    }
    if (b.pacedAckLongestMs && b.pacedAckMedianMs) {
      L.push(
        '',
        `At the dedupe bounds, 200 claims every 40 ms (nearly 5,000 a second, about what the receiver answers over HTTP on this machine: see the burst rows of section 3) until the log has been compacted once more: a batch waited at most ${s(b.pacedAckLongestMs, 1)} ms to be on disk, compaction included, and ${s(b.pacedAckMedianMs, 1)} ms at the median. A webhook is acknowledged only once its claim is on disk.`,
      );
    }
    L.push('');
    const boundsNote = profileFile('bounds.md');
    if (boundsNote) L.push(boundsNote, '');
  }
  return L.join('\n') + '\n';
}
