/**
 * Measure 5: restart safety. N messages queued, Node-RED killed with SIGKILL once some have gone out,
 * started again on the same user directory. Counted at the sandbox: lost (never accepted), duplicated
 * (accepted twice), and for ours the messages reported ambiguous_send (in flight at the kill).
 */
import type { BenchConfig } from '../config';
import { SendPair, type Lane } from '../lib/lane';
import { sleep } from '../../test/helpers/red-process';
import { summarize, type Summary } from '../lib/stats';

export interface RestartSystem {
  sentBeforeKill: Summary;
  lost: Summary;
  duplicates: Summary;
  ambiguous: Summary;
}

export interface RestartResult {
  messages: number;
  ratePerSecond: number;
  systems: Record<'ours' | 'baseline', RestartSystem>;
}

async function runOnce(lane: Lane, cfg: BenchConfig['restart'], prefix: string) {
  await lane.sandbox.reset();
  await lane.enqueue(cfg.messages, prefix);
  const sent = async () => (await lane.sandbox.sends()).length;
  const end = Date.now() + 60_000;
  while ((await sent()) < cfg.killAfter && Date.now() < end) await sleep(10);
  await lane.red.stop('SIGKILL');
  const sentBeforeKill = await sent();
  await lane.red.start();
  // Wait until everything arrived or nothing more arrives for a while (quietMs).
  let last = -1;
  const deadline = Date.now() + (cfg.messages / cfg.ratePerSecond) * 1000 * 2 + 30_000;
  while (Date.now() < deadline) {
    const texts = (await lane.sandbox.texts()).filter((t) => t.startsWith(prefix + ' '));
    if (new Set(texts).size >= cfg.messages || texts.length === last) break;
    last = texts.length;
    await sleep(cfg.quietMs);
  }
  // Late duplicates and the reports of resumed messages.
  await sleep(500);
  const texts = (await lane.sandbox.texts()).filter((t) => t.startsWith(prefix + ' '));
  const unique = new Set(texts).size;
  // Lost: neither taken by the platform nor reported to the flow. A message reported ambiguous_send
  // (its request was under way at the kill) is accounted for, whether or not it reached the platform.
  const onPlatform = new Set(texts.map((t) => Number(t.slice(prefix.length + 1))));
  const reported = new Set(lane.failures().map((f) => Number(f.n)));
  let lost = 0;
  for (let i = 0; i < cfg.messages; i++) if (!onPlatform.has(i) && !reported.has(i)) lost++;
  return {
    sentBeforeKill,
    lost,
    duplicates: texts.length - unique,
    ambiguous: lane.failures().filter((f) => f.code === 'ambiguous_send').length,
  };
}

export async function measureRestart(cfg: BenchConfig, log: (s: string) => void): Promise<RestartResult> {
  const s = cfg.restart;
  const pair = new SendPair('restart');
  const { ours, base } = pair;
  try {
    await pair.start();
    await pair.deploy(s.ratePerSecond);
    const acc: Record<'ours' | 'baseline', Awaited<ReturnType<typeof runOnce>>[]> = { ours: [], baseline: [] };
    for (let r = 0; r < cfg.runs; r++) {
      const [o, b] = await Promise.all([runOnce(ours, s, `k${r}`), runOnce(base, s, `k${r}`)]);
      acc.ours.push(o);
      acc.baseline.push(b);
      log(`restart run ${r + 1}: ours ${JSON.stringify(o)}; baseline ${JSON.stringify(b)}`);
      // The restarted flows must be up before the next enqueue.
      await pair.deploy(s.ratePerSecond);
    }
    const sum = (xs: (typeof acc)['ours']): RestartSystem => ({
      sentBeforeKill: summarize(xs.map((x) => x.sentBeforeKill)),
      lost: summarize(xs.map((x) => x.lost)),
      duplicates: summarize(xs.map((x) => x.duplicates)),
      ambiguous: summarize(xs.map((x) => x.ambiguous)),
    });
    return { messages: s.messages, ratePerSecond: s.ratePerSecond, systems: { ours: sum(acc.ours), baseline: sum(acc.baseline) } };
  } finally {
    await pair.stop();
  }
}
