/**
 * Strict order with the durable store on: every request finds its own start record on disk, and every
 * outcome is on disk before it is delivered. The next job's start record is written while the request
 * ahead is in flight and joins the commit of an earlier result, so a message costs about one commit,
 * not two, and the commit is not between a response and the next request.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import { Dispatcher, type SendJob, type SendOutcome } from '../../src/dispatch/dispatcher';
import { unlimitedBudget } from '../../src/providers/types';
import { ManualClock } from '../../src/util/clock';
import { FakeProvider, job, ok, until, dispatchOptions } from '../helpers/dispatch-fakes';

describe('dispatch: group commit in strict order', () => {
  // Counted at Node's file API, whichever form the store uses (callback fdatasync or a FileHandle's).
  const realFdatasync = fs.fdatasync;
  let handleProto: { datasync: () => Promise<void>; sync: () => Promise<void> } | null = null;
  let realDatasync: (() => Promise<void>) | null = null;
  let syncs = 0;
  before(async () => {
    const fh = await fs.promises.open(os.tmpdir(), 'r');
    handleProto = Object.getPrototypeOf(fh);
    await fh.close();
    realDatasync = handleProto!.datasync;
  });
  beforeEach(() => {
    syncs = 0;
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      syncs++;
      return realFdatasync(fd, cb);
    }) as typeof fs.fdatasync;
    handleProto!.datasync = function (this: unknown) {
      syncs++;
      return realDatasync!.call(this);
    };
  });
  afterEach(() => {
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = realFdatasync;
    handleProto!.datasync = realDatasync!;
  });

  it('sends each message only after its start is on disk, delivers each outcome only once it is on disk, about one fsync per message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-commit-'));
    const file = path.join(dir, 'sender-queue.jsonl');
    const clock = new ManualClock();
    const N = 30;
    const jobs: SendJob[] = [];
    for (let i = 0; i < N; i++) jobs.push(job('n1', `+1555000${String(i).padStart(4, '0')}`, clock));
    const idOf = new Map(jobs.map((j) => [j.message.to, j.id]));
    // What a crash right now would leave: the file as it is on disk.
    const onDisk = (op: string, id: string) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .some((l) => {
          const r = JSON.parse(l) as { op: string; id?: string };
          return r.op === op && r.id === id;
        });
    const startedOnDisk: string[] = [];
    const provider = new FakeProvider(clock, (m, i) => {
      startedOnDisk.push(`${onDisk('start', idOf.get(m.to)!)}`);
      return ok(`m-${i}`);
    });
    const d = new Dispatcher(
      () => Promise.resolve(provider),
      unlimitedBudget,
      dispatchOptions(clock, { storeDir: dir, ratePerSecond: 1000, burst: 1000, queueLimit: 1000, random: Math.random, fsync: true }),
    );
    await d.start();
    const outcomes: { job: SendJob; outcome: SendOutcome }[] = [];
    const resultOnDisk: string[] = [];
    d.register('n1', (j, o) => {
      resultOnDisk.push(`${onDisk('result', j.id)}`);
      outcomes.push({ job: j, outcome: o });
    });
    await Promise.all(jobs.map((j) => d.submit(j)));
    await until(() => outcomes.length === N, 20_000);
    await d.close();

    should(outcomes.map((o) => o.job.id)).eql(jobs.map((j) => j.id));
    should(outcomes.every((o) => o.outcome.ok)).be.true();
    should(provider.calls.map((c) => c.to)).eql(jobs.map((j) => j.message.to));
    should(startedOnDisk).eql(Array(N).fill('true'));
    should(resultOnDisk).eql(Array(N).fill('true'));
    // Separate commits for each start and each result would be 2 per message; shared, about 1.
    should(syncs).be.belowOrEqual(Math.ceil(N * 1.5));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
