/**
 * Measure 2: messages per second through send-sms with pace and budget set out of the way, against
 * the sandbox's own ceiling: a plain keep-alive client sending the same requests. Both keep the same
 * number of requests in flight (the sender's `concurrency`; 1 is its strict-order default), at each
 * point of a curve (1, 2, 4, 8, 16 in flight), with the p99 time per message at each. Each point
 * starts with one unrecorded run of each side, the first point with WARMUP_RUNS of each: a fresh
 * Node-RED spends its first few thousand messages compiling and growing its heap (CPU per message
 * falls from about 0.8 to 0.45 ms over the first 4,000 in strict order), and a long-running instance,
 * which is what the figure is for, does not. The client loop warms up the same way (in strict order
 * its rate climbs from about 1,800 to 3,200 requests/s over its first five runs of 1,000), so it gets
 * as many unrecorded runs as ours: with one, the first point compared a warm Node-RED with a cold loop.
 * A third side, the same sends through core nodes with nothing durable (coreSendFlow) in a Node-RED and
 * a sandbox of their own, shows what a flow costs before any of this package's work; with the CPU per
 * message of every process (ours, the loop's, the sandbox serving each) it says where a message's cost
 * goes on a machine whose two cores the Node-RED process shares with the sandbox and the bench.
 */
import http from 'http';
import type { BenchConfig } from '../config';
import { FROM, TO, coreSendFlow, oursSendFlow } from '../lib/flows';
import { Lane } from '../lib/lane';
import { AGENTLESS_PATH } from '../lib/sandbox';
import { cpuSeconds } from '../lib/procs';
import { percentile, slotLatencies, summarize, type Summary } from '../lib/stats';

/** Unrecorded runs of each side before the first point (one before each later point). */
const WARMUP_RUNS = 5;

export interface ThroughputPoint {
  concurrency: number;
  ours: Summary;
  clientLoop: Summary;
  /** ours / client loop, of the medians. */
  ratio: number;
  /** p99 ms per message (see slotLatencies), same estimate for both. */
  oursP99: Summary;
  clientLoopP99: Summary;
  /** CPU time of the Node-RED process per message (user + system), less sensitive to other load than rates. */
  oursCpuMs?: Summary;
  /**
   * The same sends through core nodes with nothing durable (coreSendFlow) in a Node-RED of its own, at
   * the same in-flight count: what a flow costs before any of this package's work.
   */
  core?: { rate: Summary; ratio: number; p99: Summary; cpuMs: Summary };
  /** CPU time of the bench process per request while it ran the client loop (user + system). */
  clientLoopCpuMs?: Summary;
  /** CPU time of the sandbox process per request, while serving ours and while serving the client loop. */
  sandboxCpuMs?: { ours: Summary; clientLoop: Summary };
}

export interface ThroughputResult {
  messages: number;
  /** The headline point (8 in flight). */
  concurrency: number;
  ours: Summary;
  clientLoop: Summary;
  ratio: number;
  points?: ThroughputPoint[];
}

async function clientLoop(url: string, token: string, n: number, inFlight: number): Promise<{ rate: number; completions: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  const target = new URL(url + AGENTLESS_PATH);
  const completions: number[] = [];
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ fromAddress: FROM, toAddress: TO, toAddressMessengerType: 'sms', textBody: `loop ${i}` });
      const r = http.request(target, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          completions.push(Date.now());
          if (res.statusCode === 202) resolve();
          else reject(new Error(`client loop got ${res.statusCode}`));
        });
      });
      r.on('error', reject);
      r.end(body);
    });
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  return { rate: n / s, completions };
}

export async function measureThroughput(cfg: BenchConfig, log: (s: string) => void): Promise<ThroughputResult> {
  const lane = new Lane('throughput');
  const coreLane = new Lane('throughput-core');
  const n = cfg.throughput.messages;
  const curve = cfg.throughput.curve ?? [cfg.throughput.concurrency];
  const points: ThroughputPoint[] = [];
  try {
    await Promise.all([lane.start(), coreLane.start()]);
    const token = await lane.sandbox.token();
    const coreToken = await coreLane.sandbox.token();
    for (const [i, inFlight] of curve.entries()) {
      await lane.deploy(
        oursSendFlow({ sandboxUrl: lane.sandbox.url, collectorUrl: lane.collector.url, ratePerSecond: 1_000_000, burst: 10_000, requestsPerMinute: 100_000_000, concurrency: inFlight }),
      );
      await coreLane.deploy(coreSendFlow({ sandboxUrl: coreLane.sandbox.url, collectorUrl: coreLane.collector.url, token: coreToken, concurrency: inFlight }));
      const ours: number[] = [];
      const loop: number[] = [];
      const oursP99: number[] = [];
      const loopP99: number[] = [];
      const cpuMs: number[] = [];
      const loopCpuMs: number[] = [];
      const sandboxOursMs: number[] = [];
      const sandboxLoopMs: number[] = [];
      const sandboxCpu = () => cpuSeconds(lane.sandbox.pid);
      const coreRate: number[] = [];
      const coreP99: number[] = [];
      const coreCpuMs: number[] = [];
      const runCore = async (prefix: string) => {
        await coreLane.sandbox.reset();
        const c0 = coreLane.cpu();
        await coreLane.enqueue(n, prefix);
        const d = await coreLane.waitDone(180_000);
        const failed = coreLane.failures();
        if (failed.length) throw new Error(`core-node flow: ${failed.length} of ${n} sends failed (first: ${failed[0].code})`);
        return { rate: (n * 1000) / (d.end - d.start), p99: percentile(slotLatencies(d.times, inFlight), 99), cpuMs: ((coreLane.cpu() - c0) * 1000) / n };
      };
      for (let w = 0; w < (i === 0 ? WARMUP_RUNS : 1); w++) {
        await lane.sandbox.reset();
        await lane.enqueue(n, `warm${inFlight}-${w}`);
        await lane.waitDone(180_000);
        await lane.sandbox.reset();
        await clientLoop(lane.sandbox.url, token, n, inFlight);
        await runCore(`warm${inFlight}-${w}`);
      }
      for (let r = 0; r < (cfg.throughput.runs ?? cfg.runs); r++) {
        // Rotate which side goes first, so a burst of load from elsewhere does not always hit one side.
        const runOurs = async () => {
          await lane.sandbox.reset();
          const c0 = lane.cpu();
          const s0 = sandboxCpu();
          await lane.enqueue(n, `t${inFlight}-${r}`);
          const d = await lane.waitDone(180_000);
          cpuMs.push(((lane.cpu() - c0) * 1000) / n);
          sandboxOursMs.push(((sandboxCpu() - s0) * 1000) / n);
          ours.push((n * 1000) / (d.end - d.start));
          oursP99.push(percentile(slotLatencies(d.times, inFlight), 99));
        };
        const runLoop = async () => {
          await lane.sandbox.reset();
          const s0 = sandboxCpu();
          const b0 = process.cpuUsage();
          const l = await clientLoop(lane.sandbox.url, token, n, inFlight);
          const b = process.cpuUsage(b0);
          loopCpuMs.push((b.user + b.system) / 1000 / n);
          sandboxLoopMs.push(((sandboxCpu() - s0) * 1000) / n);
          loop.push(l.rate);
          loopP99.push(percentile(slotLatencies(l.completions, inFlight), 99));
        };
        const runCoreOnce = async () => {
          const c = await runCore(`t${inFlight}-${r}`);
          coreRate.push(c.rate);
          coreP99.push(c.p99);
          coreCpuMs.push(c.cpuMs);
        };
        const orders = [
          [runOurs, runLoop, runCoreOnce],
          [runLoop, runCoreOnce, runOurs],
          [runCoreOnce, runOurs, runLoop],
        ];
        for (const run of orders[r % orders.length]) await run();
        log(
          `throughput ${inFlight} in flight run ${r + 1}: ours ${ours[r].toFixed(0)}/s (p99 ${oursP99[r]} ms, ${cpuMs[r].toFixed(3)} ms CPU/msg, sandbox ${sandboxOursMs[r].toFixed(3)}), client loop ${loop[r].toFixed(0)}/s (p99 ${loopP99[r]} ms, ${loopCpuMs[r].toFixed(3)} ms CPU/req, sandbox ${sandboxLoopMs[r].toFixed(3)}), core nodes ${coreRate[r].toFixed(0)}/s (${coreCpuMs[r].toFixed(3)} ms CPU/msg)`,
        );
      }
      const o = summarize(ours);
      const l = summarize(loop);
      const c = summarize(coreRate);
      points.push({
        concurrency: inFlight,
        ours: o,
        clientLoop: l,
        ratio: o.median / l.median,
        oursP99: summarize(oursP99),
        clientLoopP99: summarize(loopP99),
        oursCpuMs: summarize(cpuMs),
        clientLoopCpuMs: summarize(loopCpuMs),
        sandboxCpuMs: { ours: summarize(sandboxOursMs), clientLoop: summarize(sandboxLoopMs) },
        core: { rate: c, ratio: c.median / l.median, p99: summarize(coreP99), cpuMs: summarize(coreCpuMs) },
      });
    }
    const head = points.find((p) => p.concurrency === cfg.throughput.concurrency) ?? points[points.length - 1];
    return { messages: n, concurrency: head.concurrency, ours: head.ours, clientLoop: head.clientLoop, ratio: head.ratio, points };
  } finally {
    await Promise.all([lane.stop(), coreLane.stop()]);
  }
}
