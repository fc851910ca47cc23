/**
 * User content patterns (a sender's "blocked patterns") run on every message, so they run on a
 * linear-time engine (re2js, a pure-JavaScript port of RE2): `(\w+\s?)+$` takes microseconds on any text
 * instead of hours. Users write JavaScript regular expressions, so each pattern is first checked as one
 * (same syntax errors as before), then translated where the two dialects differ in meaning, and what RE2
 * cannot do at all (lookaround, backreferences) is refused with a message saying so.
 *
 * Translations, so a pattern keeps matching what it matched as a JavaScript RegExp:
 * - `\s` / `\S` also cover the Unicode spaces JavaScript counts (NBSP, U+2000-U+200A, ...); RE2's are ASCII only.
 * - `.` excludes \r, U+2028 and U+2029 like JavaScript's (RE2's `.` excludes only \n).
 * - `\uXXXX` -> `\x{XXXX}`, `\cX` -> the control character, `[\b]` -> backspace, `\0` -> NUL,
 *   and an escaped letter with no meaning in JavaScript stands for the letter itself.
 * - `[^]` (anything) and `[]` (nothing), `[\s\S]` and friends.
 */
import { RE2JS } from 're2js';

export interface UserPattern {
  readonly source: string;
  test(text: string): boolean;
}

export class PatternError extends Error {}

/** What JavaScript's \s matches (ECMAScript WhiteSpace and LineTerminator), as RE2 class items. */
const JS_SPACE = '\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
const ANY = '(?s:.)';
const NOTHING = '[^\\x{0}-\\x{10FFFF}]';

function hex(code: number): string {
  return `\\x{${code.toString(16).toUpperCase()}}`;
}

/** Letters whose escape means something in JavaScript (outside `u` mode) and that we translate or keep. */
const KEPT_CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W']);
const KEPT_CONTROL_ESCAPES: Record<string, string> = { t: '\\t', n: '\\n', r: '\\r', f: '\\f', v: '\\x{0B}' };

/** Translate one JavaScript (non-unicode) pattern to RE2 syntax; throws PatternError for what RE2 cannot run. */
export function toRe2Syntax(source: string): string {
  let out = '';
  let i = 0;
  const n = source.length;
  const unsupported = (what: string): never => {
    throw new PatternError(`uses ${what}, which the linear-time pattern engine does not support`);
  };

  /** An escape at source[i] === '\\'; returns [translation, chars consumed]. */
  const escape = (inClass: boolean): [string, number] => {
    const c = source[i + 1];
    if (c === undefined) return ['\\\\', 1];
    if (c === 's') return [inClass ? JS_SPACE : `[${JS_SPACE}]`, 2];
    if (c === 'S') {
      if (inClass) unsupported('\\S inside a character class');
      return [`[^${JS_SPACE}]`, 2];
    }
    if (KEPT_CLASS_ESCAPES.has(c)) return [`\\${c}`, 2];
    if (c === 'b' || c === 'B') return inClass ? (c === 'b' ? [hex(8), 2] : ['B', 2]) : [`\\${c}`, 2];
    if (c in KEPT_CONTROL_ESCAPES) return [KEPT_CONTROL_ESCAPES[c], 2];
    if (c === 'u') {
      const m = /^[0-9a-fA-F]{4}/.exec(source.slice(i + 2));
      return m ? [hex(parseInt(m[0], 16)), 6] : ['u', 2];
    }
    if (c === 'x') {
      const m = /^[0-9a-fA-F]{2}/.exec(source.slice(i + 2));
      return m ? [hex(parseInt(m[0], 16)), 4] : ['x', 2];
    }
    if (c === 'c') {
      const l = source[i + 2];
      if (l && /[A-Za-z]/.test(l)) return [hex(l.charCodeAt(0) % 32), 3];
      return ['\\\\c', 2];
    }
    if (c === '0' && !/[0-9]/.test(source[i + 2] ?? '')) return [hex(0), 2];
    if (/[1-9]/.test(c)) {
      if (inClass) {
        // Inside a class JavaScript reads \1..\7 as octal escapes and \8, \9 as the digits.
        const m = /^[0-7]{1,3}/.exec(source.slice(i + 1));
        return m ? [hex(parseInt(m[0], 8) & 0xff), 1 + m[0].length] : [c, 2];
      }
      unsupported(`a backreference (\\${c})`);
    }
    if (c === 'k' && source[i + 2] === '<') unsupported('a named backreference (\\k<...>)');
    if (c === 'p' || c === 'P') {
      // JavaScript without the u flag reads \p as the letter p; RE2 reads a Unicode class. Keep JavaScript's meaning.
      return [c, 2];
    }
    if (/[A-Za-z]/.test(c)) return [c, 2];
    // Escaped punctuation (and anything else) is the character itself in both dialects.
    const cp = source.codePointAt(i + 1)!;
    return [/[\\^$.|?*+()[\]{}\-/]/.test(c) ? `\\${c}` : hex(cp), cp > 0xffff ? 3 : 2];
  };

  while (i < n) {
    const ch = source[i];
    if (ch === '\\') {
      const [t, used] = escape(false);
      out += t;
      i += used;
      continue;
    }
    if (ch === '[') {
      // JavaScript: [] matches nothing, [^] anything, and a ] right after [ or [^ closes the class.
      const negated = source[i + 1] === '^';
      let j = i + (negated ? 2 : 1);
      if (source[j] === ']') {
        out += negated ? ANY : NOTHING;
        i = j + 1;
        continue;
      }
      let body = '';
      let hasSpace = false;
      let hasNotSpace = false;
      while (j < n && source[j] !== ']') {
        if (source[j] === '\\') {
          const e = source[j + 1];
          if (e === 'S') {
            hasNotSpace = true;
            j += 2;
            continue;
          }
          if (e === 's') hasSpace = true;
          i = j;
          const [t, used] = escape(true);
          body += t;
          j += used;
          continue;
        }
        // RE2 reads "[:" as the start of a POSIX class and "[" as literal; JavaScript's [ inside a class is literal too.
        body += source[j] === '[' ? '\\[' : source[j];
        j++;
      }
      if (j >= n) unsupported('an unterminated character class');
      if (hasNotSpace) {
        // [\s\S] and [\S\s] (anything) are common; \S mixed with other items has no RE2 spelling here.
        if (hasSpace && body === JS_SPACE) out += negated ? NOTHING : ANY;
        else if (!hasSpace && body === '') out += negated ? `[${JS_SPACE}]` : `[^${JS_SPACE}]`;
        else unsupported('\\S inside a character class');
      } else {
        out += `[${negated ? '^' : ''}${body}]`;
      }
      i = j + 1;
      continue;
    }
    if (ch === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) unsupported('a lookahead ((?=...) or (?!...))');
      if (rest === '<=' || rest === '<!') unsupported('a lookbehind ((?<=...) or (?<!...))');
    }
    if (ch === '.') {
      out += JS_DOT;
      i++;
      continue;
    }
    if (ch === '{' && !/^\{\d+(,\d*)?\}/.test(source.slice(i))) {
      // Not a quantifier: a literal brace in JavaScript.
      out += '\\{';
      i++;
      continue;
    }
    if (ch === '}') {
      // A quantifier's } is consumed with it below; a lone one is literal.
      out += '\\}';
      i++;
      continue;
    }
    if (ch === '{') {
      const m = /^\{\d+(,\d*)?\}/.exec(source.slice(i))!;
      out += m[0];
      i += m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * Compile a user pattern (JavaScript syntax, matched case-insensitively anywhere in the text) for the
 * linear-time engine. Throws PatternError with a reason a user can act on.
 */
export function compileUserPattern(source: string): UserPattern {
  try {
    new RegExp(source, 'i');
  } catch (err) {
    throw new PatternError(`is not a valid regular expression: ${(err as Error).message}`);
  }
  const translated = toRe2Syntax(source);
  let re: ReturnType<typeof RE2JS.compile>;
  try {
    re = RE2JS.compile(translated, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp:\s*/, '');
    throw new PatternError(`cannot be run by the linear-time pattern engine (${why})`);
  }
  return { source, test: (text: string) => re.test(text) };
}
