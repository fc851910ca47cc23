/**
 * How many bytes the JSON copy of a value takes, without making it, and without looking further than
 * a limit: a queued msg carrying a 5 MB Buffer must be refused in microseconds, not after seconds of
 * JSON.stringify on the event loop. The count follows what `toStorable` (JSON.stringify with circular
 * references, functions and symbols dropped) writes, closely enough to be a cap: strings in UTF-8
 * bytes, Buffers as `{"type":"Buffer","data":[...]}`.
 */
export function jsonSizeWithin(value: unknown, limit: number): { bytes: number; over: boolean } {
  let bytes = 0;
  const seen = new WeakSet<object>();
  // An explicit stack: a deeply nested msg must not overflow the call stack here.
  const stack: unknown[] = [value];
  while (stack.length) {
    if (bytes > limit) return { bytes, over: true };
    let v = stack.pop();
    if (v === null) {
      bytes += 4;
      continue;
    }
    switch (typeof v) {
      case 'string':
        bytes += (v.length > limit ? v.length : Buffer.byteLength(v)) + 2;
        continue;
      case 'number':
        bytes += Number.isFinite(v) ? String(v).length : 4;
        continue;
      case 'boolean':
        bytes += v ? 4 : 5;
        continue;
      case 'bigint':
        bytes += String(v).length + 2;
        continue;
      case 'object':
        break;
      default:
        // undefined, functions and symbols are left out of the copy.
        continue;
    }
    const o = v as object;
    if (seen.has(o)) continue;
    seen.add(o);
    if (ArrayBuffer.isView(o)) {
      const n = o.byteLength;
      // At least "d," per element; count exactly only when that could still fit.
      if (bytes + 2 * n > limit) return { bytes: bytes + 2 * n, over: true };
      const u8 = new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
      bytes += Buffer.isBuffer(o) ? 26 : 2;
      for (let i = 0; i < u8.length; i++) bytes += u8[i] < 10 ? 2 : u8[i] < 100 ? 3 : 4;
      continue;
    }
    const toJSON = (o as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      try {
        v = toJSON.call(o);
      } catch {
        v = undefined;
      }
      if (typeof v !== 'object' || v === null) {
        stack.push(v);
        continue;
      }
    }
    if (Array.isArray(v)) {
      bytes += 2 + v.length;
      if (bytes > limit) return { bytes, over: true };
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else {
      bytes += 2;
      for (const k in v as Record<string, unknown>) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        const t = typeof (v as Record<string, unknown>)[k];
        // JSON leaves these properties out altogether, key included.
        if (t === 'undefined' || t === 'function' || t === 'symbol') continue;
        bytes += k.length + 4;
        if (bytes > limit) return { bytes, over: true };
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return { bytes, over: bytes > limit };
}
