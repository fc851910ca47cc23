import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { OptOutStore, optOutFile, parseOptOutCsv, toOptOutCsv } from '../../src/compliance/opt-out-store';
import { inboundChangeTime, inboundOptOutHandler, MAX_EVENT_CLOCK_SKEW_MS } from '../../src/compliance/inbound';
import { ManualClock } from '../../src/util/clock';

describe('compliance: opt-out store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optout-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock();

  it('keeps opt-outs durably per account and survives reopening', async () => {
    const file = optOutFile(dir, 'acct.1');
    assert.strictEqual(file, path.join(dir, 'agentless-sms', 'accounts', 'acct.1', 'opt-outs.jsonl'));
    const a = await OptOutStore.open(file, { clock, fsync: false });
    assert.deepStrictEqual(await a.set('+12025550123', true, { source: 'command' }), { changed: true, stale: false, optedOut: true });
    await a.set('+12025550124', true, { source: 'command' });
    await a.set('+12025550124', false, { source: 'command' });
    await a.close();
    const b = await OptOutStore.open(file, { clock, fsync: false });
    assert.strictEqual(b.isOptedOut('+12025550123'), true);
    assert.strictEqual(b.isOptedOut('+12025550124'), false);
    assert.strictEqual(b.size, 1);
    await b.close();
  });

  it('ignores a change older than the last one (a late or retried STOP after START)', async () => {
    const s = await OptOutStore.open(null, { clock });
    await s.set('+12025550123', false, { at: 2000, source: 'inbound:START' });
    const r = await s.set('+12025550123', true, { at: 1000, source: 'inbound:STOP' });
    assert.deepStrictEqual(r, { changed: false, stale: true, optedOut: false });
    assert.strictEqual(s.isOptedOut('+12025550123'), false);
  });

  it('compacts the log without losing state', async () => {
    const file = optOutFile(dir, 'a');
    const s = await OptOutStore.open(file, { clock, fsync: false, compactMinRecords: 10 });
    for (let i = 0; i < 30; i++) await s.set('+12025550123', i % 2 === 0, { at: i, source: 'command' });
    await s.idle();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    assert.ok(lines < 30, `compacted (${lines} lines)`);
    await s.close();
    const again = await OptOutStore.open(file, { clock, fsync: false });
    assert.strictEqual(again.isOptedOut('+12025550123'), false); // i = 29 was an opt-in
    await again.close();
  });

  it('imports CSV with normalization and reports rejected lines; exports what it holds', async () => {
    const csv = 'phone,name\n"+1 (202) 555-0123",Ann\n+12025550124;x\nnot a number\n\n(202) 555-0125\n+12025550123\n';
    const parsed = parseOptOutCsv(csv);
    assert.deepStrictEqual(parsed.numbers, ['+12025550123', '+12025550124', '+12025550123']);
    assert.deepStrictEqual(
      parsed.rejected.map((r) => r.line),
      [4, 6],
    );
    assert.deepStrictEqual(parseOptOutCsv('(202) 555-0125', 'US').numbers, ['+12025550125']);
    const s = await OptOutStore.open(null, { clock });
    assert.deepStrictEqual(await s.addMany(parsed.numbers, 'csv'), { added: 2, unchanged: 1 });
    const out = toOptOutCsv(s.list());
    assert.match(out, /^number,opted_out_at,source\r\n\+12025550123,.*,"csv"\r\n\+12025550124,/);
    assert.deepStrictEqual(parseOptOutCsv(out).numbers, ['+12025550123', '+12025550124']);
  });

  it('applies inbound STOP / START keywords from the sender of the message', async () => {
    const s = await OptOutStore.open(null, { clock });
    const handle = inboundOptOutHandler(() => Promise.resolve(s));
    const r = await handle(
      [
        { from: '+12025550123', text: 'Stop', provider: 'sandbox', timestamp: '2024-01-01T00:00:00Z' },
        { from: '+12025550124', text: 'hello', provider: 'sandbox' },
        { from: '12345', text: 'STOP', provider: 'sandbox' },
      ],
      // Received a moment after the events' own times (the clamp never moves a time later than receipt).
      Date.parse('2024-01-01T00:00:02Z'),
    );
    assert.deepStrictEqual(r[0], { keyword: 'STOP', optedOut: true });
    assert.strictEqual(r[1], null);
    assert.strictEqual(r[2]?.keyword, 'STOP');
    assert.ok(r[2]?.optOutError);
    assert.strictEqual(s.isOptedOut('+12025550123'), true);
    await handle([{ from: '+1 202 555 0123', text: 'start', provider: 'sandbox', timestamp: '2024-01-01T00:01:00Z' }], Date.parse('2024-01-01T00:01:02Z'));
    assert.strictEqual(s.isOptedOut('+12025550123'), false);
    // Without an account the keyword is still reported, nothing is recorded.
    assert.deepStrictEqual(await inboundOptOutHandler(null)([{ from: '+12025550123', text: 'STOP', provider: 'x' }], 0), [{ keyword: 'STOP' }]);
  });
});

describe('compliance: inbound change times', () => {
  it('clamps future event times: an opt-in to its receipt, an opt-out to receipt + 60 s', () => {
    const received = Date.parse('2026-01-01T00:00:00Z');
    assert.strictEqual(inboundChangeTime('+275760-09-13T00:00:00.000Z', received, false), received);
    assert.strictEqual(inboundChangeTime('+275760-09-13T00:00:00.000Z', received, true), received + MAX_EVENT_CLOCK_SKEW_MS);
    assert.strictEqual(inboundChangeTime('2025-12-31T23:59:00Z', received, false), received - 60_000);
    assert.strictEqual(inboundChangeTime('not a date', received, true), received);
    assert.strictEqual(inboundChangeTime(undefined, received, true), received);
  });
});
