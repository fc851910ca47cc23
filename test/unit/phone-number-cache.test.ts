import should from 'should';
import { readFileSync } from 'fs';
import { getCountries, getExampleNumber, type Examples } from 'libphonenumber-js/max';
import { NORMALIZED_CACHE_LIMIT, clearNormalizedCache, normalizeRecipient, normalizeSender, normalizedCacheSize } from '../../src/phone/number';
import { normalizeOptOutNumber } from '../../src/compliance/opt-out-store';

/** An example mobile number of every region, as the parser's own package ships them. */
const examples = JSON.parse(readFileSync(require.resolve('libphonenumber-js/examples.mobile.json'), 'utf8')) as Examples;

/** The answer of a call as data: the number, or the refusal's code and reason. */
function answer(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code, message: e.message };
  }
}

interface Case {
  input: string;
  country?: string;
}

/** Every region's example mobile number in the notations flows hand in, and broken variants of each. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const c of getCountries()) {
    const ex = getExampleNumber(c, examples);
    if (!ex) continue;
    const national = ex.formatNational();
    const intl = ex.formatInternational();
    for (const input of [national, intl, ex.number, ` ${intl}\n`, intl.replace(/ /g, '-'), national.replace(/\D/g, ''), `00${ex.number.slice(1)}`]) {
      out.push({ input, country: c }, { input });
    }
    // Refusals: too short, too long, an extension, a letter.
    out.push({ input: ex.number.slice(0, 5) }, { input: ex.number + '99999' }, { input: `${intl} ext 12` }, { input: `${national}A`, country: c });
  }
  return out;
}

describe('phone/number: remembered normalizations give the parser answers', () => {
  beforeEach(() => clearNormalizedCache());

  it('answers every example number of every region, in every notation, as a fresh parse does, also when asked again', () => {
    const all = cases();
    should(all.length).be.above(3000);
    // Fresh: each case parsed with nothing remembered.
    const fresh = all.map((c) => {
      clearNormalizedCache();
      return { recipient: answer(() => normalizeRecipient(c.input, c.country)), sender: answer(() => normalizeSender(c.input)) };
    });
    clearNormalizedCache();
    // Twice in a row with the cache filling up: the first call may parse, the second is remembered.
    for (let round = 0; round < 2; round++) {
      all.forEach((c, i) => {
        should(answer(() => normalizeRecipient(c.input, c.country))).eql(fresh[i].recipient, `${round}: ${JSON.stringify(c)}`);
        should(answer(() => normalizeSender(c.input))).eql(fresh[i].sender, `${round}: sender ${JSON.stringify(c)}`);
      });
    }
    should(fresh.filter((f) => 'ok' in (f.recipient as object)).length).be.above(1000);
    should(fresh.filter((f) => 'code' in (f.recipient as object)).length).be.above(1000);
  });

  it('an accepted number is remembered by its E.164 form too, with the answer a fresh parse of that form gives', () => {
    for (const c of cases()) {
      clearNormalizedCache();
      const first = answer(() => normalizeRecipient(c.input, c.country)) as { ok?: { e164: string } };
      if (!first.ok) continue;
      const e164 = first.ok.e164;
      const calls = [() => normalizeRecipient(e164), () => normalizeRecipient(e164, c.country), () => normalizeSender(e164), () => normalizeOptOutNumber(e164)];
      // Right after: answered from what the first call left behind.
      const seeded = calls.map(answer);
      const parsed = calls.map((call) => {
        clearNormalizedCache();
        return answer(call);
      });
      should(seeded).eql(parsed, JSON.stringify(c));
    }
  });

  it('keeps the "+" rule of senders and the default country apart', () => {
    should(normalizeRecipient('202 555 0123', 'US')).eql({ e164: '+12025550123', country: 'US' });
    // The same text as a sender (international format required) is still refused.
    should(() => normalizeSender('202 555 0123')).throw(/international E\.164 format/);
    // And without a default country, as a recipient.
    should(() => normalizeRecipient('202 555 0123')).throw(/not in international format/);
    // Another country reads the same digits as another number (or none).
    should(answer(() => normalizeRecipient('202 555 0123', 'DE'))).not.eql({ ok: { e164: '+12025550123', country: 'US' } });
  });

  it('a refusal is not remembered as a number, and is given with its reason every time', () => {
    for (let i = 0; i < 3; i++) should(() => normalizeRecipient('+1 555 123 4567')).throw(/not a valid number/);
    should(normalizedCacheSize()).equal(0);
  });

  it('hands out copies: changing an answer does not change the next one', () => {
    const a = normalizeRecipient('+12025550123');
    a.e164 = '+19999999999';
    delete a.country;
    should(normalizeRecipient('+12025550123')).eql({ e164: '+12025550123', country: 'US' });
  });

  it(`remembers at most ${NORMALIZED_CACHE_LIMIT} numbers, the newest, and still answers the rest right`, () => {
    const inputs = Array.from({ length: NORMALIZED_CACHE_LIMIT + 2000 }, (_, i) => `+1 202 555 ${String(i % 10000).padStart(4, '0')}`);
    for (const input of inputs) normalizeRecipient(input);
    should(normalizedCacheSize()).equal(NORMALIZED_CACHE_LIMIT);
    // The oldest was let go, and is parsed again with the same answer.
    should(normalizeRecipient(inputs[0])).eql({ e164: '+12025550000', country: 'US' });
    should(normalizeRecipient(inputs[inputs.length - 1])).eql({ e164: `+1202555${String((inputs.length - 1) % 10000).padStart(4, '0')}`, country: 'US' });
    should(normalizedCacheSize()).equal(NORMALIZED_CACHE_LIMIT);
  });
});
