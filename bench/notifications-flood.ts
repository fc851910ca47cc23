/**
 * `npx tsx --expose-gc bench/notifications-flood.ts [frames]`: what a flooding notification-channel peer
 * costs in memory, paced (the package's defaults: at most 256 events waiting, 2,000 frames a second) against
 * unpaced (both limits off), side by side in one run.
 *
 * The peer is the sandbox in its own process (bench/sandbox-process.ts), sending `frames` topic frames of
 * about 2 KB as fast as its socket takes them (control `notifications.flood`); the sink takes 1 ms per
 * event, one after the other, so the peer is far faster than the consumer. Printed: peak heap + array
 * buffers and peak RSS growth over the connected baseline, how many frames arrived, and the pauses.
 * A memory claim, not a timing one: every frame is delivered either way; what differs is how much of the
 * flood waits in this process instead of in the peer's socket.
 */
import { spawn } from 'child_process';
import http from 'http';
import path from 'path';
import readline from 'readline';
import { GenesysCloudProvider } from '../src/providers/genesys-cloud';
import { unlimitedBudget } from '../src/providers/types';
import { systemClock } from '../src/util/clock';
import { silentLogger } from '../src/util/logger';
import { NotificationHub } from '../src/notifications/hub';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOPIC = 'v2.routing.queues.flood.conversations.messages';

function post(url: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(`${url}/sandbox/control`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (r) => {
      r.resume();
      r.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function run(url: string, paced: boolean, frames: number) {
  const provider = new GenesysCloudProvider(
    { provider: 'sandbox', region: 'x', apiBaseUrl: url, authBaseUrl: url },
    { clientId: 'a', clientSecret: 'b' },
    { budget: unlimitedBudget, clock: systemClock, logger: silentLogger },
    'sandbox',
  );
  const hub = new NotificationHub({ api: async () => provider.notifications(), clock: systemClock, logger: silentLogger, ...(paced ? {} : { maxInFlight: 1e9, maxFramesPerSecond: 1e9 }) });
  let delivered = 0;
  let chain: Promise<unknown> = Promise.resolve();
  hub.register({
    topics: () => [TOPIC],
    onEvent: () => (chain = chain.then(() => sleep(1)).then(() => void delivered++)),
    onState: () => {},
  });
  while (hub.currentState !== 'connected') await sleep(20);
  (global as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  let peakHeap = 0;
  let peakRss = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
    peakRss = Math.max(peakRss, m.rss);
  }, 20);
  await post(url, { notifications: { flood: { count: frames, bytes: 2000, topicName: TOPIC } } });
  const end = Date.now() + 300_000;
  while (delivered < frames && Date.now() < end) await sleep(50);
  clearInterval(sampler);
  const out = {
    mode: paced ? 'paced' : 'unpaced',
    frames,
    delivered,
    peakHeapPlusBuffersMB: +((peakHeap - base.heapUsed - base.arrayBuffers) / 1e6).toFixed(1),
    peakRssGrowthMB: +((peakRss - base.rss) / 1e6).toFixed(1),
    pauses: hub.stats.pauses,
  };
  await hub.close();
  await provider.close();
  await post(url, { notifications: { expire: true } });
  return out;
}

async function main(): Promise<void> {
  const frames = Number(process.argv[2] ?? 20_000);
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'sandbox-process.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l).url)));
  try {
    for (const paced of [true, false, true, false]) console.log(JSON.stringify(await run(url, paced, frames)));
  } finally {
    child.kill('SIGTERM');
  }
}

void main();
