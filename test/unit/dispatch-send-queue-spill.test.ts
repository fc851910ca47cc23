/**
 * A long queue keeps only its front in memory; the jobs behind wait in a spill file and come back,
 * unchanged and in order, when they are needed, also when the spill file is gone or a compaction
 * rewrites the log while they are out of memory.
 */
import should from 'should';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { HOT_JOBS, SendQueue } from '../../src/dispatch/send-queue';
import { toStorable, type SendJob } from '../../src/dispatch/job';
import { ManualClock } from '../../src/util/clock';
import { job } from '../helpers/dispatch-fakes';

const tick = () => new Promise((r) => setImmediate(r));

/** Start and finish the first `done` jobs, as the dispatcher would, let any compaction run, and close. */
async function finishFront(q: SendQueue, jobs: SendJob[], done: number): Promise<void> {
  const dones: Promise<void>[] = [];
  for (let i = 0; i < done; i++) {
    await q.markStarted(jobs[i].id, 1);
    dones.push(q.markDone(jobs[i].id));
  }
  await Promise.all(dones);
  for (let i = 0; i < 50; i++) await tick();
  await q.close();
}

const logLines = (dir: string) => fs.readFileSync(path.join(dir, 'send-queue.jsonl'), 'utf8').split('\n').filter(Boolean).length;

describe('dispatch: SendQueue spill file', () => {
  const clock = new ManualClock();
  const N = HOT_JOBS + 500;
  const make = () => Array.from({ length: N }, (_, i) => job('n', `+1555${String(i).padStart(7, '0')}`, clock, { msg: { payload: `text ${i}`, n: i, sms: { to: `+1555${i}` } } }));

  it('hands back every job of a long queue in order and unchanged, and removes the spill file on close', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-spill-'));
    const q = new SendQueue(dir, { limit: N + 10, fsync: false });
    await q.open();
    const jobs = make();
    await Promise.all(jobs.map((j) => q.add(j)));
    await tick();
    await tick();
    const spill = path.join(dir, 'send-queue.jsonl.spill');
    // The jobs behind the front are in the spill file.
    should(fs.statSync(spill).size).be.above(0);
    const expected = jobs.map((j) => toStorable(j) as SendJob);
    // Delivered one by one from the front, as the dispatcher does.
    // (The dispatcher does not wait for `done` records: they ride along with the next write.)
    const dones: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      const first = q.all().next().value!;
      should(toStorable(first.job)).eql(expected[i]);
      await q.markStarted(first.job.id, 1);
      dones.push(q.markDone(first.job.id));
    }
    await Promise.all(dones);
    should(q.size).equal(0);
    await q.close();
    should(fs.existsSync(spill)).be.false();
  });

  it('reads a job from the log when the spill file lost it, and a compaction keeps the spilled jobs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-spill-'));
    const q = new SendQueue(dir, { limit: N + 10, fsync: false, compactMinRecords: 100 });
    await q.open();
    const jobs = make();
    await Promise.all(jobs.map((j) => q.add(j)));
    await tick();
    await tick();
    // Emptied under us (the file is a cache): every job must still come back.
    fs.truncateSync(path.join(dir, 'send-queue.jsonl.spill'), 0);
    const last = q.get(jobs[N - 1].id)!;
    should(toStorable(last.job)).eql(toStorable(jobs[N - 1]));
    // Enough finished records to make the log compact itself while spilled jobs are still queued.
    const done = 800;
    await finishFront(q, jobs, done);
    should(logLines(dir)).be.below(N + 2 * done, 'the log was compacted');
    const again = new SendQueue(dir, { limit: N + 10, fsync: false });
    const entries = await again.open();
    should(entries.map((e) => e.job.id)).eql(jobs.slice(done).map((j) => j.id));
    should(entries.map((e) => toStorable(e.job))).eql(jobs.slice(done).map((j) => toStorable(j)));
    await again.close();
  });

  it('a compaction copies several MiB of spilled lines as they are, and takes a line found at the wrong place from the log', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-spill-'));
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const M = HOT_JOBS + 8000;
    const pad = (i: number) => String(i).padStart(6, '0');
    // Lines of one length, so two of them can trade places in the spill file.
    const jobs = Array.from({ length: M }, (_, i) => job('n', `+1555${pad(i)}0`, clock, { id: `spill-${pad(i)}`, msg: { payload: 'x'.repeat(300) + pad(i), n: pad(i) } }));
    const q = new SendQueue(dir, { limit: M + 10, fsync: false, compactMinRecords: 100, logger });
    await q.open();
    await Promise.all(jobs.map((j) => q.add(j)));
    await tick();
    await tick();
    const spillFile = path.join(dir, 'send-queue.jsonl.spill');
    const spill = fs.readFileSync(spillFile);
    should(spill.length).be.above(3 * 1024 * 1024, 'more than one read window');
    const len = spill.indexOf(0x0a) + 1;
    should(spill.length % len).equal(0, 'every spilled line has one length');
    // The last two jobs' lines trade places: they are still spilled when the log is compacted.
    const end = spill.length;
    fs.writeFileSync(spillFile, Buffer.concat([spill.subarray(0, end - 2 * len), spill.subarray(end - len), spill.subarray(end - 2 * len, end - len)]));
    // Enough finished for a compaction (the log over 4 records per job still queued), 4,000 still spilled.
    const done = 5000;
    await finishFront(q, jobs, done);
    should(logLines(dir)).be.below(M + 2 * done, 'the log was compacted');
    // Each compaction finds both lines at the wrong place and reads those two jobs from the log.
    const misplaced = warnings.filter((w) => /spill file unreadable/.test(w)).length;
    should(misplaced >= 2 && misplaced % 2 === 0).be.true(`${misplaced} warnings`);
    const again = new SendQueue(dir, { limit: M + 10, fsync: false });
    const entries = await again.open();
    should(entries.map((e) => toStorable(e.job))).eql(jobs.slice(done).map((j) => toStorable(j)));
    await again.close();
  });

  it('after emptying, a second long queue reads its own jobs from the spill file, not what was there before', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-spill-'));
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const q = new SendQueue(dir, { limit: N + 10, fsync: false, logger });
    await q.open();
    for (const round of [1, 2]) {
      // Same lengths both rounds: the second round's lines land where the first round's were.
      const jobs = Array.from({ length: N }, (_, i) =>
        job('n', `+1555${String(i).padStart(7, '0')}`, clock, { id: `r${round}-${String(i).padStart(6, '0')}`, msg: { payload: `round ${round} text ${String(i).padStart(6, '0')}` } }),
      );
      await Promise.all(jobs.map((j) => q.add(j)));
      await tick();
      await tick();
      const dones: Promise<void>[] = [];
      for (let i = 0; i < N; i++) {
        const first = q.all().next().value!;
        should(toStorable(first.job)).eql(toStorable(jobs[i]));
        await q.markStarted(first.job.id, 1);
        dones.push(q.markDone(first.job.id));
      }
      await Promise.all(dones);
      should(q.size).equal(0);
    }
    should(warnings).eql([], 'every job came from the spill file');
    await q.close();
  });
});
