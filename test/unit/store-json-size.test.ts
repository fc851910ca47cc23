/**
 * The byte count behind msg_too_large: close to the JSON the store writes, and it stops at the limit
 * (a 5 MB Buffer is refused without being walked).
 */
import assert from 'node:assert';
import { jsonSizeWithin } from '../../src/store/json-size';
import { toStorable } from '../../src/dispatch/job';

describe('store: JSON size within a limit', () => {
  it('counts what the stored JSON copy takes, within a few percent (a repeated object costs its key)', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const samples: unknown[] = [
      { payload: 'héllo wörld ✓', to: '+12025550123', n: 12.5, ok: true, none: null, skip: undefined, fn: () => 1 },
      { topic: 'x', list: [1, 'two', { three: [3] }], when: new Date(0), buf: Buffer.from([0, 9, 10, 99, 100, 255]) },
      { big: 'x'.repeat(100_000), nested: { deep: { deeper: Array.from({ length: 500 }, (_, i) => ({ i, s: `item ${i}` })) } } },
      circular,
    ];
    for (const v of samples) {
      const real = Buffer.byteLength(JSON.stringify(toStorable(v)));
      const { bytes, over } = jsonSizeWithin(v, 1e9);
      assert.strictEqual(over, false);
      assert.ok(Math.abs(bytes - real) <= Math.max(16, real * 0.05), `counted ${bytes}, JSON has ${real}`);
    }
  });

  it('stops at the limit: a 5 MB Buffer or a long string is over at once', () => {
    assert.strictEqual(jsonSizeWithin({ blob: Buffer.alloc(5 * 1024 * 1024) }, 256 * 1024).over, true);
    assert.strictEqual(jsonSizeWithin({ text: 'y'.repeat(300 * 1024) }, 256 * 1024).over, true);
    assert.strictEqual(jsonSizeWithin({ text: 'y'.repeat(200 * 1024) }, 256 * 1024).over, false);
    const wide: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) wide[`k${i}`] = i;
    assert.strictEqual(jsonSizeWithin(wide, 64 * 1024).over, true);
  });
});
