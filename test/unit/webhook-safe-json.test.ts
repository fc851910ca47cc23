import assert from 'node:assert';
import { decodeUtf8Strict, exceedsDepth, mayHoldForbiddenKey, parseBodySafely, parseJsonSafely } from '../../src/webhook/safe-json';

describe('webhook safe JSON parsing', () => {
  it('parses ordinary bodies', () => {
    assert.deepStrictEqual(parseJsonSafely('{"a":[1,{"b":"c"}]}', 32), { ok: true, value: { a: [1, { b: 'c' }] } });
  });

  it('measures depth outside strings only', () => {
    assert.strictEqual(exceedsDepth('[[[]]]', 3), false);
    assert.strictEqual(exceedsDepth('[[[[]]]]', 3), true);
    assert.strictEqual(exceedsDepth('{"a":"[[[[[[[[\\"[[[["}', 2), false);
  });

  it('refuses a million-deep body with too_deep, not a stack overflow (the depth scan does not recurse)', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    assert.deepStrictEqual(parseJsonSafely(deep, 32), { ok: false, reason: 'too_deep' });
    assert.strictEqual(exceedsDepth(deep, 32), true);
  });

  it('drops __proto__, constructor and prototype keys at any depth', () => {
    const r = parseJsonSafely('{"__proto__":{"polluted":1},"a":{"constructor":{"prototype":{"x":1}},"ok":2}}', 32);
    assert.ok(r.ok);
    const v = r.value as Record<string, unknown>;
    assert.strictEqual(Object.prototype.hasOwnProperty.call(v, '__proto__'), false);
    assert.deepStrictEqual(v.a, { ok: 2 });
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
    // merging the parsed value must not reach Object.prototype either
    Object.assign({}, v);
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
  });

  it('drops forbidden keys spelled with \\u escapes too (bodies without any are parsed without a reviver)', () => {
    const text = '{"\\u005f_proto__":{"polluted":1},"a":{"\\u0063onstructor":1,"proto\\u0074ype":2,"ok":3}}';
    assert.strictEqual(mayHoldForbiddenKey(text), true);
    const r = parseJsonSafely(text, 32);
    assert.ok(r.ok);
    const v = r.value as Record<string, unknown>;
    assert.strictEqual(Object.prototype.hasOwnProperty.call(v, '__proto__'), false);
    assert.deepStrictEqual(v.a, { ok: 3 });
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
    // No forbidden name and no escape: nothing to drop, and the value is exactly JSON.parse's.
    const plain = '{"type":"message.status","id":"evt_1","data":{"status":"delivered","n":[1,2,{"x":null}]}}';
    assert.strictEqual(mayHoldForbiddenKey(plain), false);
    assert.deepStrictEqual(parseJsonSafely(plain, 32), { ok: true, value: JSON.parse(plain) });
    // A forbidden name only as a value still takes the careful path, and keeps the value.
    assert.deepStrictEqual(parseJsonSafely('{"k":"constructor"}', 32), { ok: true, value: { k: 'constructor' } });
  });

  it('reuses one strict decoder: a refused body does not affect the next one', () => {
    assert.strictEqual(decodeUtf8Strict(Buffer.from([0xe2, 0x82])), null);
    assert.strictEqual(decodeUtf8Strict(Buffer.from('€ ok')), '€ ok');
  });

  it('refuses invalid UTF-8 and invalid JSON', () => {
    assert.strictEqual(decodeUtf8Strict(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), null);
    assert.deepStrictEqual(parseBodySafely(Buffer.from([0x7b, 0xff, 0x7d]), 32), { ok: false, reason: 'invalid_utf8' });
    assert.strictEqual(parseBodySafely(Buffer.from('{"a":'), 32).ok, false);
    assert.strictEqual((parseBodySafely(Buffer.from('{"a":'), 32) as { reason: string }).reason, 'invalid_json');
    assert.strictEqual(parseBodySafely(Buffer.from('{"t":"é😀"}'), 32).ok, true);
  });
});
