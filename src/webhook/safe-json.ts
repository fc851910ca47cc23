/**
 * Turning authenticated raw bytes into a plain object without letting the body hurt us.
 *
 * - Invalid UTF-8 is refused rather than silently replaced (a replaced byte changes what was signed).
 * - Nesting depth is measured by a linear scan *before* JSON.parse, whose recursion a 100k-deep array
 *   would otherwise exhaust (and every later recursive walk of the value, e.g. a debug node).
 * - `__proto__`, `constructor` and `prototype` keys are dropped, so a later merge or Object.assign in a
 *   user's flow cannot reach Object.prototype.
 */
export type SafeJsonResult = { ok: true; value: unknown } | { ok: false; reason: 'invalid_utf8' | 'too_deep' | 'invalid_json' };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// One decoder for every body: a non-streaming decode keeps no state between calls, and a throw on
// invalid input leaves the decoder as it was.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Deepest nesting of arrays/objects in `text`, stopping as soon as `max` is exceeded. */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Whether `text` may hold a forbidden key. A JSON key can only spell one with its letters as they are
 * or with `\u` escapes (no other escape produces a letter or `_`), so text with neither cannot, and is
 * parsed without a reviver (one makes JSON.parse several times slower).
 */
export function mayHoldForbiddenKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('prototype') || text.includes('\\u');
}

const dropForbidden = (key: string, v: unknown): unknown => (FORBIDDEN_KEYS.has(key) ? undefined : v);

export function parseJsonSafely(text: string, maxDepth: number): SafeJsonResult {
  if (exceedsDepth(text, maxDepth)) return { ok: false, reason: 'too_deep' };
  try {
    const value: unknown = mayHoldForbiddenKey(text) ? JSON.parse(text, dropForbidden) : JSON.parse(text);
    return { ok: true, value };
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
}

export function parseBodySafely(bytes: Uint8Array, maxDepth: number): SafeJsonResult & { text?: string } {
  const text = decodeUtf8Strict(bytes);
  if (text === null) return { ok: false, reason: 'invalid_utf8' };
  return { ...parseJsonSafely(text, maxDepth), text };
}
