/**
 * The benchmark harness at tiny size (each measure about a second, all at once): every measure must
 * produce finite numbers, RESULTS.md and one chart per measure. The numbers themselves are not judged
 * here (they share the CPU); `npm run bench` is the real run.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import { runBench } from '../../bench/run';
import { smokeConfig } from '../../bench/config';

describe('benchmark harness (smoke)', function () {
  this.timeout(120_000);

  it('runs every measure and writes RESULTS.md and the charts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    try {
      const cfg = smokeConfig();
      const r = await runBench(cfg, dir, () => {});
      const finite = (v: number, what: string) => should(Number.isFinite(v)).be.true(`${what} is ${v}`);

      // The disk was probed at both ends of the run, each sync timed.
      for (const d of [r.disk!.start, r.disk!.end]) {
        d.syncs.should.equal(cfg.disk.syncs);
        d.maxMs.should.be.aboveOrEqual(d.medianMs);
        finite(d.medianMs, 'disk sync median');
      }
      r.rate.length.should.equal(cfg.rate.points.length);
      for (const p of r.rate) {
        for (const k of ['ours', 'baseline'] as const) {
          p.systems[k].sent.median.should.equal(p.messages, `${k} sent all at ${p.ratePerSecond}/s`);
          p.systems[k].rate.median.should.be.above(0);
          finite(p.systems[k].p99JitterMs.median, `${k} jitter`);
        }
      }
      r.throughput.ours.median.should.be.above(0);
      r.throughput.clientLoop.median.should.be.above(0);
      finite(r.throughput.ratio, 'throughput ratio');

      r.webhook.map((w) => w.target).should.containDeep(['ours', 'plain', 'bare', 'ours-stalled', 'plain-stalled']);
      r.webhook.filter((w) => w.mode === 'burst').map((w) => w.target).should.eql(['ours', 'plain', 'bare']);
      for (const w of r.webhook) {
        w.achievedRate.median.should.be.above(0, `${w.target} got load`);
        finite(w.p99.median, `${w.target} p99`);
      }

      // The storm happened (the baseline met 429s) and every message of ours was accounted for.
      r.storm.systems.baseline.rateLimited.median.should.be.above(0);
      r.storm.systems.ours.rateLimited.median.should.be.above(0);
      finite(r.storm.systems.ours.lost.median, 'storm lost');
      finite(r.storm.systems.ours.wasted.median, 'storm wasted');

      // The kill happened with messages still queued.
      r.restart.systems.ours.sentBeforeKill.median.should.be.below(r.restart.messages);
      r.restart.systems.baseline.sentBeforeKill.median.should.be.below(r.restart.messages);
      finite(r.restart.systems.ours.lost.median, 'restart lost');

      r.memory.heapBytesPerJob.median.should.be.above(0);
      r.memory.points!.map((p) => p.jobs).should.eql(cfg.memory.curve);
      r.throughput.points!.map((p) => p.concurrency).should.eql(cfg.throughput.curve);
      for (const p of r.throughput.points!) {
        finite(p.oursP99.median, `p99 at ${p.concurrency} in flight`);
        // The core-node flow sent every message (a failed send throws) and each side's cost was read.
        p.core!.rate.median.should.be.above(0);
        finite(p.core!.ratio, `core-node ratio at ${p.concurrency} in flight`);
        for (const [what, v] of [['core', p.core!.cpuMs], ['loop', p.clientLoopCpuMs!], ['sandbox for ours', p.sandboxCpuMs!.ours], ['sandbox for the loop', p.sandboxCpuMs!.clientLoop]] as const) {
          finite(v.median, `${what} CPU at ${p.concurrency} in flight`);
        }
      }
      // The profiles cover both hot paths and counted samples of this package's code.
      r.profiles!.map((p) => p.name).should.eql(['send-1', 'send-8', `webhook-${cfg.profile.webhookRate}`]);
      for (const p of r.profiles!) p.summary.busyMs.should.be.above(0, `${p.name} profiled`);

      const md = fs.readFileSync(path.join(dir, 'RESULTS.md'), 'utf8');
      md.should.match(/## Summary/);
      for (const h of ['1. Rate accuracy', '2. Throughput', '3. Webhook', '4. 429 storm', '5. Restart', '6. Memory', '8. Where the time went', 'What each message costs', '**Disk:**']) md.should.containEql(h);
      const charts = fs.readdirSync(path.join(dir, 'charts')).filter((f) => f.endsWith('.svg'));
      // Redis coordination is left out of the smoke run (no redis-server in npm test): no redis chart.
      charts.sort().should.eql(['memory-curve.svg', 'memory.svg', 'rate-accuracy.svg', 'restart.svg', 'storm.svg', 'throughput-curve.svg', 'throughput-p99.svg', 'throughput.svg', 'webhook-latency.svg']);
      for (const c of charts) fs.readFileSync(path.join(dir, 'charts', c), 'utf8').should.startWith('<svg');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
