/** The dispatcher's gate hook (compliance): fail before sending, or hold in the durable queue. */
import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Dispatcher, type DispatcherOptions, type GateDecision, type SendJob, type SendOutcome } from '../../src/dispatch/dispatcher';
import { unlimitedBudget } from '../../src/providers/types';
import { ManualClock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import { FakeProvider, job, settle, until, dispatchOptions } from '../helpers/dispatch-fakes';

function make(clock: ManualClock, gate: (j: SendJob) => GateDecision, extra: Partial<DispatcherOptions> = {}) {
  const provider = new FakeProvider(clock);
  const d = new Dispatcher(() => Promise.resolve(provider), unlimitedBudget, dispatchOptions(clock, { maxAttempts: 3, idempotencyRetentionMs: 3600_000, gate, ...extra }));
  const outcomes: SendOutcome[] = [];
  d.register('n1', (_j, o) => outcomes.push(o));
  return { d, provider, outcomes };
}

describe('dispatch: gate hook', () => {
  it('fails a job the gate refuses without calling the provider', async () => {
    const clock = new ManualClock();
    const { d, provider, outcomes } = make(clock, (j) => (j.message.to === '+12025550199' ? new SmsError('opted_out', 'no') : null));
    await d.start();
    await d.submit(job('n1', '+12025550199', clock));
    await d.submit(job('n1', '+12025550123', clock));
    await settle(20);
    assert.deepStrictEqual(
      outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
      ['opted_out', 'ok'],
    );
    assert.deepStrictEqual(
      provider.calls.map((c) => c.to),
      ['+12025550123'],
    );
    await d.close();
  });

  it('holds a job until the time the gate names, then sends it; held time does not count against the deadline', async () => {
    const clock = new ManualClock();
    const opensAt = clock.now() + 2 * 3600_000;
    const { d, provider, outcomes } = make(clock, () => (clock.now() < opensAt ? { holdUntil: opensAt } : null), { deadlineMs: 60_000 });
    await d.start();
    await d.submit(job('n1', '+12025550123', clock));
    await settle(20);
    assert.strictEqual(provider.calls.length, 0);
    assert.strictEqual(d.stats().heldUntil, opensAt);
    for (let i = 0; i < 30; i++) {
      clock.advance(5 * 60_000); // 2.5 h in steps: the hold is re-asked every 5 minutes at most
      await settle(5);
    }
    assert.strictEqual(provider.calls.length, 1);
    assert.strictEqual(provider.calls[0].at, opensAt, 'sent when the window opened, not before, not later');
    assert.deepStrictEqual(
      outcomes.map((o) => o.ok),
      [true],
    );
    assert.strictEqual(d.stats().heldUntil, undefined);
    await d.close();
  });

  it('a gate that throws fails the job (never sends when the check cannot run)', async () => {
    const clock = new ManualClock();
    const { d, provider, outcomes } = make(clock, () => {
      throw new SmsError('store_unavailable', 'disk gone');
    });
    await d.start();
    await d.submit(job('n1', '+12025550123', clock));
    await settle(20);
    assert.strictEqual(outcomes[0].ok ? '' : outcomes[0].error.code, 'store_unavailable');
    assert.strictEqual(provider.calls.length, 0);
    await d.close();
  });

  it('a held job survives a restart: a new dispatcher on the same store holds it again and sends it on time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
    try {
      const clock = new ManualClock();
      const opensAt = clock.now() + 3600_000;
      const gate = () => (clock.now() < opensAt ? { holdUntil: opensAt } : null);
      const first = make(clock, gate, { storeDir: dir });
      await first.d.start();
      await first.d.submit(job('n1', '+12025550123', clock));
      await settle(20);
      await first.d.close();
      assert.strictEqual(first.provider.calls.length, 0);
      assert.deepStrictEqual(first.outcomes, []);

      clock.advance(10 * 60_000);
      const second = make(clock, gate, { storeDir: dir });
      await second.d.start();
      await settle(20);
      assert.strictEqual(second.provider.calls.length, 0, 'still held after the restart');
      for (let i = 0; i < 12 && second.provider.calls.length === 0; i++) {
        clock.advance(5 * 60_000);
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(() => second.outcomes.length === 1);
      assert.strictEqual(second.provider.calls[0].at, opensAt);
      assert.ok(second.outcomes[0].ok);
      await second.d.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
