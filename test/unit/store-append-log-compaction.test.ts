import assert from 'node:assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AppendLog, allowanceWhileCompacting } from '../../src/store/append-log';

type Rec = { n?: number; snap?: number };

/** A promise and the function that settles it, so a test decides when a snapshot is built. */
function gate<T>(): { promise: Promise<T>; open: (v: T) => void; fail: (e: Error) => void } {
  let open: (v: T) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const linesOf = (f: string): Rec[] =>
  fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);

function tracked(p: Promise<void>): { settled: () => boolean; p: Promise<void> } {
  let done = false;
  const q = p.finally(() => (done = true));
  q.catch(() => {});
  return { settled: () => done, p: q };
}

describe('append log: compaction while appends go on', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'append-log-'));
    file = path.join(dir, 'log.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('acknowledges appends made while the snapshot is built, and the new file is the snapshot followed by them', async () => {
    const { log } = await AppendLog.open<Rec>(file);
    for (let n = 0; n < 10; n++) await log.append({ n });
    const built = gate<string[]>();
    const compaction = tracked(log.compactWith(() => built.promise));
    // Each is on disk (fsync'ed) and acknowledged while the compaction has not got its snapshot yet.
    for (let n = 10; n < 20; n++) await log.append({ n });
    assert.strictEqual(compaction.settled(), false, 'the appends did not wait for the compaction');
    built.open([JSON.stringify({ snap: 10 })]);
    await compaction.p;
    await log.append({ n: 20 });
    await log.close();
    const again = await AppendLog.open<Rec>(file);
    assert.deepStrictEqual(again.records, [{ snap: 10 }, ...Array.from({ length: 11 }, (_, i) => ({ n: 10 + i }))]);
    assert.strictEqual(again.log.size, 12);
    await again.log.close();
  });

  it('keeps every append made during a compaction exactly once and in order, through each of its steps', async () => {
    const { log } = await AppendLog.open<Rec>(file);
    for (let n = 0; n < 2000; n++) void log.append({ n });
    await log.drain();
    // Appends keep coming, a few at every turn of the event loop, from before the snapshot is built until
    // after the new file has replaced the old one: while the snapshot is written, while the bulk is
    // synced, and while the last lines are copied and the file renamed.
    let next = 2000;
    let stop = false;
    const acked: Promise<void>[] = [];
    const pump = (async () => {
      while (!stop) {
        for (let k = 0; k < 5; k++) acked.push(log.append({ n: next++ }));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const snapshot = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ snap: i }));
    await log.compactWith(async () => {
      // Built over several turns, as the stores build theirs.
      for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
      return snapshot;
    });
    const duringCompaction = next - 2000;
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    stop = true;
    await pump;
    await Promise.all(acked);
    await log.close();
    assert.ok(duringCompaction > 50, `only ${duringCompaction} appends were made during the compaction`);
    const again = await AppendLog.open<Rec>(file);
    const recs = again.records;
    assert.strictEqual(recs.length, 20_000 + (next - 2000));
    for (let i = 0; i < 20_000; i++) assert.strictEqual(recs[i].snap, i);
    assert.deepStrictEqual(
      recs.slice(20_000).map((r) => r.n),
      Array.from({ length: next - 2000 }, (_, i) => 2000 + i),
    );
    await again.log.close();
  });

  it('holds appends back once the file has grown by its allowance during a compaction, and keeps them all', async () => {
    const { log } = await AppendLog.open<Rec & { pad?: string }>(file, { fsync: false });
    const allowance = allowanceWhileCompacting(0);
    const built = gate<string[]>();
    const compaction = log.compactWith(() => built.promise);
    // Lines of about 1 KB, one batch each, until the file has grown past the allowance.
    const pad = 'x'.repeat(1000);
    const acked: boolean[] = [];
    const appends: Promise<void>[] = [];
    const count = Math.ceil(allowance / 1000) + 100;
    for (let n = 0; n < count; n++) {
      appends.push(log.append({ n, pad }).then(() => void (acked[n] = true)));
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const early = acked.filter(Boolean).length;
    assert.ok(early > 900 && early < count, `${early} of ${count} acknowledged while the compaction waited for its snapshot`);
    built.open([JSON.stringify({ snap: 1 })]);
    await compaction;
    await Promise.all(appends);
    await log.close();
    assert.deepStrictEqual(
      linesOf(file).map((r) => r.snap ?? r.n),
      [1, ...Array.from({ length: count }, (_, n) => n)],
    );
  });

  it('leaves the old file, with every append made meanwhile, when a compaction fails; the next one works', async () => {
    const { log } = await AppendLog.open<Rec>(file);
    for (let n = 0; n < 5; n++) await log.append({ n });
    // The temporary file cannot be created.
    fs.mkdirSync(file + '.tmp');
    const built = gate<string[]>();
    const failed = tracked(log.compactWith(() => built.promise));
    await log.append({ n: 5 });
    built.open([JSON.stringify({ snap: 1 })]);
    await assert.rejects(failed.p);
    await log.append({ n: 6 });
    assert.deepStrictEqual(
      linesOf(file),
      [0, 1, 2, 3, 4, 5, 6].map((n) => ({ n })),
    );

    // A snapshot that could not be built ends the compaction as well.
    const broken = gate<string[]>();
    const noSnapshot = log.compactWith(() => broken.promise);
    await assert.rejects(
      log.compactWith(() => Promise.resolve([])),
      /already running/,
    );
    broken.fail(new Error('no snapshot'));
    await assert.rejects(noSnapshot, /no snapshot/);

    fs.rmdirSync(file + '.tmp');
    await log.compactWith(() => Promise.resolve([JSON.stringify({ snap: 2 })]));
    await log.append({ n: 7 });
    await log.close();
    const again = await AppendLog.open<Rec>(file);
    assert.deepStrictEqual(again.records, [{ snap: 2 }, { n: 7 }]);
    assert.ok(!fs.existsSync(file + '.tmp'));
    await again.log.close();
  });
});
