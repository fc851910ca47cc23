/**
 * Fault injection on the real store files: a torn last record, a short write (a file-size limit set
 * with `ulimit -f` in a child process), a full disk (a small tmpfs, when this process may mount one;
 * otherwise the file-size limit again), and records that are valid JSON of the wrong shape. The
 * invariant every case checks: a record the store acknowledged is there after the next start.
 */
import assert from 'node:assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AppendLog } from '../../src/store/append-log';
import { SendQueue } from '../../src/dispatch/send-queue';
import { IdempotencyStore } from '../../src/dispatch/idempotency-store';
import { OptOutStore } from '../../src/compliance/opt-out-store';
import { WebhookEventStore } from '../../src/webhook/event-store';
import { ManualClock } from '../../src/util/clock';
import type { Logger } from '../../src/util/logger';

const ROOT = path.resolve(__dirname, '..', '..');

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
}

/**
 * Runs `script` in a child `node` whose file-size limit is `kb` KiB (bash `ulimit -f`), with the built
 * package at `ROOT` (so `require(ROOT + '/nodes/lib/...')`). Returns what it printed as JSON.
 */
function runLimited(kb: number, script: string, args: string[]): unknown {
  const r = spawnSync('bash', ['-c', `ulimit -f ${kb} && exec "$0" -e "$1" -- "\${@:2}"`, process.execPath, script, ROOT, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('store fault injection (real files)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-faults-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('repairs a torn last record on open: keeps every complete record, logs the torn one, and the next append survives a restart', async () => {
    const file = path.join(dir, 'log.jsonl');
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":3,"half');
    const logger = recordingLogger();
    const { log, records } = await AppendLog.open<{ n: number }>(file, { logger });
    assert.deepStrictEqual(records, [{ n: 1 }, { n: 2 }]);
    assert.ok(
      logger.warnings.some((w) => /torn/.test(w)),
      logger.warnings.join('\n'),
    );
    // The warning names the file and the size, never the record's content.
    assert.ok(!logger.warnings.join('\n').includes('half'));
    await log.append({ n: 4 });
    await log.close();
    const again = await AppendLog.open<{ n: number }>(file);
    assert.deepStrictEqual(again.records, [{ n: 1 }, { n: 2 }, { n: 4 }]);
    await again.log.close();
  });

  it('keeps an acknowledged STOP written after a crash tore the last record of the opt-out list', async () => {
    const file = path.join(dir, 'opt-outs.jsonl');
    const clock = new ManualClock(1_000);
    const a = await OptOutStore.open(file, { clock });
    await a.set('+12025550101', true, { source: 'inbound:STOP' });
    await a.close();
    // A crash in the middle of the next append.
    fs.appendFileSync(file, '{"n":"+12025550102","o":1,"at":2');
    const b = await OptOutStore.open(file, { clock });
    await b.set('+12025550103', true, { source: 'inbound:STOP' });
    await b.close();
    const c = await OptOutStore.open(file, { clock });
    assert.strictEqual(c.isOptedOut('+12025550101'), true);
    assert.strictEqual(c.isOptedOut('+12025550103'), true, 'the STOP acknowledged after the torn record was lost');
    await c.close();
  });

  it('skips and logs records of the wrong shape instead of refusing to open (send queue, idempotency keys, opt-outs, webhook events)', async () => {
    const job = { id: 'j1', nodeId: 'n', message: { to: '+12025550123', text: 'hi' }, msg: { payload: 'hi' }, enqueuedAt: 1, attempts: 0 };
    fs.writeFileSync(path.join(dir, 'q.jsonl'), ['null', '42', '"add"', '[]', '{"op":"add"}', '{"op":"start","id":"j1"}', JSON.stringify({ op: 'add', job }), ''].join('\n'));
    const logger = recordingLogger();
    const q = new SendQueue(dir, { limit: 10, fileName: 'q.jsonl', logger });
    const entries = await q.open();
    assert.deepStrictEqual(
      entries.map((e) => e.job.id),
      ['j1'],
    );
    assert.ok(
      logger.warnings.some((w) => /skipped 6 /.test(w)),
      logger.warnings.join('\n'),
    );
    await q.close();

    const clock = new ManualClock(10_000);
    fs.writeFileSync(path.join(dir, 'idem.jsonl'), 'null\n{"k":"a","t":9000}\n{"k":"b","t":9000,"r":{"id":"m-b","status":"queued"}}\n');
    const idem = new IdempotencyStore(dir, { retentionMs: 60_000, clock, fileName: 'idem.jsonl' });
    await idem.open();
    assert.strictEqual(idem.get('a'), undefined);
    assert.strictEqual(idem.get('b')?.id, 'm-b');
    await idem.close();

    fs.writeFileSync(path.join(dir, 'opt.jsonl'), 'null\n{"n":5,"at":1}\n{"n":"+12025550101","o":1,"at":1,"src":"csv"}\n');
    const opt = await OptOutStore.open(path.join(dir, 'opt.jsonl'), { clock });
    assert.strictEqual(opt.size, 1);
    await opt.close();

    fs.writeFileSync(path.join(dir, 'ev.jsonl'), `null\n{"e":"x"}\n{"e":"evt-1","t":9000,"m":[null,["m1","delivered"],[1,2]]}\n`);
    const ev = await WebhookEventStore.open(path.join(dir, 'ev.jsonl'), { clock });
    assert.strictEqual(ev.claim('evt-1', []).duplicate, true);
    assert.strictEqual(ev.statusOf('m1'), 'delivered');
    await ev.close();
  });

  it('treats a short write (file-size limit) as a failed write: no record is acknowledged that is not whole on disk, and later ones still land', function () {
    const file = path.join(dir, 'events.jsonl');
    // The child claims webhook events of ~600 bytes each under an 8 KiB file-size limit: the write that
    // crosses the limit is short. Then it claims small ones that fit in what is left.
    const out = runLimited(8, CLAIM_CHILD, [file]) as { acked: string[]; refused: string[] };
    assert.ok(out.refused.length > 0, 'the limit was never hit');
    return (async () => {
      const store = await WebhookEventStore.open(file, { clock: new ManualClock(1_000) });
      const lost = out.acked.filter((id) => !store.claim(id, []).duplicate);
      assert.deepStrictEqual(lost, [], 'acknowledged events forgotten after the restart (their replay would be emitted again)');
      await store.close();
      // The failed write was cut off again, so the space left under the limit was still usable.
      assert.ok(
        out.acked.some((id) => id.startsWith('small-')),
        `no write succeeded after the short one: ${JSON.stringify(out)}`,
      );
    })();
  });

  it('loses no acknowledged STOP when the disk fills up and space comes back (tmpfs ENOSPC, or the file-size limit without root)', async function () {
    const mount = tryMountTmpfs(64);
    if (mount) {
      try {
        await diskFullOnTmpfs(mount);
      } finally {
        // Lazy: a store left open by a failed assertion must not hide that failure behind EBUSY.
        spawnSync('umount', ['-l', mount]);
        fs.rmSync(mount, { recursive: true, force: true });
      }
    } else {
      const file = path.join(dir, 'opt-outs.jsonl');
      const out = runLimited(4, OPTOUT_CHILD, [file]) as { acked: string[]; refused: string[] };
      assert.ok(out.refused.length > 0, 'the limit was never hit');
      const store = await OptOutStore.open(file, { clock: new ManualClock(1) });
      assert.deepStrictEqual(
        out.acked.filter((n) => !store.isOptedOut(n)),
        [],
      );
      await store.close();
    }
  });
});

/** A 64 KiB tmpfs of our own (root only), or null. */
function tryMountTmpfs(kb: number): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'store-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', mount]);
  if (r.status === 0) return mount;
  fs.rmSync(mount, { recursive: true, force: true });
  return null;
}

async function diskFullOnTmpfs(mount: string): Promise<void> {
  const file = path.join(mount, 'accounts', 'a', 'opt-outs.jsonl');
  const clock = new ManualClock(1_000);
  const store = await OptOutStore.open(file, { clock, compactMinRecords: 1e9 });
  // Leave a few KiB, then opt out numbers with long sources until the disk is full.
  const filler = path.join(mount, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(52 * 1024));
  const acked: string[] = [];
  let refused = 0;
  let i = 0;
  for (; refused === 0 && i < 400; i++) {
    const n = `+1202555${String(1000 + i).padStart(4, '0')}`;
    try {
      await store.set(n, true, { source: 'inbound:STOP ' + 'x'.repeat(40) });
      acked.push(n);
    } catch (err) {
      assert.match((err as Error).message, /ENOSPC|short write/);
      refused++;
    }
  }
  assert.strictEqual(refused, 1, 'the disk never filled up');
  // Space comes back; the next STOP is acknowledged.
  fs.rmSync(filler);
  const late = '+12025559999';
  await store.set(late, true, { source: 'inbound:STOP' });
  acked.push(late);
  await store.close();
  const again = await OptOutStore.open(file, { clock });
  assert.deepStrictEqual(
    acked.filter((n) => !again.isOptedOut(n)),
    [],
    'acknowledged STOPs lost after the restart',
  );
  await again.close();
}

/** Child: claim big events until refused, then small ones; print which were acknowledged. */
const CLAIM_CHILD = `
const [root, file] = process.argv.slice(1);
const { WebhookEventStore } = require(root + '/nodes/lib/webhook/event-store.js');
(async () => {
  const store = await WebhookEventStore.open(file, { clock: { now: () => 1000, setTimer() { return { cancel() {} }; } } });
  const acked = [], refused = [];
  const take = async (id, updates) => {
    const c = store.claim(id, updates);
    try { await c.committed; acked.push(id); } catch { refused.push(id); }
  };
  const big = (i) => Array.from({ length: 8 }, (_, k) => ({ id: 'message-' + i + '-' + k + '-' + 'm'.repeat(40), status: 'delivered' }));
  for (let i = 0; i < 40 && refused.length === 0; i++) await take('big-' + i + '-' + 'e'.repeat(50), big(i));
  for (let i = 0; i < 5; i++) await take('small-' + i, []);
  console.log(JSON.stringify({ acked, refused }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** Child: opt out numbers until refused, then a few more; print which were acknowledged. */
const OPTOUT_CHILD = `
const [root, file] = process.argv.slice(1);
const { OptOutStore } = require(root + '/nodes/lib/compliance/opt-out-store.js');
(async () => {
  const store = await OptOutStore.open(file, { clock: { now: () => 1 }, compactMinRecords: 1e9 });
  const acked = [], refused = [];
  for (let i = 0; i < 200 && refused.length < 3; i++) {
    const n = '+1202555' + String(1000 + i);
    const source = refused.length ? 'stop' : 'inbound:STOP ' + 'x'.repeat(50);
    try { await store.set(n, true, { source }); acked.push(n); } catch { refused.push(n); }
  }
  console.log(JSON.stringify({ acked, refused }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;
