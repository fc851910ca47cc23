/**
 * Strict order with the next job's start record written ahead (Dispatcher.armNext): while a request is
 * in flight, the job behind it is armed (its start record goes to disk), but it is requested only once
 * the job ahead has its outcome; a retry ahead undoes the arm; a crash with an armed job reports it
 * ambiguous_send and never resends it; a clean close puts it back to waiting.
 */
import should from 'should';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Dispatcher, type DispatcherOptions, type SendJob, type SendOutcome } from '../../src/dispatch/dispatcher';
import { AccountBudget } from '../../src/dispatch/request-budget';
import type { OutboundMessage, RequestBudget, SendResult } from '../../src/providers/types';
import { unlimitedBudget } from '../../src/providers/types';
import { ManualClock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import { httpError, job, ok, settle, until, dispatchOptions, TestProvider } from '../helpers/dispatch-fakes';

/** A provider whose every request waits until the test answers it. */
class HeldProvider extends TestProvider {
  readonly calls: { to: string; answer: (r: SendResult | SmsError) => void }[] = [];

  send(message: OutboundMessage): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      this.calls.push({ to: message.to, answer: (r) => (r instanceof SmsError ? reject(r) : resolve(r)) });
    });
  }
}

interface Life {
  provider: HeldProvider;
  d: Dispatcher;
  outcomes: { job: SendJob; outcome: SendOutcome }[];
}

async function life(dir: string, clock: ManualClock, opts: Partial<DispatcherOptions> = {}, budget: RequestBudget = unlimitedBudget): Promise<Life> {
  const provider = new HeldProvider();
  const d = new Dispatcher(() => Promise.resolve(provider), budget, dispatchOptions(clock, { storeDir: dir, ratePerSecond: 1000, burst: 100, closeTimeoutMs: 1000, ...opts }));
  await d.start();
  const outcomes: Life['outcomes'] = [];
  d.register('n1', (j, o) => outcomes.push({ job: j, outcome: o }));
  return { provider, d, outcomes };
}

type Rec = { op: string; id?: string; attempts?: number; job?: { id: string } };

function records(dir: string): Rec[] {
  const file = path.join(dir, 'sender-queue.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);
}

/** The records about one job, as `op:attempts`. */
function history(dir: string, id: string): string[] {
  return records(dir)
    .filter((r) => r.id === id || r.job?.id === id)
    .map((r) => (r.attempts === undefined ? r.op : `${r.op}:${r.attempts}`));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sms-pre-arm-'));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A dispatcher with two jobs submitted: A requested and held by the platform, B armed behind it. */
async function armedBehindOne(dir: string, clock: ManualClock): Promise<{ l: Life; a: SendJob; b: SendJob }> {
  const l = await life(dir, clock);
  const [a, b] = [1, 2].map((i) => job('n1', `+1555000000${i}`, clock));
  await l.d.submit(a);
  await l.d.submit(b);
  await until(() => l.provider.calls.length === 1);
  await until(() => history(dir, b.id).includes('start:1'));
  return { l, a, b };
}

describe('dispatch: the next start record written during the request ahead (strict order)', () => {
  it('arms the next job while a request is in flight, and requests it only after that outcome', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const l = await life(dir, clock);
    const jobs = [1, 2, 3, 4].map((i) => job('n1', `+1555000000${i}`, clock));
    for (const j of jobs) await l.d.submit(j);
    await until(() => l.provider.calls.length === 1);
    // The start records of jobs 2 and 3 reach the file while job 1 is still unanswered...
    await until(() => history(dir, jobs[1].id).includes('start:1') && history(dir, jobs[2].id).includes('start:1'));
    await pause(20);
    // ...but neither is requested, and job 4 is not armed (two arms at most).
    should(l.provider.calls.length).equal(1);
    should(history(dir, jobs[3].id)).eql(['add']);
    l.provider.calls[0].answer(ok('m1'));
    await until(() => l.provider.calls.length === 2);
    should(l.provider.calls[1].to).equal('+15550000002');
    // Job 4 is armed in turn while job 2 is in flight; job 3 is still not requested.
    await until(() => history(dir, jobs[3].id).includes('start:1'));
    should(l.provider.calls.length).equal(2);
    for (let i = 1; i < 4; i++) {
      l.provider.calls[i].answer(ok(`m${i + 1}`));
      if (i < 3) await until(() => l.provider.calls.length === i + 2);
    }
    await until(() => l.outcomes.length === 4);
    should(l.provider.calls.map((c) => c.to)).eql(jobs.map((j) => j.message.to));
    should(l.outcomes.map((o) => o.job.id)).eql(jobs.map((j) => j.id));
    should(l.outcomes.map((o) => o.outcome.ok && o.outcome.attempts)).eql([1, 1, 1, 1]);
    // Each job was started once: no arm was undone.
    for (const j of jobs) should(history(dir, j.id).filter((h) => h.startsWith('start'))).eql(['start:1']);
    await l.d.close();
  });

  it('holds order under retries: a 503 ahead undoes the arm, and the job ahead is retried first', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const { l, a, b } = await armedBehindOne(dir, clock);
    l.provider.calls[0].answer(httpError(503));
    // The arm is undone (B back to waiting with its old count) before A's backoff.
    await until(() => history(dir, b.id).includes('retry:0'));
    await pause(20);
    should(l.provider.calls.length).equal(1);
    // The backoff ends: A goes again, not B, and B is armed again behind it.
    for (let i = 0; i < 50 && l.provider.calls.length < 2; i++) {
      clock.advance(100);
      await pause(2);
    }
    should(l.provider.calls.map((c) => c.to)).eql(['+15550000001', '+15550000001']);
    await until(() => history(dir, b.id).filter((h) => h === 'start:1').length === 2);
    should(l.provider.calls.length).equal(2);
    l.provider.calls[1].answer(ok('a'));
    await until(() => l.provider.calls.length === 3);
    should(l.provider.calls[2].to).equal('+15550000002');
    l.provider.calls[2].answer(ok('b'));
    await until(() => l.outcomes.length === 2);
    should(l.outcomes.map((o) => [o.job.id, o.outcome.ok, o.outcome.attempts])).eql([
      [a.id, true, 2],
      [b.id, true, 1],
    ]);
    should(history(dir, b.id)).eql(['add', 'start:1', 'retry:0', 'start:1', 'result']);
    await l.d.close();
  });

  it('after a crash with jobs armed, reports them ambiguous_send and never requests them', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const l1 = await life(dir, clock);
    const jobs = [1, 2, 3, 4].map((i) => job('n1', `+1555000000${i}`, clock));
    for (const j of jobs) await l1.d.submit(j);
    await until(() => l1.provider.calls.length === 1);
    await until(() => history(dir, jobs[2].id).includes('start:1'));
    // Simulated kill -9: the first life is not closed; a second one opens the same directory.
    const l2 = await life(dir, clock);
    await until(() => l2.provider.calls.length === 1);
    l2.provider.calls[0].answer(ok('m4'));
    await until(() => l2.outcomes.length === 4);
    should(l2.outcomes.map((o) => o.job.id)).eql(jobs.map((j) => j.id));
    should(l2.outcomes.map((o) => (o.outcome.ok ? 'ok' : o.outcome.error.code))).eql(['ambiguous_send', 'ambiguous_send', 'ambiguous_send', 'ok']);
    // Only job 4 was requested by the second life; jobs 2 and 3 never were, by either life.
    should(l2.provider.calls.map((c) => c.to)).eql(['+15550000004']);
    should(l1.provider.calls.map((c) => c.to)).eql(['+15550000001']);
    await l2.d.close();
    // Let the first life's handles go (its close gives up on the unanswered request after closeTimeoutMs).
    const closing = l1.d.close();
    await settle();
    clock.advance(1000);
    await closing;
  });

  it('on a clean close puts the armed job back to waiting, so the next start sends it', async () => {
    const dir = tmpDir();
    const clock = new ManualClock();
    const { l: l1, a, b } = await armedBehindOne(dir, clock);
    const closing = l1.d.close();
    // close() waits for the request in flight; its answer is recorded, and B is not requested.
    l1.provider.calls[0].answer(ok('a'));
    await closing;
    should(l1.provider.calls.length).equal(1);
    should(history(dir, b.id)).eql(['add', 'start:1', 'retry:0']);
    const l2 = await life(dir, clock);
    await until(() => l2.provider.calls.length === 1);
    l2.provider.calls[0].answer(ok('b'));
    await until(() => l2.outcomes.length === 1);
    should(l1.outcomes.map((o) => [o.job.id, o.outcome.ok])).eql([[a.id, true]]);
    should(l2.outcomes.map((o) => [o.job.id, o.outcome.ok, o.outcome.attempts])).eql([[b.id, true, 1]]);
    await l2.d.close();
  });

  it('does not arm a job that would wait: paced by the rate, out of account budget, or with an idempotency key', async () => {
    const cases: { name: string; opts: Partial<DispatcherOptions>; budget?: (c: ManualClock) => RequestBudget; extra?: Partial<SendJob> }[] = [
      { name: 'rate', opts: { ratePerSecond: 1, burst: 1 } },
      { name: 'budget', opts: {}, budget: (c) => new AccountBudget({ requestsPerMinute: 1, clock: c }) },
      { name: 'key', opts: {}, extra: { idempotencyKey: 'k-2' } },
    ];
    for (const c of cases) {
      const dir = tmpDir();
      const clock = new ManualClock();
      const l = await life(dir, clock, c.opts, c.budget?.(clock));
      const a = job('n1', '+15550000001', clock);
      const b = job('n1', '+15550000002', clock, c.extra ?? {});
      await l.d.submit(a);
      await l.d.submit(b);
      await until(() => l.provider.calls.length === 1);
      await until(() => history(dir, a.id).includes('start:1'));
      await pause(30);
      should(history(dir, b.id)).eql(['add'], `${c.name}: job 2 must not be armed`);
      const closing = l.d.close();
      l.provider.calls[0].answer(ok('a'));
      await closing;
    }
  });
});
