/**
 * Content rules a sender can enforce on the text before it is queued: carriers filter (10DLC content
 * validation) what these catch, and answer only later with a delivery failure, so refusing here is cheaper.
 *
 * - transliteration of typographic characters (smart quotes, dashes, NBSP, ellipsis) to GSM-7, because
 *   one of them silently switches the whole message to UCS-2 and cuts each segment from 160 to 70 characters;
 * - the opt-out footer ("Reply STOP to opt out"), appended or required;
 * - public URL shorteners (carriers block them: they hide the destination) and user patterns;
 * - a maximum number of segments (cost control).
 */
import { SmsError } from '../util/errors';
import { countSegments, type SegmentInfo } from '../phone/segments';
import { compileUserPattern, PatternError, type UserPattern } from './safe-pattern';

export type Ucs2Mode = 'allow' | 'warn' | 'reject' | 'transliterate';
export type FooterMode = 'off' | 'append' | 'require';
export const UCS2_MODES: readonly Ucs2Mode[] = ['allow', 'warn', 'reject', 'transliterate'];
export const FOOTER_MODES: readonly FooterMode[] = ['off', 'append', 'require'];

export const DEFAULT_OPT_OUT_FOOTER = 'Reply STOP to opt out';

/** Public shorteners carriers are known to filter. */
export const DEFAULT_SHORTENERS = [
  'bit.ly',
  'tinyurl.com',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  'rb.gy',
  'bl.ink',
  't.ly',
  'v.gd',
  's.id',
] as const;

/**
 * Typographic characters with a GSM-7 look-alike. Only characters whose replacement reads the same are
 * listed: letters with accents outside GSM-7 are left alone (changing a name is not our call).
 */
export const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  '\u2032': "'",
  '\u2039': "'",
  '\u203A': "'",
  '\u00B4': "'",
  '\u0060': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u201F': '"',
  '\u2033': '"',
  '\u00AB': '"',
  '\u00BB': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u00A0': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u2004': ' ',
  '\u2005': ' ',
  '\u2006': ' ',
  '\u2007': ' ',
  '\u2008': ' ',
  '\u2009': ' ',
  '\u200A': ' ',
  '\u202F': ' ',
  '\u205F': ' ',
  '\u3000': ' ',
  '\u200B': '',
  '\u200C': '',
  '\u200D': '',
  '\u2060': '',
  '\uFEFF': '',
  '\u00AD': '',
  '\u2022': '-',
  '\u00B7': '-',
  '\u2122': 'TM',
  '\u00A9': '(c)',
  '\u00AE': '(R)',
  '\u02C6': '^',
  '\u02DC': '~',
};

export function transliterate(text: string): { text: string; replaced: string[] } {
  const replaced: string[] = [];
  let out = '';
  for (const ch of text) {
    const r = TRANSLITERATIONS[ch];
    if (r === undefined) out += ch;
    else {
      out += r;
      if (!replaced.includes(ch)) replaced.push(ch);
    }
  }
  return { text: out, replaced };
}

/** Limits on user patterns: they run on every message, so keep them small. */
export const MAX_PATTERN_LENGTH = 200;
export const MAX_PATTERNS = 50;

export interface BlockedPattern {
  source: string;
  /** Runs on the linear-time engine (src/compliance/safe-pattern.ts): no pattern can stall the event loop. */
  re: Pick<UserPattern, 'test'>;
}

/**
 * One regular expression per line (JavaScript syntax, case-insensitive); blank lines and lines starting
 * with `#` are skipped. Throws SmsError (config) naming the line of an invalid or too long pattern, or
 * of one the linear-time engine cannot run (lookaround, backreferences).
 */
export function compilePatterns(lines: string): BlockedPattern[] {
  const out: BlockedPattern[] = [];
  String(lines ?? '')
    .split(/\r\n|\n|\r/)
    .forEach((raw, i) => {
      const source = raw.trim();
      if (!source || source.startsWith('#')) return;
      const where = `Blocked pattern on line ${i + 1}`;
      if (source.length > MAX_PATTERN_LENGTH) throw new SmsError('config_missing', `${where} is longer than ${MAX_PATTERN_LENGTH} characters`);
      try {
        out.push({ source, re: compileUserPattern(source) });
      } catch (err) {
        if (err instanceof PatternError) throw new SmsError('config_missing', `${where} ${err.message}`);
        throw err;
      }
    });
  if (out.length > MAX_PATTERNS) throw new SmsError('config_missing', `At most ${MAX_PATTERNS} blocked patterns are allowed`);
  return out;
}

function shortenerRegExp(hosts: readonly string[]): RegExp {
  const alt = hosts.map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  // A host name on its own (not the tail of a longer name like "habit.ly", nor a path segment), then a path, space or end.
  return new RegExp(`(?:^|[^\\w./@-])(?:https?://)?(?:www\\.)?(?:${alt})(?=$|[/\\s?#:)\\],.!;'"])`, 'i');
}
const SHORTENERS = shortenerRegExp(DEFAULT_SHORTENERS);

export interface ContentRules {
  maxSegments: number;
  footer: string;
  footerMode: FooterMode;
  blockShorteners: boolean;
  patterns: BlockedPattern[];
  ucs2Mode: Ucs2Mode;
}

export type RuleOutcome = 'pass' | 'fired' | 'warned' | 'changed';
export interface RuleResult {
  rule: string;
  result: RuleOutcome;
  detail?: string;
}

export interface ContentCheck {
  /** The text to send (possibly transliterated and with the footer). */
  text: string;
  segments: SegmentInfo;
  rules: RuleResult[];
  error?: SmsError;
}

/** Case and spacing do not matter when looking for the footer in a text. */
function squash(s: string): string {
  return transliterate(s).text.replace(/\s+/g, ' ').trim().toLowerCase();
}

export function checkContent(input: string, rules: ContentRules): ContentCheck {
  const results: RuleResult[] = [];
  let text = input;
  const done = (error?: SmsError): ContentCheck => ({ text, segments: countSegments(text), rules: results, ...(error ? { error } : {}) });

  if (rules.ucs2Mode === 'transliterate') {
    const t = transliterate(text);
    text = t.text;
    results.push(t.replaced.length ? { rule: 'transliterate', result: 'changed', detail: t.replaced.map(codePoint).join(' ') } : { rule: 'transliterate', result: 'pass' });
  }

  if (rules.footerMode !== 'off') {
    const footer = rules.footer.trim() || DEFAULT_OPT_OUT_FOOTER;
    const present = squash(text).includes(squash(footer));
    if (present) results.push({ rule: 'opt-out-footer', result: 'pass' });
    else if (rules.footerMode === 'append') {
      const ft = rules.ucs2Mode === 'transliterate' ? transliterate(footer).text : footer;
      text = `${text.replace(/\s+$/, '')}\n${ft}`;
      results.push({ rule: 'opt-out-footer', result: 'changed', detail: 'appended' });
    } else {
      results.push({ rule: 'opt-out-footer', result: 'fired', detail: `missing "${footer}"` });
      return done(new SmsError('missing_opt_out_text', `The text must contain the opt-out instructions "${footer}"`));
    }
  }

  if (rules.blockShorteners) {
    const m = SHORTENERS.exec(text);
    if (m) {
      const host = m[0].replace(/^[^\w]*(?:https?:\/\/)?(?:www\.)?/i, '');
      results.push({ rule: 'url-shortener', result: 'fired', detail: host });
      return done(new SmsError('content_blocked', `The text contains a public URL shortener (${host}); carriers filter those, use your own domain`));
    }
    results.push({ rule: 'url-shortener', result: 'pass' });
  }

  if (rules.patterns.length) {
    const hit = rules.patterns.find((p) => p.re.test(text));
    if (hit) {
      results.push({ rule: 'blocked-pattern', result: 'fired', detail: hit.source });
      return done(new SmsError('content_blocked', `The text matches the blocked pattern ${hit.source}`));
    }
    results.push({ rule: 'blocked-pattern', result: 'pass' });
  }

  const seg = countSegments(text);
  if (rules.ucs2Mode !== 'allow' && rules.ucs2Mode !== 'transliterate') {
    if (seg.encoding === 'UCS-2') {
      const chars = seg.nonGsmCharacters.slice(0, 5).map(codePoint).join(' ');
      if (rules.ucs2Mode === 'reject') {
        results.push({ rule: 'ucs2', result: 'fired', detail: chars });
        return done(new SmsError('content_blocked', `The text needs UCS-2 (70 characters per segment) because of ${chars}`));
      }
      results.push({ rule: 'ucs2', result: 'warned', detail: chars });
    } else results.push({ rule: 'ucs2', result: 'pass' });
  }

  if (rules.maxSegments > 0) {
    if (seg.segments > rules.maxSegments) {
      results.push({ rule: 'max-segments', result: 'fired', detail: `${seg.segments} > ${rules.maxSegments}` });
      return done(new SmsError('too_many_segments', `The text needs ${seg.segments} SMS segments (${seg.encoding}); the sender allows ${rules.maxSegments}`));
    }
    results.push({ rule: 'max-segments', result: 'pass', detail: `${seg.segments}` });
  }
  return { text, segments: seg, rules: results };
}

/** "’ (U+2019)": readable in an audit record even for invisible characters. */
function codePoint(ch: string): string {
  const hex = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return /[\p{L}\p{N}\p{P}\p{S}]/u.test(ch) ? `${ch} (${hex})` : hex;
}
