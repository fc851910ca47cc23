import should from 'should';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { SendQueue } from '../../src/dispatch/send-queue';
import { IdempotencyStore } from '../../src/dispatch/idempotency-store';
import { ManualClock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import { job, ok } from '../helpers/dispatch-fakes';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sms-queue-'));
}

describe('dispatch: SendQueue', () => {
  const clock = new ManualClock();

  it('rejects with queue_full when full and never drops or reorders older jobs', async () => {
    const q = new SendQueue(tmpDir(), { limit: 3, fsync: false });
    await q.open();
    const jobs = [1, 2, 3].map((i) => job('n', `+1555000000${i}`, clock));
    await Promise.all(jobs.map((j) => q.add(j)));
    const extra = job('n', '+15550000009', clock);
    const err = await q.add(extra).then(
      () => null,
      (e: unknown) => e,
    );
    should((err as SmsError).code).equal('queue_full');
    should([...q.all()].map((e) => e.job.id)).eql(jobs.map((j) => j.id));
    await q.markDone(jobs[0].id);
    await q.add(extra);
    should([...q.all()].map((e) => e.job.id)).eql([jobs[1].id, jobs[2].id, extra.id]);
    await q.close();
  });

  it('reloads pending jobs in order, marks started ones, drops done ones, keeps undelivered results', async () => {
    const dir = tmpDir();
    const q = new SendQueue(dir, { limit: 10, fsync: false });
    await q.open();
    const [a, b, c, d] = [1, 2, 3, 4].map((i) => job('n', `+1555000000${i}`, clock, { msg: { payload: i, live: { fn: () => 1 } } }));
    for (const j of [a, b, c, d]) await q.add(j);
    await q.markStarted(a.id, 1);
    await q.markDone(a.id);
    await q.markStarted(b.id, 1);
    await q.markStarted(c.id, 1);
    await q.markRetry(c.id, 1);
    await q.markResult(d.id, { ok: true, result: ok('x'), attempts: 1 });
    await q.close();

    const again = new SendQueue(dir, { limit: 10, fsync: false });
    const entries = await again.open();
    should(entries.map((e) => [e.job.id, e.started, !!e.outcome])).eql([
      [b.id, true, false],
      [c.id, false, false],
      [d.id, false, true],
    ]);
    should(entries[1].job.attempts).equal(1);
    should(entries[0].job.msg).eql({ payload: 2, live: {} });
    should(again.waiting).equal(2);
    await again.close();
  });

  it('compacts the log once finished records dominate, without losing live jobs', async () => {
    const dir = tmpDir();
    const q = new SendQueue(dir, { limit: 100, fsync: false, compactMinRecords: 50, fileName: 'q.jsonl' });
    await q.open();
    const keep = job('n', '+15550000001', clock);
    await q.add(keep);
    for (let i = 0; i < 100; i++) {
      const j = job('n', '+15550000002', clock);
      await q.add(j);
      await q.markStarted(j.id, 1);
      await q.markDone(j.id);
    }
    await q.close();
    const lines = fs.readFileSync(path.join(dir, 'q.jsonl'), 'utf8').trim().split('\n').length;
    should(lines).be.below(100);
    const again = new SendQueue(dir, { limit: 100, fsync: false, fileName: 'q.jsonl' });
    should((await again.open()).map((e) => e.job.id)).eql([keep.id]);
    await again.close();
  });

  it('reports store_unavailable instead of throwing anything else when the directory cannot be used', async () => {
    const file = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(file, 'x');
    const q = new SendQueue(path.join(file, 'sub'), { limit: 10, fsync: false });
    const err = await q.open().then(
      () => null,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(SmsError);
    should((err as SmsError).code).equal('store_unavailable');
  });
});

describe('dispatch: IdempotencyStore', () => {
  it('keeps the first result for the retention window, also across a reopen', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const s = new IdempotencyStore(dir, { retentionMs: 1000, clock, fsync: false });
    await s.open();
    await s.put('k', ok('first'));
    await s.put('k', ok('second'));
    should(s.get('k')!.id).equal('first');
    await s.close();
    const again = new IdempotencyStore(dir, { retentionMs: 1000, clock, fsync: false });
    await again.open();
    should(again.get('k')!.id).equal('first');
    clock.advance(1000);
    should(again.get('k')).be.undefined();
    await again.close();
  });

  it('lets keys go oldest first as they expire, compacts them out of the file, and keeps the rest across a reopen', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const opts = { retentionMs: 10_000, clock, fsync: false, compactMinRecords: 100 };
    const s = new IdempotencyStore(dir, opts);
    await s.open();
    // 20 generations of 500 keys, one second apart: at any time the last ten are within the retention.
    for (let g = 0; g < 20; g++) {
      for (let i = 0; i < 500; i++) await s.put(`g${g}-k${i}`, ok(`g${g}-${i}`));
      clock.advance(1000);
    }
    // At 20 s the keys of 10 s and before (generations 0 to 10) have expired: 9 x 500 are left, and 'last'.
    await s.put('last', ok('last'));
    should(s.size).equal(4501);
    should(s.get('g10-k499')).be.undefined();
    should(s.get('g11-k0')!.id).equal('g11-0');
    await s.close();
    const lines = fs.readFileSync(path.join(dir, 'idempotency.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    // Compacted as it went (the log is kept under twice the live keys): expired keys left the file too.
    should(lines).be.belowOrEqual(2 * 4501);
    const again = new IdempotencyStore(dir, opts);
    await again.open();
    should(again.get('g19-k499')!.id).equal('g19-499');
    should(again.get('last')!.id).equal('last');
    should(again.get('g5-k0')).be.undefined();
    await again.close();
  });
});
