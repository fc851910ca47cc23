import should from 'should';
import { normalizeRecipient, normalizeSender, validateDefaultCountry } from '../../src/phone/number';
import { SmsError } from '../../src/util/errors';

/** Runs fn and returns the SmsError it throws, failing the test when it does not throw one. */
function rejection(fn: () => unknown): SmsError {
  try {
    fn();
  } catch (err) {
    should(err).be.instanceOf(SmsError);
    return err as SmsError;
  }
  throw new Error('expected an SmsError');
}

function rejectsNumber(input: unknown, reason: RegExp, defaultCountry?: string): void {
  const err = rejection(() => normalizeRecipient(input, defaultCountry));
  should(err.code).equal('invalid_number');
  should(err.message).match(reason);
  should(err.retryable).be.false();
  should(err.sent).equal('no');
}

const E164 = /^\+[1-9]\d{1,14}$/;

describe('phone/number normalizeRecipient', () => {
  describe('valid international numbers', () => {
    it('accepts a valid E.164 number and reports its country', () => {
      should(normalizeRecipient('+12025550123')).eql({ e164: '+12025550123', country: 'US' });
    });

    for (const input of ['+1 (202) 555-0123', '+1.202.555.0123', '+1 202-555-0123', '+1/202/555/0123', ' +12025550123 ']) {
      it(`normalizes formatting in ${JSON.stringify(input)}`, () => {
        should(normalizeRecipient(input).e164).equal('+12025550123');
      });
    }

    it('accepts numbers of other countries', () => {
      should(normalizeRecipient('+49 30 1234567')).eql({ e164: '+49301234567', country: 'DE' });
      should(normalizeRecipient('+44 20 7946 0958')).eql({ e164: '+442079460958', country: 'GB' });
      should(normalizeRecipient('+4915112345678')).eql({ e164: '+4915112345678', country: 'DE' });
    });

    it('omits country for valid non-geographic numbers', () => {
      const out = normalizeRecipient('+80012345678');
      should(out.e164).equal('+80012345678');
      should(out).not.have.property('country');
    });

    it('accepts Unicode dashes used as separators', () => {
      should(normalizeRecipient('+1\u2012202\u2013555\u20140123').e164).equal('+12025550123');
    });
  });

  describe('numbers the parser would accept but are not assigned', () => {
    it('rejects +15551234567 (555 area code) using full metadata', () => {
      rejectsNumber('+15551234567', /not a valid number/);
    });

    it('rejects an unknown country calling code', () => {
      rejectsNumber('+999123456', /unknown country code/);
    });
  });

  describe('letters and extensions', () => {
    it('rejects a vanity number instead of mapping letters to digits', () => {
      rejectsNumber('+1-800-FLOWERS', /letters/);
      rejectsNumber('+1 800 356 9377a', /letters/);
      rejectsNumber('tel:+12025550123', /letters/);
    });

    const extensions = [
      '+12025550123 ext. 12',
      '+12025550123 ext 12',
      '+12025550123 EXT.12',
      '+12025550123 extension 12',
      '+12025550123 extn 12',
      '+12025550123x12',
      '+1 202 555 0123 x 12',
      '+12025550123;ext=12',
      '+12025550123 #12',
      '+12025550123#',
    ];
    for (const input of extensions) {
      it(`rejects the extension in ${JSON.stringify(input)} rather than dropping it`, () => {
        rejectsNumber(input, /extension/);
      });
    }
    it('rejects extensions on national numbers too', () => {
      rejectsNumber('(202) 555-0123 ext. 7', /extension/, 'US');
    });
  });

  describe('length and emptiness', () => {
    it('rejects empty and blank strings', () => {
      rejectsNumber('', /empty/);
      rejectsNumber('   \n\t', /empty/);
      rejectsNumber('\u200E\u200F', /empty/);
    });

    it('rejects a lone plus and punctuation without digits', () => {
      rejectsNumber('+', /no digits/);
      rejectsNumber('()-', /no digits/);
    });

    it('rejects too short numbers', () => {
      rejectsNumber('+1202', /too short/);
      rejectsNumber('+1', /too short|not a phone number/);
      rejectsNumber('12345', /too short/, 'US');
    });

    it('rejects too long numbers', () => {
      rejectsNumber('+1202555012345678', /too long/);
      rejectsNumber('+12025550123999', /too long|not a valid/);
    });

    it('rejects 12345 without a default country as not international', () => {
      rejectsNumber('12345', /leading "\+".*default country/);
    });

    it('rejects a huge input quickly without echoing it', () => {
      const huge = '1'.repeat(1_000_000);
      const err = rejection(() => normalizeRecipient(huge));
      should(err.code).equal('invalid_number');
      should(err.message).match(/too long/);
      should(err.message.length).be.below(200);
    });
  });

  describe('plus signs and stray characters', () => {
    it('rejects a plus anywhere but the start', () => {
      rejectsNumber('++12025550123', /"\+" only at the start/);
      rejectsNumber('+1202+5550123', /"\+" only at the start/);
      rejectsNumber('1202555+0123', /"\+" only at the start/, 'US');
    });

    it('rejects control characters, emoji and other symbols, naming them', () => {
      rejectsNumber('+1202\u00005550123', /U\+0000/);
      rejectsNumber('+1202555\u00070123', /U\+0007/);
      rejectsNumber('+1202555😀0123', /U\+1F600/);
      rejectsNumber('+1202*5550123', /"\*"/);
      rejectsNumber('+1202,5550123', /","/);
      rejectsNumber('+1 [202] 5550123', /"\["/);
    });
  });

  describe('national numbers and defaultCountry', () => {
    it('rejects a national number without a default country, saying what is needed', () => {
      rejectsNumber('(202) 555-0123', /leading "\+".*default country/);
      rejectsNumber('030 1234567', /leading "\+".*default country/);
    });

    it('reads US national formats with defaultCountry US', () => {
      for (const input of ['(202) 555-0123', '202-555-0123', '202.555.0123', '2025550123', '1 202 555 0123', '1-202-555-0123']) {
        should(normalizeRecipient(input, 'US')).eql({ e164: '+12025550123', country: 'US' });
      }
    });

    it('reads German national numbers with defaultCountry DE', () => {
      should(normalizeRecipient('030 123456', 'DE')).eql({ e164: '+4930123456', country: 'DE' });
      should(normalizeRecipient('030 1234567', 'DE')).eql({ e164: '+49301234567', country: 'DE' });
      should(normalizeRecipient('0151 12345678', 'DE')).eql({ e164: '+4915112345678', country: 'DE' });
    });

    it('reads UK national numbers with defaultCountry GB', () => {
      should(normalizeRecipient('020 7946 0958', 'GB').e164).equal('+442079460958');
      should(normalizeRecipient('07911 123456', 'GB').e164).equal('+447911123456');
    });

    it('accepts the default country in any letter case and with spaces', () => {
      should(normalizeRecipient('(202) 555-0123', 'us').e164).equal('+12025550123');
      should(normalizeRecipient('(202) 555-0123', ' Us ').e164).equal('+12025550123');
    });

    it('lets a leading plus win over the default country', () => {
      should(normalizeRecipient('+49 30 1234567', 'US')).eql({ e164: '+49301234567', country: 'DE' });
    });

    it('treats an empty default country as none', () => {
      rejectsNumber('(202) 555-0123', /default country/, '');
      should(normalizeRecipient('+12025550123', '').e164).equal('+12025550123');
    });

    it('rejects a national number that is invalid in the default country', () => {
      rejectsNumber('(555) 123-4567', /not a valid number for US/, 'US');
      rejectsNumber('030', /too short|not a valid/, 'DE');
    });

    it('accepts the US international prefix 011 with defaultCountry US', () => {
      should(normalizeRecipient('011 49 30 1234567', 'US')).eql({ e164: '+49301234567', country: 'DE' });
    });

    it('throws invalid_sender for an unknown default country, even for E.164 input', () => {
      for (const bad of ['XX', 'USA', 'U', '12', 'ÜS']) {
        const err = rejection(() => normalizeRecipient('+12025550123', bad));
        should(err.code).equal('invalid_sender');
        should(err.message).match(/Default country/);
      }
    });
  });

  describe('the 00 international prefix', () => {
    it('rejects 00 without a default country, suggesting a plus', () => {
      rejectsNumber('0049 30 1234567', /international prefix 00.*"\+"/);
      rejectsNumber('00 1 202 555 0123', /international prefix 00/);
    });

    it("accepts 00 where it is the default country's international prefix", () => {
      should(normalizeRecipient('0049 30 1234567', 'DE')).eql({ e164: '+49301234567', country: 'DE' });
      should(normalizeRecipient('00 1 202 555 0123', 'DE')).eql({ e164: '+12025550123', country: 'US' });
      should(normalizeRecipient('0044 20 7946 0958', 'FR')).eql({ e164: '+442079460958', country: 'GB' });
    });

    it('rejects 00 where it is not the international prefix (US uses 011)', () => {
      rejectsNumber('0049 30 1234567', /00.*not the international prefix of US/, 'US');
      rejectsNumber('00 1 202 555 0123', /00.*not the international prefix of US/, 'US');
    });

    it('rejects 00 followed by an invalid number', () => {
      rejectsNumber('00 1 555 123 4567', /not a valid|00/, 'DE');
    });
  });

  describe('Unicode cleanup', () => {
    it('reads full-width digits and plus sign', () => {
      should(normalizeRecipient('＋１２０２５５５０１２３').e164).equal('+12025550123');
      should(normalizeRecipient('（２０２）５５５－０１２３', 'US').e164).equal('+12025550123');
    });

    it('reads Arabic-Indic and extended Arabic-Indic digits', () => {
      should(normalizeRecipient('+٩٧١٥٠١٢٣٤٥٦٧').e164).equal('+971501234567');
      should(normalizeRecipient('+۹۷۱۵۰۱۲۳۴۵۶۷').e164).equal('+971501234567');
    });

    const marks = [0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff];
    for (const cp of marks) {
      const mark = String.fromCodePoint(cp);
      it(`strips U+${cp.toString(16).toUpperCase()} at start, middle and end`, () => {
        should(normalizeRecipient(`${mark}+1202${mark}555${mark}0123${mark}`).e164).equal('+12025550123');
        should(normalizeRecipient(`${mark}(202) 555-0123${mark}`, 'US').e164).equal('+12025550123');
      });
    }

    it('strips a typical RTL-wrapped number copied from a right-to-left UI', () => {
      should(normalizeRecipient('\u2067\u200E+1 202 555 0123\u200E\u2069').e164).equal('+12025550123');
    });

    it('trims trailing newlines, carriage returns, tabs and no-break spaces', () => {
      for (const input of ['+12025550123\n', '+12025550123\r\n', '\t+12025550123\t', '\u00A0+12025550123\u00A0', '\n\n+12025550123\n\n']) {
        should(normalizeRecipient(input).e164).equal('+12025550123');
      }
    });

    it('accepts a no-break space between digit groups', () => {
      should(normalizeRecipient('+1\u00A0202\u00A0555\u00A00123').e164).equal('+12025550123');
    });
  });

  describe('non-string input', () => {
    const values: [string, unknown][] = [
      ['null', null],
      ['undefined', undefined],
      ['a number', 12025550123],
      ['an array', ['+12025550123']],
      ['an object', { number: '+12025550123' }],
      ['a boolean', true],
      ['a Buffer', Buffer.from('+12025550123')],
      ['a bigint', 12025550123n],
    ];
    for (const [name, value] of values) {
      it(`rejects ${name} with "must be a string"`, () => {
        rejectsNumber(value, /must be a string/);
        rejectsNumber(value, /must be a string/, 'US');
      });
    }
  });

  it('always returns strict E.164 for every accepted input', () => {
    const accepted: [string, string?][] = [
      ['+12025550123'],
      ['+1 (202) 555-0123'],
      ['(202) 555-0123', 'US'],
      ['030 123456', 'DE'],
      ['0049 30 1234567', 'DE'],
      ['＋４４ ２０ ７９４６ ０９５８'],
      ['+80012345678'],
    ];
    for (const [input, country] of accepted) should(normalizeRecipient(input, country).e164).match(E164);
  });
});

describe('phone/number validateDefaultCountry', () => {
  it('returns undefined for empty, blank, null and undefined', () => {
    for (const v of ['', '   ', null, undefined]) should(validateDefaultCountry(v)).be.undefined();
  });

  it('upper-cases and trims known codes', () => {
    should(validateDefaultCountry('us')).equal('US');
    should(validateDefaultCountry(' de ')).equal('DE');
    should(validateDefaultCountry('GB')).equal('GB');
  });

  it('rejects unknown or malformed codes with invalid_sender', () => {
    for (const bad of ['XX', 'ZZ', 'USA', 'U', '1', 'U S', 'ÜS']) {
      const err = rejection(() => validateDefaultCountry(bad));
      should(err.code).equal('invalid_sender');
      should(err.message).match(/Default country/);
    }
  });

  it('rejects non-strings with invalid_sender', () => {
    for (const bad of [1, {}, ['US'], true]) {
      const err = rejection(() => validateDefaultCountry(bad));
      should(err.code).equal('invalid_sender');
      should(err.message).match(/must be a string/);
    }
  });
});

describe('phone/number normalizeSender', () => {
  function rejectsSender(input: unknown, reason: RegExp): void {
    const err = rejection(() => normalizeSender(input));
    should(err.code).equal('invalid_sender');
    should(err.message).match(/^Sender number/);
    should(err.message).match(reason);
  }

  it('returns E.164 for valid senders, normalizing formatting', () => {
    should(normalizeSender('+12025550123')).equal('+12025550123');
    should(normalizeSender(' +1 (202) 555-0123\n')).equal('+12025550123');
    should(normalizeSender('+49 30 1234567')).equal('+49301234567');
  });

  it('requires a leading plus (no default country applies to senders)', () => {
    rejectsSender('2025550123', /E\.164/);
    rejectsSender('(202) 555-0123', /E\.164/);
    rejectsSender('0049301234567', /E\.164/);
  });

  it('rejects invalid, vanity, extension and empty senders', () => {
    rejectsSender('+15551234567', /not a valid/);
    rejectsSender('+1-800-FLOWERS', /letters/);
    rejectsSender('+12025550123 ext. 1', /extension/);
    rejectsSender('', /empty/);
    rejectsSender('+', /no digits/);
  });

  it('rejects non-strings', () => {
    for (const v of [null, undefined, 12025550123, ['+12025550123'], {}]) rejectsSender(v, /must be a string/);
  });
});
