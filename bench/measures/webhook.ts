/**
 * Measure 3: webhook acknowledgement latency at fixed request rates (autocannon), validly signed
 * Standard Webhooks events with a share of duplicates. Ours (agentless-webhook-receiver: verify, dedupe
 * durably, ack, then emit) against http in -> http response in the same Node-RED, and a bare Node http
 * server as the ceiling.
 *
 * What autocannon's `overallRate` does: each connection sends its share of the second's requests back to
 * back (the next as soon as one is answered) and then pauses until the second is over, so each second
 * opens with a burst of `rate` requests, `connections` in flight. Every target gets the same load and the
 * same client (which signs each request), and servers that answer faster than the client sends are
 * bounded by the client.
 *
 * Latencies are recorded as measured, each answer once. autocannon's coordinated-omission correction is
 * off: it takes ceil(1 / rate) as the expected interval in ms with the rate per second, which is 1 ms for
 * any rate, so it adds a sample for every millisecond an answer took beyond the first (a 19 ms answer
 * counted 19 times). Within a burst a connection sends as soon as it is answered and misses no planned
 * send time, so there is no omission to correct.
 */
import autocannon from 'autocannon';
import http from 'http';
import type { ChildProcess } from 'child_process';
import type { BenchConfig } from '../config';
import { WEBHOOK_SECRET, webhookFlow } from '../lib/flows';
import { Lane } from '../lib/lane';
import { cpuSeconds, firstJsonLine, killChild, spawnTs } from '../lib/procs';
import { summarize, type Summary } from '../lib/stats';
import { signStandardWebhook } from '../../src/webhook/signature';

export type WebhookTarget = 'ours' | 'plain' | 'bare' | 'ours-stalled' | 'plain-stalled';

export interface WebhookPoint {
  target: WebhookTarget;
  /** Requests per second for fixed-rate points; 0 for the closed-loop burst. */
  rate: number;
  /** `burst`: N requests sent as fast as answered, C at a time, instead of a fixed rate. */
  mode?: 'fixed-rate' | 'burst';
  p50: Summary;
  p99: Summary;
  max: Summary;
  errors: Summary;
  achievedRate: Summary;
  cpuPercent: Summary;
}

interface Prepared {
  body: string;
  headers: Record<string, string>;
}

/** Request factory: fresh signed events, with `dupShare` of them repeating a recent one verbatim. */
export function eventSource(run: string, dupShare: number) {
  let seq = 0;
  const recent: Prepared[] = [];
  return (): Prepared => {
    if (recent.length && Math.random() < dupShare) return recent[Math.floor(Math.random() * recent.length)];
    const id = `evt_${run}_${seq++}`;
    const body = JSON.stringify({
      type: 'message.status',
      id,
      data: { id: `msg_${run}_${seq}`, conversationId: 'c', to: '+12025550123', from: '+12025550100', status: 'delivery-success', normalizedReceipts: [], timestamp: new Date().toISOString() },
    });
    const ts = Math.floor(Date.now() / 1000);
    const p = { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(WEBHOOK_SECRET, id, ts, body) } };
    recent.push(p);
    if (recent.length > 200) recent.shift();
    return p;
  };
}

export function load(url: string, rate: number, seconds: number, connections: number, next: () => Prepared): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        overallRate: rate,
        // Each answer counted once (see the top of this file): autocannon's correction would count a 19 ms
        // answer 19 times.
        ignoreCoordinatedOmission: true,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            setupRequest: (req: any) => {
              const p = next();
              return { ...req, body: p.body, headers: { ...req.headers, ...p.headers } };
            },
          },
        ],
      } as autocannon.Options,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

interface Run {
  p50: number;
  p99: number;
  max: number;
  errors: number;
  rate: number;
  cpu: number;
}

function toPoint(target: WebhookTarget, rate: number, mode: 'fixed-rate' | 'burst', runs: Run[]): WebhookPoint {
  const of = (k: keyof Run) => summarize(runs.map((x) => x[k]));
  return { target, rate, mode, p50: of('p50'), p99: of('p99'), max: of('max'), errors: of('errors'), achievedRate: of('rate'), cpuPercent: of('cpu') };
}

/** Closed loop: `n` requests, `concurrency` at a time, each timed from write to the end of the answer. */
async function burst(url: string, n: number, concurrency: number, next: () => Prepared): Promise<{ times: number[]; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const times: number[] = [];
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const p = next();
      const t0 = process.hrtime.bigint();
      const req = http.request(target, { method: 'POST', agent, headers: { ...p.headers, 'content-length': Buffer.byteLength(p.body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          times.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if ((res.statusCode ?? 0) >= 300) errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(p.body);
    });
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { times: times.sort((a, b) => a - b), errors };
}

export async function measureWebhook(cfg: BenchConfig, log: (s: string) => void): Promise<WebhookPoint[]> {
  const lane = new Lane('webhook');
  let bare: ChildProcess | null = null;
  const points: WebhookPoint[] = [];
  try {
    bare = spawnTs('bare-server.ts');
    const [{ url: bareUrl }] = await Promise.all([firstJsonLine<{ url: string }>(bare, 30_000), lane.start()]);
    const redUrl = `http://127.0.0.1:${lane.red.port}`;
    await lane.deploy(webhookFlow(), async () => {
      try {
        return (await lane.red.req('POST', '/hooks/ours', 'probe', { 'content-type': 'text/plain' })).status === 415;
      } catch {
        return false;
      }
    });
    const w = cfg.webhook;
    // A short unrecorded load on each target first: otherwise the first recorded run (ours, at the
    // lowest rate) also pays for warming up the load generator and its signing in this process, and
    // the servers' first connections and compiled code, which later runs and targets do not.
    for (const target of ['ours', 'plain', 'bare'] as const) {
      const url = target === 'bare' ? `${bareUrl}/hooks` : `${redUrl}/hooks/${target}`;
      await load(url, w.rates[0], 1, w.connections, eventSource(`warmup-${target}-${Date.now()}`, w.duplicateShare));
      await new Promise((ok) => setTimeout(ok, 300));
    }
    // The targets of one rate take turns run by run, so a burst of load from elsewhere on the machine
    // falls on all of them alike rather than on whichever happened to run then.
    const groups: { target: WebhookTarget; rate: number }[][] = w.rates.map((rate) => (['ours', 'plain', 'bare'] as const).map((target) => ({ target, rate })));
    groups.push([
      { target: 'ours-stalled', rate: w.stalledRate },
      { target: 'plain-stalled', rate: w.stalledRate },
    ]);
    for (const group of groups) {
      const runs = new Map<WebhookTarget, Run[]>(group.map((g) => [g.target, []]));
      for (let r = 0; r < (w.runs ?? cfg.runs); r++) {
        for (const { target, rate } of group) {
          const url = target === 'bare' ? `${bareUrl}/hooks` : `${redUrl}/hooks/${target}`;
          const pid = target === 'bare' ? bare.pid : lane.red.pid;
          const c0 = cpuSeconds(pid);
          const t0 = Date.now();
          const res = await load(url, rate, w.seconds, w.connections, eventSource(`${target}-${rate}-${r}-${Date.now()}`, w.duplicateShare));
          const wall = (Date.now() - t0) / 1000;
          const errors = res.errors + res.timeouts + res.non2xx;
          runs.get(target)!.push({ p50: res.latency.p50, p99: res.latency.p99, max: res.latency.max, errors, rate: res.requests.total / w.seconds, cpu: ((cpuSeconds(pid) - c0) / wall) * 100 });
          log(`webhook ${target} @${rate}/s run ${r + 1}: p50 ${res.latency.p50} p99 ${res.latency.p99} max ${res.latency.max} ms, errors ${errors}, sent ${res.requests.total}`);
          // Let the stalled flows drain their held messages before the next point.
          await new Promise((ok) => setTimeout(ok, target.endsWith('stalled') ? 1500 : 300));
        }
      }
      for (const { target, rate } of group) points.push(toPoint(target, rate, 'fixed-rate', runs.get(target)!));
    }
    // A burst of signed events, a few at a time, as a platform retrying a backlog sends them.
    const { requests, concurrency } = w.burst;
    for (const target of ['ours', 'plain', 'bare'] as const) {
      const url = target === 'bare' ? `${bareUrl}/hooks` : `${redUrl}/hooks/${target}`;
      const runs: Run[] = [];
      for (let r = 0; r < (w.runs ?? cfg.runs); r++) {
        const pid = target === 'bare' ? bare.pid : lane.red.pid;
        const c0 = cpuSeconds(pid);
        const t0 = Date.now();
        const res = await burst(url, requests, concurrency, eventSource(`${target}-burst-${r}-${Date.now()}`, w.duplicateShare));
        const wall = (Date.now() - t0) / 1000;
        const q = (f: number) => res.times[Math.min(res.times.length - 1, Math.floor(res.times.length * f))] ?? NaN;
        runs.push({ p50: q(0.5), p99: q(0.99), max: res.times[res.times.length - 1] ?? NaN, errors: res.errors, rate: requests / wall, cpu: ((cpuSeconds(pid) - c0) / wall) * 100 });
        log(`webhook ${target} burst of ${requests} (${concurrency} at a time) run ${r + 1}: p50 ${q(0.5).toFixed(1)} p99 ${q(0.99).toFixed(1)} ms, errors ${res.errors}`);
        await new Promise((ok) => setTimeout(ok, 300));
      }
      points.push(toPoint(target, 0, 'burst', runs));
    }
  } finally {
    await killChild(bare);
    await lane.stop();
  }
  return points;
}
