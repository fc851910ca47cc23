import should from 'should';
import vm from 'vm';
import { replacerJson, storableJson, toStorable } from '../../src/dispatch/job';

/** What the store wrote before plain trees took JSON's own path: the replacer on every value. */
const reference = replacerJson;

describe('dispatch/job storableJson', () => {
  const shared = { a: 1 };
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const bare = Object.create(null) as Record<string, unknown>;
  bare.x = 'no prototype';
  class Thing {
    v = 1;
  }
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  sparse[5] = 'far';
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 100; i++) at = at.next = { i } as Record<string, unknown>;
  const values: [string, unknown][] = [
    [
      'a typical queued job',
      {
        op: 'add',
        job: {
          id: 'j1',
          nodeId: 'n',
          message: { to: '+12025550123', text: 'hi' },
          msg: { _msgid: 'm', payload: 'hi', n: 1, sms: { to: '+12025550123', compliance: { rules: [{ rule: 'opt-out', result: 'pass' }] } } },
          enqueuedAt: 1,
          attempts: 0,
        },
      },
    ],
    ['undefined, NaN and Infinity', { a: undefined, b: NaN, c: Infinity, d: [undefined, NaN, -Infinity], e: null }],
    ['a sparse array', { sparse }],
    ['functions and symbols', { f: () => 1, s: Symbol('x'), arr: [() => 1, Symbol('y')], [Symbol('k')]: 1 }],
    ['a bigint', { big: 12345678901234567890n }],
    ['a shared object (its second use is dropped)', { x: shared, y: shared, list: [shared] }],
    ['a circular object', { circular }],
    ['a Buffer', { buf: Buffer.from('abc') }],
    ['a Date', { when: new Date(0) }],
    ['an object without prototype', { bare }],
    ['a class instance', { thing: new Thing() }],
    ['boxed primitives', { s: new String('x'), n: new Number(1) }],
    ['an own toJSON', { t: { toJSON: () => 'custom' } }],
    ['a nested object deeper than the plain check looks', deep],
    ['many small objects', { list: Array.from({ length: 200 }, (_, i) => ({ i })) }],
    ['unicode and escapes', { s: 'line\nbreak "quoted" \u2028 \ud83d\ude00 \\' }],
    ['objects made in another context (a function node sandbox)', vm.runInNewContext('({ msg: { to: "+12025550123", payload: "hi", n: 1, list: [1, { a: null }] } })')],
    ['a Date and a Buffer-like from another context', vm.runInNewContext('({ when: new Date(0), bytes: new Uint8Array([1, 2]) })')],
    ['a shared object from another context', vm.runInNewContext('const s = { a: 1 }; ({ x: s, y: s })')],
    ['an inherited toJSON', { t: Object.create({ toJSON: () => 'from the prototype' }) }],
    ['an object whose prototype has no prototype but is not Object', { t: Object.create(Object.create(null)) }],
    ['a top-level string', 'text'],
    ['a top-level undefined', undefined],
    ['a top-level function', () => 1],
  ];
  for (const [name, value] of values) {
    it(`writes what the replacer writes: ${name}`, () => {
      should(storableJson(value)).equal(reference(value));
    });
  }

  it('toStorable copies plain data and drops what JSON cannot hold', () => {
    const msg = { payload: 'x', n: 1, nested: { ok: true }, fn: () => 1 };
    const copy = toStorable(msg) as Record<string, unknown>;
    should(copy).eql({ payload: 'x', n: 1, nested: { ok: true } });
    should(copy.nested).not.equal(msg.nested);
  });
});
