/**
 * Checks the text of an outbound SMS before anything is queued or sent.
 *
 * The text is returned exactly as given: what the author wrote (inner spacing, line breaks, trailing
 * spaces) is what the recipient gets. We only refuse text that cannot be delivered faithfully.
 */
import { SmsError } from '../util/errors';

/** Genesys Cloud rejects agentless SMS whose `textBody` is longer than this many characters. */
export const GENESYS_MAX_TEXT = 765;

export interface TextOptions {
  /** When false, undefined, null and '' mean "no text" (e.g. a template is sent instead) and return undefined. */
  required: boolean;
  /** Limit in Unicode code points (see countCodePoints); `Infinity` for none. */
  maxLength: number;
}

/**
 * Returns the text unchanged, or undefined when it is optional and absent. Throws:
 * - `invalid_text`: not a string (numbers, objects, Buffers, null/undefined when required), or it holds
 *   control characters (C0 other than tab, line feed and carriage return; DEL; C1) or unpaired UTF-16
 *   surrogates. Those are never typed by a person; they come from binary data or broken decoding, and
 *   platforms either reject them or deliver mojibake.
 * - `empty_text`: empty, or only whitespace and invisible formatting characters.
 * - `text_too_long`: more than `maxLength` code points.
 */
export function validateText(input: unknown, opts: TextOptions): string | undefined {
  const { required, maxLength } = opts;
  if (!(maxLength === Infinity || (Number.isInteger(maxLength) && maxLength >= 1))) {
    throw new TypeError(`maxLength must be a positive integer or Infinity (got ${String(maxLength)})`);
  }

  if (!required && (input === undefined || input === null || input === '')) return undefined;
  if (typeof input !== 'string') {
    throw new SmsError('invalid_text', `Text must be a string (got ${describeType(input)})`);
  }
  // Whitespace plus format characters (zero-width space, bidi marks, BOM): such a text looks blank on a phone.
  if (/^[\p{White_Space}\p{Cf}]*$/u.test(input)) {
    throw new SmsError('empty_text', input === '' ? 'Text is empty' : 'Text contains only whitespace');
  }

  // One pass over UTF-16 units: finds bad characters and counts code points, so a 100 KB text is cheap.
  let codePoints = 0;
  for (let i = 0; i < input.length; i++) {
    const unit = input.charCodeAt(i);
    codePoints++;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < input.length ? input.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair is one character
        continue;
      }
      throw invalidChar('an unpaired UTF-16 surrogate', unit, codePoints);
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) throw invalidChar('an unpaired UTF-16 surrogate', unit, codePoints);
    if (isForbiddenControl(unit)) throw invalidChar('the control character', unit, codePoints);
  }

  // Counted in code points, not UTF-16 units: platforms count characters, and an emoji is one character
  // to the author although JavaScript's .length counts it as two.
  if (codePoints > maxLength) {
    throw new SmsError('text_too_long', `Text is ${codePoints} characters long; the limit is ${maxLength}`);
  }
  return input;
}

/** Number of Unicode code points (an emoji is 1; a lone surrogate also counts as 1). */
export function countCodePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function isForbiddenControl(unit: number): boolean {
  if (unit === 0x09 || unit === 0x0a || unit === 0x0d) return false;
  return unit < 0x20 || (unit >= 0x7f && unit <= 0x9f);
}

function invalidChar(what: string, unit: number, position: number): SmsError {
  const hex = `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
  return new SmsError('invalid_text', `Text contains ${what} ${hex} at character ${position}`);
}

/** Short human description of a value's type for error messages (never the value: it may be large or private). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (value instanceof Uint8Array) return 'a byte array';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'object':
      return 'an object';
    case 'number':
      return 'a number';
    case 'bigint':
      return 'a bigint';
    case 'boolean':
      return 'a boolean';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      return typeof value;
  }
}
