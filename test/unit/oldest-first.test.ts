/** The eviction order of bounded maps: oldest live entry first, replaced and deleted entries skipped. */
import should from 'should';
import { OldestFirst } from '../../src/util/oldest-first';

describe('OldestFirst: eviction order without walking a map', function () {
  it('gives the least recently set live entry; a set again moves to the back, a deleted one is skipped', function () {
    const map = new Map<string, { v: number }>();
    const order = new OldestFirst(map);
    for (const [k, v] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      order.set(k, { v });
    should(order.oldest()![0]).equal('a');
    order.set('a', { v: 4 });
    should(order.oldest()![0]).equal('b');
    should([...map.keys()]).eql(['b', 'c', 'a'], 'the map keeps the same order');
    map.delete('b');
    should(order.oldest()).eql(['c', { v: 3 }]);
    map.delete('c');
    map.delete('a');
    should(order.oldest()).be.undefined();
    order.set('d', { v: 5 });
    should(order.oldest()).eql(['d', { v: 5 }]);
  });

  it('evicting from the front of a bounded map keeps the bound and drops the oldest, over many generations', function () {
    const map = new Map<number, { at: number }>();
    const order = new OldestFirst(map);
    const bound = 1000;
    for (let i = 0; i < 50_000; i++) {
      order.set(i, { at: i });
      for (let o = order.oldest(); o && map.size > bound; o = order.oldest()) map.delete(o[0]);
    }
    should(map.size).equal(bound);
    should(order.oldest()![0]).equal(49_000);
    should(Math.min(...map.keys())).equal(49_000);
  });

  it('stays right when a few keys are set again and again with nothing evicted', function () {
    const map = new Map<string, { n: number }>();
    const order = new OldestFirst(map);
    for (let i = 0; i < 100_000; i++) order.set(`k${i % 7}`, { n: i });
    // The seven were last set at 99,993 (k5) to 99,999 (k4): k5 is the least recently set.
    should(order.oldest()).eql(['k5', { n: 99_993 }]);
    map.delete('k5');
    should(order.oldest()).eql(['k6', { n: 99_994 }]);
  });

  it('iterates the live values in order, skipping deleted ones and reaching ones added on the way', function () {
    const map = new Map<number, { n: number }>();
    const order = new OldestFirst(map);
    for (let i = 0; i < 3000; i++) order.set(i, { n: i });
    for (let i = 0; i < 2500; i++) map.delete(i);
    map.delete(2600);
    const seen: number[] = [];
    for (const v of order.values()) {
      seen.push(v.n);
      if (v.n === 2999) order.set(3000, { n: 3000 });
      if (v.n === 2700) map.delete(2701);
    }
    should(seen.length).equal(499);
    should(seen[0]).equal(2500);
    should(seen.includes(2600) || seen.includes(2701)).be.false();
    should(seen[seen.length - 1]).equal(3000);
    should(seen).eql(
      [...map.values()].map((v) => v.n),
      'the same as iterating the map',
    );
  });
});
