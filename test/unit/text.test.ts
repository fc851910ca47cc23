import should from 'should';
import { validateText, countCodePoints, describeType, GENESYS_MAX_TEXT } from '../../src/phone/text';
import { SmsError } from '../../src/util/errors';

const REQUIRED = { required: true, maxLength: GENESYS_MAX_TEXT };
const OPTIONAL = { required: false, maxLength: GENESYS_MAX_TEXT };

function rejection(fn: () => unknown): SmsError {
  try {
    fn();
  } catch (err) {
    should(err).be.instanceOf(SmsError);
    return err as SmsError;
  }
  throw new Error('expected an SmsError');
}

function rejects(input: unknown, code: string, reason: RegExp, opts = REQUIRED): void {
  const err = rejection(() => validateText(input, opts));
  should(err.code).equal(code);
  should(err.message).match(reason);
  should(err.retryable).be.false();
  should(err.sent).equal('no');
}

describe('phone/text validateText', () => {
  it('exports the Genesys limit of 765 characters', () => {
    should(GENESYS_MAX_TEXT).equal(765);
  });

  describe('returns text unchanged', () => {
    const samples = [
      'hello',
      '  leading and trailing spaces  ',
      'line one\nline two\r\nline three\n',
      'tab\tseparated',
      'emoji 😀 and family 👨‍👩‍👧 and flag 🇩🇪',
      'smart “quotes” and NBSP\u00A0here',
      'mixed ✓ Ж 中文 العربية',
      '\u200Ftext with marks\u200E',
    ];
    for (const text of samples) {
      it(`returns ${JSON.stringify(text)} as is`, () => {
        should(validateText(text, REQUIRED)).equal(text);
        should(validateText(text, OPTIONAL)).equal(text);
      });
    }
  });

  describe('absent text', () => {
    it('returns undefined for undefined, null and "" when not required', () => {
      should(validateText(undefined, OPTIONAL)).be.undefined();
      should(validateText(null, OPTIONAL)).be.undefined();
      should(validateText('', OPTIONAL)).be.undefined();
    });

    it('rejects "" as empty_text when required', () => {
      rejects('', 'empty_text', /empty/);
    });

    it('rejects null and undefined as invalid_text when required', () => {
      rejects(null, 'invalid_text', /must be a string \(got null\)/);
      rejects(undefined, 'invalid_text', /must be a string \(got undefined\)/);
    });
  });

  describe('non-string input', () => {
    const values: [string, unknown][] = [
      ['a number', 42],
      ['zero', 0],
      ['NaN', NaN],
      ['an object', { text: 'hi' }],
      ['an array', ['hi']],
      ['a Buffer', Buffer.from('hello')],
      ['a byte array', new Uint8Array([104, 105])],
      ['a boolean', false],
      ['a bigint', 1n],
      ['a symbol', Symbol('x')],
      ['a function', () => 'hi'],
    ];
    for (const [name, value] of values) {
      it(`rejects ${name} as invalid_text whether required or not`, () => {
        rejects(value, 'invalid_text', new RegExp(`must be a string \\(got ${name.replace(/^(zero|NaN)$/, 'a number')}\\)`));
        rejects(value, 'invalid_text', /must be a string/, OPTIONAL);
      });
    }
  });

  describe('blank text', () => {
    const blanks = [' ', '   ', '\n', '\r\n', '\t', ' \n\t\r ', '\u00A0', '\u3000', '\u2028', '\u200B', '\uFEFF', '\u200E \u200F'];
    for (const text of blanks) {
      it(`rejects ${JSON.stringify(text)} as empty_text, required or not`, () => {
        rejects(text, 'empty_text', /only whitespace/);
        rejects(text, 'empty_text', /only whitespace/, OPTIONAL);
      });
    }
  });

  describe('control characters', () => {
    for (let cp = 0; cp < 0x20; cp++) {
      if (cp === 0x09 || cp === 0x0a || cp === 0x0d) continue;
      const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      it(`rejects C0 ${hex} and names its position`, () => {
        rejects(`ab${String.fromCharCode(cp)}cd`, 'invalid_text', new RegExp(`control character ${hex.replace('+', '\\+')} at character 3`));
      });
    }

    it('rejects DEL and C1 controls', () => {
      rejects('hi\u007F', 'invalid_text', /U\+007F at character 3/);
      rejects('hi\u0080', 'invalid_text', /U\+0080 at character 3/);
      rejects('x\u009Fy', 'invalid_text', /U\+009F at character 2/);
    });

    it('accepts tab, line feed and carriage return', () => {
      should(validateText('a\tb\nc\rd', REQUIRED)).equal('a\tb\nc\rd');
    });

    it('counts the position in characters, so an emoji before it counts once', () => {
      rejects('😀😀\u0000', 'invalid_text', /at character 3/);
    });

    it('rejects a NUL even at the end of 100 KB of text', () => {
      const text = 'a'.repeat(100 * 1024) + '\u0000';
      rejects(text, 'invalid_text', new RegExp(`at character ${100 * 1024 + 1}`), { required: true, maxLength: Infinity });
    });
  });

  describe('unpaired surrogates', () => {
    const cases: [string, string, RegExp][] = [
      ['a lone high surrogate', 'ab\uD83D', /unpaired UTF-16 surrogate U\+D83D at character 3/],
      ['a lone high surrogate followed by text', '\uD83Dx', /U\+D83D at character 1/],
      ['a lone low surrogate', 'a\uDE00b', /U\+DE00 at character 2/],
      ['a reversed pair', '\uDE00\uD83D', /U\+DE00 at character 1/],
      ['two high surrogates', '\uD83D\uD83D\uDE00', /U\+D83D at character 1/],
      ['a lone surrogate after a valid pair', '😀\uDC00', /U\+DC00 at character 2/],
    ];
    for (const [name, text, reason] of cases) {
      it(`rejects ${name}`, () => {
        rejects(text, 'invalid_text', reason);
      });
    }

    it('accepts well-formed pairs', () => {
      should(validateText('😀🇩🇪👍🏽', REQUIRED)).equal('😀🇩🇪👍🏽');
    });
  });

  describe('length in code points', () => {
    it('accepts exactly 765 characters and rejects 766', () => {
      should(validateText('a'.repeat(765), REQUIRED)).have.length(765);
      rejects('a'.repeat(766), 'text_too_long', /766 characters.*limit is 765/);
    });

    it('counts an emoji as one character although it is two UTF-16 units', () => {
      const text = '😀'.repeat(765);
      should(text.length).equal(1530);
      should(validateText(text, REQUIRED)).equal(text);
      rejects('😀'.repeat(766), 'text_too_long', /766 characters.*limit is 765/);
    });

    it('counts trailing whitespace toward the limit (text is sent as is)', () => {
      rejects('a'.repeat(765) + ' ', 'text_too_long', /766/);
    });

    it('honours a custom limit', () => {
      should(validateText('abc', { required: true, maxLength: 3 })).equal('abc');
      rejects('abcd', 'text_too_long', /4 characters.*limit is 3/, { required: true, maxLength: 3 });
    });

    it('handles 100 KB of text', () => {
      const text = 'x'.repeat(100 * 1024);
      rejects(text, 'text_too_long', /102400 characters.*limit is 765/);
      should(validateText(text, { required: true, maxLength: Infinity })).equal(text);
    });

    it('reports invalid characters before length', () => {
      rejects('a'.repeat(1000) + '\u0001', 'invalid_text', /control character/);
    });

    it('refuses a nonsensical maxLength as a programming error', () => {
      for (const bad of [0, -1, 1.5, NaN]) {
        should(() => validateText('hi', { required: true, maxLength: bad })).throw(TypeError);
      }
    });
  });
});

describe('phone/text countCodePoints', () => {
  it('counts code points, not UTF-16 units', () => {
    should(countCodePoints('')).equal(0);
    should(countCodePoints('abc')).equal(3);
    should(countCodePoints('😀')).equal(1);
    should(countCodePoints('a😀b')).equal(3);
    should(countCodePoints('👨‍👩‍👧')).equal(5); // three people joined by two zero-width joiners
    should(countCodePoints('\uD83D')).equal(1);
    should(countCodePoints('\uDE00\uD83D')).equal(2);
  });

  it('agrees with the string iterator', () => {
    for (const s of ['héllo', '😀x😀', '中文', '\uD83Dx', 'a\uDC00']) should(countCodePoints(s)).equal([...s].length);
  });
});

describe('phone/text describeType', () => {
  it('names types without echoing values', () => {
    should(describeType(null)).equal('null');
    should(describeType(undefined)).equal('undefined');
    should(describeType([])).equal('an array');
    should(describeType(Buffer.alloc(1))).equal('a Buffer');
    should(describeType({ secret: 'x' })).equal('an object');
    should(describeType(1)).equal('a number');
  });
});
