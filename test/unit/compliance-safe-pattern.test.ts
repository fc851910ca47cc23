/**
 * User patterns on the linear-time engine: the JavaScript syntax users already have keeps matching what
 * it matched as a RegExp (checked against RegExp itself on a corpus), patterns RE2 cannot run are refused
 * with a reason, and a pattern that backtracks catastrophically in RegExp runs in one pass.
 */
import assert from 'assert';
import { compileUserPattern, PatternError } from '../../src/compliance/safe-pattern';
import { compilePatterns, checkContent, type ContentRules } from '../../src/compliance/content-rules';

const PATTERNS = [
  '\\bfree money\\b',
  'win\\s+a\\s+prize',
  'free\\s+money',
  '[\\s\\S]',
  '[\\S\\s]+x',
  '[^\\s]+',
  '[^\\S]',
  'caf\\u00e9',
  '\\d{3}-\\d{4}',
  'a.b',
  '[]',
  '[^]',
  'x[^]y',
  '\\cJ',
  '[\\b]',
  'nul\\0',
  'a{',
  '{x}',
  'x{2}',
  'x{2,}',
  'x{1,2}y',
  '\\p{L}',
  '(?:x|y)+z',
  '^stop$',
  '(?<w>win)',
  '[a-z]+@[a-z]+\\.com',
  '\\/path',
  'https?:\\/\\/',
  '[\\]]',
  '[[]',
  '\\x41',
  '\\$\\d+',
  '[\\w.-]+@',
  '\\W+',
  '\\S+',
  '[\\d\\s]+',
  'a|b|c',
  '(a|ab)(c|bcd)(d*)',
  'a*?b',
  '[A-Z]{2,}',
  '\\Bny',
  'e\\b',
  '\\e\\q',
  '[\\u0041-\\u005A]+',
  '[\\x30-\\x39]{2}',
  '\\.',
  '\\?',
  '[.]',
  '[$^]',
  'ß',
  'STOP',
  '\\t',
  '[\\t\\n]',
  '\\v',
  '\\f',
  '[-a]',
  '[a-]',
  '(\\w+\\s?)+$',
  '(a+)+$',
  '😀',
  '[😀]?x',
  '\\😀',
  '\\-',
  '\\ ',
  'a\\nb',
  '\\r',
  '[\\0]',
  '[\\1]',
  '[\\8]',
];
const TEXTS = [
  'Get free money now',
  'free\u00a0money',
  'FREE MONEY',
  'win a prize',
  'win\u2003a\u3000prize',
  'café',
  'CAFÉ',
  '555-1234',
  'a\rb',
  'a\nb',
  'a\u2028b',
  'axb',
  '\n',
  '',
  'a{',
  '{x}',
  'xx',
  'x',
  'p{L}',
  'pL',
  'https://x',
  'a]b',
  '[',
  '$42',
  'user@example.com',
  'back\bspace',
  'ctrl\ncode',
  'nul\0',
  'STOP',
  'stop',
  ' stop ',
  'sunny',
  'ny',
  'the',
  'eq',
  'ABC',
  'ab12',
  '.',
  '?',
  '$',
  '^',
  'ss',
  'SS',
  '\t',
  '\v',
  '\f',
  '-',
  'abcd',
  'abcbcd',
  'xyz',
  'xxyz',
  '😀',
  '😀x',
  'x\u00a0y',
  '\ufeff',
  'a\u0085b',
  '\u0001',
  '\u0008',
  'e',
];

describe('compliance: user patterns on the linear-time engine', () => {
  it('matches what RegExp matched, for the JavaScript syntax users write', () => {
    let compared = 0;
    for (const p of PATTERNS) {
      const re = new RegExp(p, 'i');
      const safe = compileUserPattern(p);
      for (const t of TEXTS) {
        assert.strictEqual(safe.test(t), re.test(t), `${JSON.stringify(p)} on ${JSON.stringify(t)}`);
        compared++;
      }
    }
    assert.ok(compared > 4000);
  });

  it('case-insensitive matching follows Unicode simple case folding (a superset of RegExp for a few letters)', () => {
    // RegExp without the u flag folds through toUpperCase, which leaves ß and ẞ apart; RE2 folds them together.
    assert.strictEqual(new RegExp('ß', 'i').test('ẞ'), false);
    assert.strictEqual(compileUserPattern('ß').test('ẞ'), true);
  });

  it('refuses what RE2 cannot run, with the reason', () => {
    const refused: [string, RegExp][] = [
      ['a(?=b)', /lookahead/],
      ['a(?!b)', /lookahead/],
      ['(?<=a)b', /lookbehind/],
      ['(?<!a)b', /lookbehind/],
      ['(a)\\1', /backreference/],
      ['(?<x>a)\\k<x>', /named backreference/],
      ['[a\\S]', /\\S inside a character class/],
      ['x{1001}', /linear-time pattern engine/],
      ['(unclosed', /not a valid regular expression/],
    ];
    for (const [p, why] of refused) {
      assert.throws(
        () => compileUserPattern(p),
        (e: Error) => e instanceof PatternError && why.test(e.message),
        p,
      );
    }
  });

  it('runs a pattern that backtracks catastrophically in RegExp in one pass over a long text', () => {
    // RegExp needs about 2 s for 26 characters of this and hours for 40; a linear engine does not care.
    const text = 'a'.repeat(20_000) + '!';
    assert.strictEqual(compileUserPattern('(\\w+\\s?)+$').test(text), false);
    assert.strictEqual(compileUserPattern('(a+)+b').test(text), false);
    assert.strictEqual(compileUserPattern('(\\w+\\s?)+$').test(text.slice(0, -1)), true);
  });

  it('sender config: the line of a refused pattern, and nested quantifiers are now accepted', () => {
    assert.throws(() => compilePatterns('ok\nfree(?= money)'), /line 2 uses a lookahead/);
    const patterns = compilePatterns('(\\w+\\s?)+$\n(a+)+$');
    const base: ContentRules = { maxSegments: 0, footer: '', footerMode: 'off', blockShorteners: false, patterns, ucs2Mode: 'allow' };
    assert.strictEqual(checkContent('a'.repeat(60) + '!', base).error, undefined);
    assert.strictEqual(checkContent('a'.repeat(60), base).error?.code, 'content_blocked');
  });
});
