/**
 * Measure 2: messages per second through send-sms with pace and budget set out of the way, against
 * the sandbox's own ceiling: a plain keep-alive client sending the same requests. Both keep the same
 * number of requests in flight (the sender's `concurrency`; 1 is its strict-order default).
 */
import http from 'http';
import type { BenchConfig } from '../config';
import { FROM, TO, oursSendFlow } from '../lib/flows';
import { Lane } from '../lib/lane';
import { AGENTLESS_PATH } from '../lib/sandbox';
import { summarize, type Summary } from '../lib/stats';

export interface ThroughputResult {
  messages: number;
  concurrency: number;
  ours: Summary;
  clientLoop: Summary;
  ratio: number;
}

async function clientLoop(url: string, token: string, n: number, inFlight: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  const target = new URL(url + AGENTLESS_PATH);
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ fromAddress: FROM, toAddress: TO, toAddressMessengerType: 'sms', textBody: `loop ${i}` });
      const r = http.request(target, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`client loop got ${res.statusCode}`))));
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
  return n / s;
}

export async function measureThroughput(cfg: BenchConfig, log: (s: string) => void): Promise<ThroughputResult> {
  const lane = new Lane('throughput');
  const n = cfg.throughput.messages;
  const inFlight = cfg.throughput.concurrency;
  try {
    await lane.start();
    await lane.deploy(oursSendFlow({ sandboxUrl: lane.sandbox.url, collectorUrl: lane.collector.url, ratePerSecond: 1_000_000, burst: 10_000, requestsPerMinute: 100_000_000, concurrency: inFlight }));
    const token = await lane.sandbox.token();
    const ours: number[] = [];
    const loop: number[] = [];
    for (let r = 0; r < cfg.runs; r++) {
      await lane.sandbox.reset();
      await lane.enqueue(n, `t${r}`);
      const d = await lane.waitDone(120_000);
      ours.push((n * 1000) / (d.end - d.start));
      await lane.sandbox.reset();
      loop.push(await clientLoop(lane.sandbox.url, token, n, inFlight));
      log(`throughput run ${r + 1}: ours ${ours[r].toFixed(0)}/s, client loop ${loop[r].toFixed(0)}/s`);
    }
    const o = summarize(ours);
    const l = summarize(loop);
    return { messages: n, concurrency: inFlight, ours: o, clientLoop: l, ratio: o.median / l.median };
  } finally {
    await lane.stop();
  }
}
