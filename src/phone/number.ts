/**
 * Phone-number checks for recipients and senders.
 *
 * Everything that reaches a platform is strict E.164 ("+" then up to 15 digits). Input from flows is
 * messy (copied from spreadsheets, chat apps, right-to-left UIs), so we clean what is safe to clean and
 * reject everything ambiguous with a reason a flow author can act on, instead of letting the parser guess:
 * it maps letters to keypad digits and silently drops extensions, both of which would text someone else.
 *
 * The `max` metadata build is used on purpose: the smaller builds only check lengths, so they would accept
 * numbers in unassigned ranges such as +1 555 123 4567.
 */
import { parsePhoneNumberWithError, validatePhoneNumberLength, isSupportedCountry, ParseError, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { SmsError, type ErrorCode } from '../util/errors';
import { describeType } from './text';

export interface NormalizedNumber {
  /** Always strict E.164, e.g. `+12025550123`. */
  e164: string;
  /** ISO 3166 alpha-2 region, when the number belongs to one (non-geographic numbers such as +800 have none). */
  country?: string;
}

/**
 * Longest raw input we even try to read. Real numbers with formatting stay far below this; the cap stops a
 * megabyte of garbage from being normalized and scanned just to be rejected.
 */
const MAX_INPUT_LENGTH = 100;

/**
 * Invisible formatting marks that right-to-left UIs, word processors and chat apps insert around numbers:
 * bidi marks and embeddings/isolates, zero-width space/joiners, word joiner, BOM, Arabic letter mark,
 * soft hyphen. They carry no digits, so removing them cannot change which number is meant.
 */
const INVISIBLE_MARKS = /[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;

/** Punctuation people use to group digits. Anything else outside digits and a leading "+" is rejected. */
const ALLOWED_CHARS = /^[+0-9\u0660-\u0669\u06F0-\u06F9 ().\-/\u2010-\u2015\u2212]*$/;

/** Markers of an extension. Checked before the letter rule so the reason names the real problem. */
const EXTENSION_MARKERS: RegExp[] = [
  /;\s*ext\s*=/i, // RFC 3966 tel URI parameter
  /\bext(?:ension|n)?\b/i, // "ext. 12", "extension 12", "extn 12"
  /(?:^|[\d\s).-])x\s*\.?\s*\d/i, // "x12", "555-0123 x 12"
  /#/, // "#12" (also a DTMF pause marker: never part of an SMS address)
];

/**
 * Accepts an ISO 3166 alpha-2 code in any letter case. Empty, whitespace-only, null and undefined mean
 * "no default country" (E.164 required).
 *
 * An unknown or malformed code throws `invalid_sender`: the default country is a setting of the sender
 * configuration node, so the fix belongs there, not in the message that happens to be sent through it.
 */
export function validateDefaultCountry(code: unknown): string | undefined {
  if (code === undefined || code === null) return undefined;
  if (typeof code !== 'string') {
    throw new SmsError('invalid_sender', `Default country must be a string such as "US" (got ${describeType(code)})`);
  }
  const trimmed = code.trim();
  if (trimmed === '') return undefined;
  const upper = trimmed.toUpperCase();
  if (!/^[A-Z]{2}$/.test(upper)) {
    throw new SmsError('invalid_sender', `Default country "${truncate(trimmed)}" is not an ISO 3166 alpha-2 code such as "US" or "DE"`);
  }
  if (!isSupportedCountry(upper)) {
    throw new SmsError('invalid_sender', `Default country "${upper}" is not a known ISO 3166 alpha-2 region`);
  }
  return upper;
}

/**
 * Normalizes the number a message is sent to. National numbers (no leading "+") are accepted only when a
 * default country is configured. Throws `invalid_number` with a human reason for anything else, and
 * `invalid_sender` when `defaultCountry` itself is not a known region.
 */
export function normalizeRecipient(input: unknown, defaultCountry?: string): NormalizedNumber {
  const country = validateDefaultCountry(defaultCountry) as CountryCode | undefined;
  return normalize(input, { code: 'invalid_number', label: 'Phone number', defaultCountry: country });
}

/**
 * Normalizes a sender's `fromAddress` (the provisioned number Genesys and CCAI send from). It must be in
 * international format with a leading "+": a sender has no default country to interpret it against.
 */
export function normalizeSender(input: unknown): string {
  return normalize(input, { code: 'invalid_sender', label: 'Sender number (fromAddress)', requirePlus: true }).e164;
}

interface NormalizeOptions {
  code: ErrorCode;
  label: string;
  defaultCountry?: CountryCode;
  requirePlus?: boolean;
}

/**
 * Numbers recently accepted, by what was asked: the same input with the same default country and the
 * same "+" rule always gets the same answer (the parser's metadata is fixed at build time), and parsing
 * is most of the cost of a send's CPU here. A message's number is normalized at least twice (when it is
 * prepared, and its E.164 form again as the key of the sent-message log and opt-out lookups), and flows
 * often text the same numbers again: each is parsed once. Only accepted numbers are kept (a refusal
 * is rebuilt, with its reason, every time), at most NORMALIZED_CACHE_LIMIT of them; the oldest entry
 * goes first. Exported for tests.
 */
export const NORMALIZED_CACHE_LIMIT = 4096;
const recent = new Map<string, NormalizedNumber>();

function cacheKey(raw: string, opts: NormalizeOptions): string {
  return (opts.requirePlus ? '+' : '-') + (opts.defaultCountry ?? '') + ' ' + raw;
}

function remember(key: string, value: NormalizedNumber): void {
  if (recent.size >= NORMALIZED_CACHE_LIMIT) recent.delete(recent.keys().next().value as string);
  recent.set(key, value);
}

/** How many accepted numbers are remembered (tests: the cache stays bounded). */
export function normalizedCacheSize(): number {
  return recent.size;
}

/** Forget every remembered number (tests compare the parsed answer with the remembered one). */
export function clearNormalizedCache(): void {
  recent.clear();
}

/** A copy: callers own what they get back. */
function copyOf(n: NormalizedNumber): NormalizedNumber {
  return n.country ? { e164: n.e164, country: n.country } : { e164: n.e164 };
}

function normalize(input: unknown, opts: NormalizeOptions): NormalizedNumber {
  // `parse` accepts only strings up to MAX_INPUT_LENGTH, so an accepted input always has this key.
  const key = typeof input === 'string' && input.length <= MAX_INPUT_LENGTH ? cacheKey(input, opts) : '';
  const hit = key ? recent.get(key) : undefined;
  if (hit) return copyOf(hit);
  const out = parse(input, opts);
  remember(key, out);
  // Its E.164 form normalizes to itself (same country), with or without a default country and the "+"
  // rule (it has the "+"): the next normalization of the same number, as E.164, is a lookup too.
  // test/unit/phone-number-cache.test.ts checks this on every region's example numbers.
  for (const defaultCountry of opts.defaultCountry ? [undefined, opts.defaultCountry] : [undefined]) {
    for (const requirePlus of [false, true]) {
      const k = cacheKey(out.e164, { code: opts.code, label: opts.label, defaultCountry, requirePlus });
      if (k !== key && !recent.has(k)) remember(k, out);
    }
  }
  return copyOf(out);
}

function parse(input: unknown, opts: NormalizeOptions): NormalizedNumber {
  const fail = (reason: string): never => {
    throw new SmsError(opts.code, `${opts.label} ${reason}`);
  };

  if (typeof input !== 'string') fail(`must be a string (got ${describeType(input)})`);
  const raw = input as string;
  if (raw.length > MAX_INPUT_LENGTH) fail(`is too long to be a phone number (${raw.length} characters)`);

  // Marks first (trim does not remove all of them), then NFKC so full-width digits and "＋" become ASCII,
  // then trim surrounding whitespace such as the trailing newline of a line read from a file.
  const text = raw.replace(INVISIBLE_MARKS, '').normalize('NFKC').trim();
  if (text === '') fail('is empty');

  if (EXTENSION_MARKERS.some((re) => re.test(text))) {
    fail('has an extension; SMS cannot be sent to an extension, remove it');
  }
  if (/\p{L}/u.test(text)) {
    fail('contains letters; write the digits (vanity numbers such as 1-800-FLOWERS are not accepted)');
  }
  if (!ALLOWED_CHARS.test(text)) {
    const bad = [...text].find((ch) => !ALLOWED_CHARS.test(ch)) ?? '';
    fail(`contains the unexpected character ${describeChar(bad)}`);
  }
  if (text.indexOf('+', 1) !== -1) fail('may have a "+" only at the start');

  const digits = asciiDigits(text);
  if (digits === '') fail('contains no digits');

  const hasPlus = text.startsWith('+');
  if (opts.requirePlus && !hasPlus) {
    fail('must be in international E.164 format with a leading "+" and the country code, e.g. +12025550123');
  }
  const idd00 = !hasPlus && digits.startsWith('00');
  if (!hasPlus && !opts.defaultCountry) {
    fail(
      idd00
        ? 'starts with the international prefix 00; write it with a leading "+" instead, or configure a default country'
        : 'is not in international format; add a leading "+" and the country code, or configure a default country',
    );
  }

  const parseCountry = hasPlus ? undefined : opts.defaultCountry;
  let parsed: PhoneNumber;
  try {
    parsed = parsePhoneNumberWithError(text, parseCountry);
  } catch (err) {
    return fail(parseFailure(err, hasPlus ? undefined : parseCountry));
  }

  // "00" is the international prefix in most countries but not all (the US uses 011), and in those others
  // the parser reads 00... as a national number. Accept it only when the parser consumed exactly "00" as the
  // international prefix, i.e. the result is the rest of the digits.
  if (idd00 && parsed.number !== `+${digits.slice(2)}`) {
    fail(`starts with 00, which is not the international prefix of ${opts.defaultCountry}; write it with a leading "+" and the country code`);
  }
  if (parsed.ext) fail('has an extension; SMS cannot be sent to an extension, remove it');

  if (!parsed.isValid()) {
    const where = parsed.country ?? (hasPlus ? `country code +${parsed.countryCallingCode}` : opts.defaultCountry);
    const length = validatePhoneNumberLength(text, parseCountry);
    if (length === 'TOO_SHORT') fail(`is too short for ${where}`);
    if (length === 'TOO_LONG') fail(`is too long for ${where}`);
    if (length === 'INVALID_LENGTH') fail(`has the wrong number of digits for ${where}`);
    fail(`is not a valid number for ${where} (no such number range is assigned)`);
  }

  const out: NormalizedNumber = { e164: parsed.number };
  if (parsed.country) out.country = parsed.country;
  return out;
}

function parseFailure(err: unknown, country: string | undefined): string {
  const code = err instanceof ParseError ? err.message : undefined;
  switch (code) {
    case 'INVALID_COUNTRY':
      return country ? `could not be read as a number of ${country}` : 'starts with an unknown country code';
    case 'TOO_SHORT':
      return 'is too short';
    case 'TOO_LONG':
      return 'is too long';
    case 'NOT_A_NUMBER':
    default:
      return 'is not a phone number';
  }
}

/** The digits of the input as ASCII, including the Arabic-Indic digits the parser also understands. */
function asciiDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x30 && cp <= 0x39) out += ch;
    else if (cp >= 0x660 && cp <= 0x669) out += String(cp - 0x660);
    else if (cp >= 0x6f0 && cp <= 0x6f9) out += String(cp - 0x6f0);
  }
  return out;
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  // Control and other invisible characters would print as nothing; show only the code point for them.
  return /[\p{L}\p{N}\p{P}\p{S}]/u.test(ch) ? `"${ch}" (${hex})` : hex;
}

function truncate(s: string): string {
  return s.length > 20 ? `${s.slice(0, 20)}...` : s;
}
