/** RESULTS.md and the charts from the results of a bench run. */
import fs from 'fs';
import path from 'path';
import type { BenchConfig } from '../config';
import type { MachineFacts } from './procs';
import type { Summary } from './stats';
import { barChart, type Bar } from './svg';
import type { RatePoint } from '../measures/rate';
import type { ThroughputResult } from '../measures/throughput';
import type { WebhookPoint } from '../measures/webhook';
import type { StormResult } from '../measures/storm';
import type { RestartResult } from '../measures/restart';
import type { MemoryResult } from '../measures/memory';

export interface BenchResults {
  config: BenchConfig;
  machine: MachineFacts;
  seconds: number;
  rate: RatePoint[];
  throughput: ThroughputResult;
  webhook: WebhookPoint[];
  storm: StormResult;
  restart: RestartResult;
  memory: MemoryResult;
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
  out.push({
    measure: '2. Throughput ceiling',
    target: '≥ 0.8 of a plain keep-alive client loop',
    ours: `${n(t.ours.median, 0)} msg/s = ${t.ratio.toFixed(2)} of the loop (${t.concurrency ?? 1} in flight)`,
    baseline: `client loop ${n(t.clientLoop.median, 0)} req/s`,
    met: t.ratio >= 0.8,
  });
  const fixed = r.webhook.filter((w) => w.mode !== 'burst');
  const at = (target: string, rate: number) => fixed.find((w) => w.target === target && w.rate === rate);
  const rate1k = fixed.some((w) => w.rate === 1000) ? 1000 : fixed[0]?.rate;
  for (const target of ['ours', 'ours-stalled']) {
    const o = at(target, target === 'ours' ? rate1k : r.config.webhook.stalledRate);
    const b = at(target === 'ours' ? 'plain' : 'plain-stalled', o?.rate ?? 0);
    const bare = at('bare', o?.rate ?? 0) ?? at('bare', rate1k);
    if (!o) continue;
    out.push({
      measure: `3. Webhook ack${target === 'ours-stalled' ? ', downstream stalled' : ''} at ${o.rate}/s`,
      target: 'p99 < 10 ms, no errors',
      ours: `p99 ${n(o.p99.median, 1)} ms, ${n(o.errors.max, 0)} errors`,
      baseline: `http in→response p99 ${b ? n(b.p99.median, 1) : 'n/a'} ms (no signature check, no dedupe); bare server p99 ${bare ? n(bare.p99.median, 1) : 'n/a'} ms`,
      met: o.p99.median < 10 && o.errors.max === 0,
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
    target: '< 1 KB heap per queued message',
    ours: `${n(m.heapBytesPerJob.median, 0)} B heap, ${n(m.rssBytesPerJob.median, 0)} B RSS per message`,
    baseline: 'delay node: in memory only (not measured)',
    met: m.heapBytesPerJob.max < 1024,
  });
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
  const kind = (t: string): Bar['kind'] => (t.startsWith('ours') ? 'ours' : t === 'bare' ? 'ceiling' : 'baseline');
  const label = (w: WebhookPoint) =>
    `${w.mode === 'burst' ? 'burst' : `${w.rate}/s`} ${w.target === 'plain' ? 'http in' : w.target === 'plain-stalled' ? 'http in stalled' : w.target === 'bare' ? 'bare server' : w.target === 'ours-stalled' ? 'ours stalled' : 'ours'}`;
  files.push([
    'webhook-latency.svg',
    barChart(
      'Webhook acknowledgement latency (p99)',
      'ms',
      r.webhook.map((w) => bar(label(w), w.p99, kind(w.target))),
      { value: 10, label: 'target 10 ms' },
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
        value: 1024,
        label: 'target 1 KB heap',
      },
    ),
  ]);
  for (const [f, svg] of files) fs.writeFileSync(path.join(dir, f), svg);
  return files.map(([f]) => f);
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
    `Generated by \`npm run bench\` (${c.label} sizes, ${c.runs} run${c.runs > 1 ? 's' : ''} per point, ${Math.round(r.seconds)} s in all). Every figure is the median of the runs, with min–max in brackets where there was more than one run. Ours and the baselines ran in the same bench run on the same machine; everything on loopback.`,
    '',
  );
  L.push(
    '**Machine:** ' +
      `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; ${m.os}; Node ${m.node}; Node-RED ${m.nodeRed}; commit ${m.commit}; ${m.date}; 1-minute load average ${m.loadAverage ? `${m.loadAverage.start.toFixed(1)} at start, ${m.loadAverage.end.toFixed(1)} at end` : 'not recorded'} (above the core count means other work shared the CPU).`,
    '',
  );
  L.push('## Summary', '', summaryTable(r), '');
  L.push(
    "Baselines are plain core-node flows a Node-RED user would build: `delay (rate limit) -> function -> http request` for sending, `http in -> http response` for receiving, and a bare `http.createServer` as the ceiling. The Genesys-compatible server is the package's sandbox, in its own process.",
    '',
  );

  L.push('## 1. Rate accuracy', '');
  standing('1');
  L.push(
    'N messages queued at once, paced by send-sms (sender rate R, burst 1) or by a delay node in rate-limit mode (R per second). Timestamps are those of the sandbox receiving each send. Both systems ran side by side in separate Node-RED processes. CPU is the Node-RED process (user + system) over the run, in % of one core.',
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
  L.push('## 2. Throughput ceiling', '');
  standing('2');
  L.push(
    `${t.messages} messages through send-sms with the sender rate, burst and account budget set far above what the machine can do, timed inside Node-RED from the split to the last outcome. The ceiling is a plain keep-alive client loop sending the same requests to the same sandbox. Both keep ${t.concurrency ?? 1} request(s) in flight (the sender's \`concurrency\` option; its default of 1 keeps strict order).`,
    '',
  );
  L.push('| System | Messages/s | Ratio |', '|---|---|---|');
  L.push(`| send-sms (durable queue, fsync) | ${s(t.ours, 0)} | ${t.ratio.toFixed(2)} |`);
  L.push(`| keep-alive client loop | ${s(t.clientLoop, 0)} | 1.00 |`);
  L.push('', `![throughput](${chartDir}/throughput.svg)`, '');

  L.push('## 3. Webhook acknowledgement latency', '');
  standing('3');
  L.push(
    `Fixed request rates for ${c.webhook.seconds} s per point (autocannon, ${c.webhook.connections} connections, latency corrected for coordinated omission), validly signed Standard Webhooks events, ${Math.round(c.webhook.duplicateShare * 100)} % of them repeating a recent event id. "Stalled" puts a delay node holding every message for 1 s after the receiver, so thousands of messages wait downstream. The http in baseline answers straight from http in (the best a core-node flow can do) and checks no signature and drops no duplicate; the bare server does nothing but answer.`,
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
    `${rs.messages} messages queued at ${rs.ratePerSecond}/s; once about ${c.restart.killAfter} have reached the platform, Node-RED is killed with SIGKILL and started again on the same user directory. Counted at the platform. Ambiguous: messages ours reported as \`ambiguous_send\` (a request in flight at the kill, not resent by default).`,
    '',
  );
  L.push('| System | Sent before kill | Lost | Duplicates | Ambiguous |', '|---|---|---|---|---|');
  L.push(`| send-sms | ${s(rs.systems.ours.sentBeforeKill, 0)} | ${s(rs.systems.ours.lost, 0)} | ${s(rs.systems.ours.duplicates, 0)} | ${s(rs.systems.ours.ambiguous, 0)} |`);
  L.push(`| delay → http request | ${s(rs.systems.baseline.sentBeforeKill, 0)} | ${s(rs.systems.baseline.lost, 0)} | ${s(rs.systems.baseline.duplicates, 0)} | not tracked |`);
  L.push('', `![restart](${chartDir}/restart.svg)`, '');

  const mm = r.memory;
  L.push('## 6. Memory per queued message', '');
  standing('6');
  L.push(
    `${mm.jobs.toLocaleString('en-US')} jobs submitted to a sender's dispatch engine whose platform never answers, so all stay queued; durable store on (fsync with group commit, submits in concurrent batches of 500); each run in a fresh process, heap measured after forced GC. Jobs carry a 70-character text and a small msg snapshot.`,
    '',
  );
  L.push('| Heap B/message | RSS B/message | Store on disk B/message | Time to queue all (s) |', '|---|---|---|---|');
  L.push(`| ${s(mm.heapBytesPerJob, 0)} | ${s(mm.rssBytesPerJob, 0)} | ${s(mm.storeBytesPerJob, 0)} | ${s(mm.submitSeconds, 1)} |`);
  L.push('', `![memory](${chartDir}/memory.svg)`, '');
  return L.join('\n') + '\n';
}
