/**
 * Measure 7: Redis coordination. Three Node-RED processes with this package share one account through
 * one redis-server (shared queue, budget, 429 pause, idempotency) and one sandbox. Messages per second
 * with the work spread over all three, against the same total queued on one of them; then, with a
 * budget small enough to bind, whether the three together stay inside it (no budget window at the
 * platform holds more than the budget) while using it fully.
 */
import type { BenchConfig } from '../config';
import { oursSendFlow } from '../lib/flows';
import { SandboxProcess } from '../lib/sandbox';
import { effectiveRate, maxInWindow, summarize, type Summary } from '../lib/stats';
import { Collector, RedProcess, sleep } from '../../test/helpers/red-process';
import { RedisServer } from '../../test/helpers/redis-server';

export interface RedisScaleResult {
  messages: number;
  budget: { requests: number; windowMs: number; messages: number };
  /** Messages/s at the platform, all queued on one instance. */
  one: Summary;
  /** Messages/s at the platform, the same total spread over three. */
  three: Summary;
  ratio: number;
  /** With the binding budget: the most sends in any window less 100 ms (must not exceed the budget). */
  boundMaxInWindow: Summary;
  /** With the binding budget: rate after the first window's burst, over the budget's rate. */
  boundUse: Summary;
  duplicates: Summary;
}

export async function measureRedisScale(cfg: BenchConfig, log: (s: string) => void): Promise<RedisScaleResult> {
  const c = cfg.redis;
  if (!c) throw new Error('no redis sizes in this bench config');
  const redis = new RedisServer();
  const sandbox = new SandboxProcess();
  const collector = new Collector();
  const settings = { agentlessSms: { budgetWindowMs: c.windowMs } };
  const reds = [0, 1, 2].map((i) => new RedProcess(`bench-redis-${i}-`, settings));
  const deploy = async (requestsPerWindow: number, prefix: string) => {
    const flow = oursSendFlow({
      sandboxUrl: sandbox.url,
      collectorUrl: collector.url,
      ratePerSecond: 1_000_000,
      burst: 10_000,
      requestsPerMinute: requestsPerWindow,
      account: { coordination: 'redis', redisUrl: redis.url, redisKeyPrefix: `bench-${prefix}:`, redisLease: 5 },
    });
    await Promise.all(reds.map((r) => r.deploy(flow)));
    for (const r of reds) {
      let ok = false;
      for (let i = 0; i < 200 && !ok; i++) {
        ok = await r
          .req('POST', '/enqueue', JSON.stringify({ count: 0, prefix: 'probe' }), { 'content-type': 'application/json' })
          .then((x) => x.status === 202)
          .catch(() => false);
        if (!ok) await sleep(50);
      }
      if (!ok) throw new Error(`redis lane: flow never became ready\n${r.log}`);
    }
  };
  const enqueue = async (r: RedProcess, count: number, prefix: string) => {
    const a = await r.req('POST', '/enqueue', JSON.stringify({ count, prefix }), { 'content-type': 'application/json' });
    if (a.status !== 202) throw new Error(`enqueue answered ${a.status}`);
  };
  /** Queue `total` over `over` instances and wait until the platform has them all; sandbox arrival times. */
  const run = async (total: number, over: number, tag: string, timeoutMs: number): Promise<{ times: number[]; duplicates: number }> => {
    await sandbox.reset();
    const each = Math.floor(total / over);
    await Promise.all(reds.slice(0, over).map((r, i) => enqueue(r, i === over - 1 ? total - each * (over - 1) : each, `${tag}-${i}`)));
    let sends = await sandbox.sends();
    const end = Date.now() + timeoutMs;
    while (sends.length < total && Date.now() < end) {
      await sleep(100);
      sends = await sandbox.sends();
    }
    if (sends.length < total) throw new Error(`redis lane: ${sends.length} of ${total} sent in ${timeoutMs} ms`);
    const texts = await sandbox.texts();
    return { times: sends.filter((s) => s.status === 202).map((s) => s.at), duplicates: texts.length - new Set(texts).size };
  };
  try {
    await redis.start();
    await Promise.all([sandbox.start(), collector.start(), ...reds.map((r) => r.start())]);
    const one: number[] = [];
    const three: number[] = [];
    const dup: number[] = [];
    const maxW: number[] = [];
    const use: number[] = [];
    await deploy(100_000_000, 'free');
    for (let r = 0; r < cfg.runs; r++) {
      const a = await run(c.messages, 1, `one${r}`, 120_000);
      const b = await run(c.messages, 3, `three${r}`, 120_000);
      one.push(effectiveRate(a.times));
      three.push(effectiveRate(b.times));
      dup.push(a.duplicates + b.duplicates);
      log(`redis run ${r + 1}: one instance ${one[r].toFixed(0)}/s, three ${three[r].toFixed(0)}/s, duplicates ${dup[r]}`);
    }
    await deploy(c.budget, 'bound');
    for (let r = 0; r < cfg.runs; r++) {
      // A fresh window: the previous run's grants must not count against this one.
      await sleep(c.windowMs);
      const x = await run(c.boundMessages, 3, `bound${r}`, 120_000);
      // Arrival at the platform lags the grant a little (as in the Redis runtime test): 100 ms of slack.
      maxW.push(maxInWindow(x.times, c.windowMs - 100));
      // The first window's budget goes out at once; the steady rate is what follows it.
      const s = [...x.times].sort((p, q) => p - q);
      use.push(((s.length - c.budget) * 1000) / (s[s.length - 1] - s[0]) / ((c.budget * 1000) / c.windowMs));
      dup[r] += x.duplicates;
      log(`redis bound run ${r + 1}: max ${maxW[r]} in any ${c.windowMs} ms (budget ${c.budget}), ${(use[r] * 100).toFixed(0)} % of the budget's rate`);
    }
    const o = summarize(one);
    const t = summarize(three);
    return {
      messages: c.messages,
      budget: { requests: c.budget, windowMs: c.windowMs, messages: c.boundMessages },
      one: o,
      three: t,
      ratio: t.median / o.median,
      boundMaxInWindow: summarize(maxW),
      boundUse: summarize(use),
      duplicates: summarize(dup),
    };
  } finally {
    await Promise.allSettled([...reds.map((r) => r.dispose()), collector.stop(), sandbox.stop()]);
    await redis.stop();
  }
}
