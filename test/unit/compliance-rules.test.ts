import assert from 'node:assert';
import { parseOptKeyword } from '../../src/compliance/stop-words';
import { SendingWindow, parseTimeOfDay, validateTimeZone } from '../../src/compliance/quiet-hours';
import { checkContent, compilePatterns, transliterate, type ContentRules } from '../../src/compliance/content-rules';
import { CompliancePolicy, withDispatchRefusal } from '../../src/compliance/policy';
import { countSegments } from '../../src/phone/segments';
import { SmsError } from '../../src/util/errors';

const iso = (s: string) => Date.parse(s);
const at = (t: number) => new Date(t).toISOString();

describe('compliance: stop words', () => {
  it('recognizes the whole message as a keyword, in any case, with decoration', () => {
    for (const t of ['STOP', 'stop', ' Stop! ', 'STOP.', '"stop"', 'StopAll', 'unsubscribe', 'Cancel', 'end', 'QUIT', '\u200bSTOP\n', 'ＳＴＯＰ']) {
      assert.strictEqual(parseOptKeyword(t)?.action, 'opt-out', t);
    }
    assert.deepStrictEqual(parseOptKeyword(' start '), { action: 'opt-in', keyword: 'START' });
    assert.strictEqual(parseOptKeyword('Unstop!')?.action, 'opt-in');
  });
  it('ignores keywords inside sentences and non-strings', () => {
    for (const t of ["please don't stop", 'STOP 2', 'stopp', 'STOP STOP', '', 'x'.repeat(100) + 'STOP', null, 42, { text: 'STOP' }]) {
      assert.strictEqual(parseOptKeyword(t), null, String(t));
    }
  });
});

describe('compliance: quiet hours window', () => {
  const chicago = new SendingWindow({ start: '08:00', end: '21:00', timeZone: 'America/Chicago' });

  it('parses times and zones, refusing bad ones', () => {
    assert.strictEqual(parseTimeOfDay('8:05', 'start'), 485);
    assert.strictEqual(parseTimeOfDay('24:00', 'end'), 1440);
    for (const bad of ['25:00', '12:60', 'noon', '', '24:01']) assert.throws(() => parseTimeOfDay(bad, 'start'), SmsError);
    assert.throws(() => validateTimeZone('Mars/Olympus'), /IANA/);
    assert.strictEqual(validateTimeZone(' Europe/Berlin '), 'Europe/Berlin');
  });

  it('is open inside the window in local time (CST in winter)', () => {
    assert.strictEqual(chicago.isOpen(iso('2024-01-15T14:00:00Z')), true); // 08:00 CST
    assert.strictEqual(chicago.isOpen(iso('2024-01-15T13:59:59Z')), false); // 07:59:59
    assert.strictEqual(chicago.isOpen(iso('2024-01-16T02:59:00Z')), true); // 20:59
    assert.strictEqual(chicago.isOpen(iso('2024-01-16T03:00:00Z')), false); // 21:00 end is exclusive
  });

  it('finds the next opening: later today, or tomorrow after the end', () => {
    assert.strictEqual(at(chicago.nextOpening(iso('2024-01-15T10:17:31Z'))), '2024-01-15T14:00:00.000Z');
    assert.strictEqual(at(chicago.nextOpening(iso('2024-01-16T03:30:00Z'))), '2024-01-16T14:00:00.000Z');
    const open = iso('2024-01-15T15:00:00Z');
    assert.strictEqual(chicago.nextOpening(open), open);
  });

  it('handles the spring-forward day in America/Chicago (08:00 CDT = 13:00Z)', () => {
    // 2024-03-10: clocks jump 02:00 -> 03:00. At 01:30 CST (07:30Z) the window opens at 08:00 CDT.
    assert.strictEqual(at(chicago.nextOpening(iso('2024-03-10T07:30:00Z'))), '2024-03-10T13:00:00.000Z');
    // A window opening inside the gap (02:30) opens when the gap ends: 03:00 CDT = 08:00Z.
    const gap = new SendingWindow({ start: '02:30', end: '05:00', timeZone: 'America/Chicago' });
    assert.strictEqual(at(gap.nextOpening(iso('2024-03-10T07:00:00Z'))), '2024-03-10T08:00:00.000Z');
  });

  it('handles the fall-back day in America/Chicago (the first 01:30 counts)', () => {
    // 2024-11-03: 02:00 CDT -> 01:00 CST; 01:30 happens at 06:30Z and again at 07:30Z.
    const w = new SendingWindow({ start: '01:30', end: '03:00', timeZone: 'America/Chicago' });
    assert.strictEqual(at(w.nextOpening(iso('2024-11-03T05:00:00Z'))), '2024-11-03T06:30:00.000Z');
    assert.strictEqual(w.isOpen(iso('2024-11-03T07:10:00Z')), false); // 01:10 CST, the repeated hour before 01:30
    assert.strictEqual(at(chicago.nextOpening(iso('2024-11-03T05:00:00Z'))), '2024-11-03T14:00:00.000Z'); // 08:00 CST
  });

  it('handles DST days in Europe/Berlin', () => {
    const berlin = new SendingWindow({ start: '08:00', end: '20:00', timeZone: 'Europe/Berlin' });
    // 2024-03-31: 02:00 CET -> 03:00 CEST; 08:00 CEST = 06:00Z.
    assert.strictEqual(at(berlin.nextOpening(iso('2024-03-31T00:30:00Z'))), '2024-03-31T06:00:00.000Z');
    // 2024-10-27: back to CET; 08:00 CET = 07:00Z.
    assert.strictEqual(at(berlin.nextOpening(iso('2024-10-27T00:30:00Z'))), '2024-10-27T07:00:00.000Z');
    assert.strictEqual(berlin.isOpen(iso('2024-10-27T06:30:00Z')), false); // 07:30 CET
  });

  it('supports windows crossing midnight', () => {
    const night = new SendingWindow({ start: '22:00', end: '06:00', timeZone: 'Europe/Berlin' });
    assert.strictEqual(night.isOpen(iso('2024-01-15T22:30:00Z')), true); // 23:30
    assert.strictEqual(night.isOpen(iso('2024-01-16T04:59:00Z')), true); // 05:59
    assert.strictEqual(night.isOpen(iso('2024-01-16T05:00:00Z')), false); // 06:00
    assert.strictEqual(at(night.nextOpening(iso('2024-01-16T12:00:00Z'))), '2024-01-16T21:00:00.000Z');
  });

  it('treats start == end as always open, and finds short windows', () => {
    assert.strictEqual(new SendingWindow({ start: '09:00', end: '09:00', timeZone: 'UTC' }).isOpen(iso('2024-01-01T03:00:00Z')), true);
    const short = new SendingWindow({ start: '12:02', end: '12:03', timeZone: 'UTC' });
    assert.strictEqual(at(short.nextOpening(iso('2024-01-01T11:00:00Z'))), '2024-01-01T12:02:00.000Z');
  });
});

describe('compliance: content rules', () => {
  const base: ContentRules = { maxSegments: 0, footer: '', footerMode: 'off', blockShorteners: false, patterns: [], ucs2Mode: 'allow' };

  it('transliterates typographic characters to GSM-7', () => {
    const t = transliterate('It\u2019s \u201Cgreat\u201D \u2014 see\u00A0you\u2026');
    assert.strictEqual(t.text, 'It\'s "great" - see you...');
    assert.strictEqual(countSegments(t.text).encoding, 'GSM-7');
    const c = checkContent('Don\u2019t miss it', { ...base, ucs2Mode: 'transliterate' });
    assert.strictEqual(c.text, "Don't miss it");
    assert.strictEqual(c.segments.encoding, 'GSM-7');
    assert.deepStrictEqual(c.rules[0].result, 'changed');
  });

  it('warns or rejects when one character forces UCS-2', () => {
    const warn = checkContent('Don\u2019t', { ...base, ucs2Mode: 'warn' });
    assert.strictEqual(warn.error, undefined);
    assert.deepStrictEqual(
      warn.rules.map((r) => r.result),
      ['warned'],
    );
    const reject = checkContent('Don\u2019t', { ...base, ucs2Mode: 'reject' });
    assert.strictEqual(reject.error?.code, 'content_blocked');
    assert.match(reject.rules[0].detail ?? '', /U\+2019/);
    assert.strictEqual(checkContent('plain', { ...base, ucs2Mode: 'reject' }).error, undefined);
  });

  it('appends or requires the opt-out footer', () => {
    const a = checkContent('Your code is 1234', { ...base, footerMode: 'append' });
    assert.strictEqual(a.text, 'Your code is 1234\nReply STOP to opt out');
    assert.strictEqual(checkContent('Hi. reply  stop to OPT OUT', { ...base, footerMode: 'append' }).text, 'Hi. reply  stop to OPT OUT');
    const r = checkContent('Hello', { ...base, footerMode: 'require', footer: 'Txt STOP to end' });
    assert.strictEqual(r.error?.code, 'missing_opt_out_text');
    assert.strictEqual(checkContent('Hello. Txt STOP to end', { ...base, footerMode: 'require', footer: 'Txt STOP to end' }).error, undefined);
  });

  it('blocks public URL shorteners but not look-alike domains', () => {
    for (const t of ['see https://bit.ly/abc', 'go to bit.ly/x', 'TINYURL.COM/y now', 'http://www.t.co/z', '(cutt.ly/q)']) {
      assert.strictEqual(checkContent(t, { ...base, blockShorteners: true }).error?.code, 'content_blocked', t);
    }
    for (const t of ['habit.ly is fine', 'visit t.com', 'https://example.com/bit.ly', 'at.co.uk', 'rabbit.ly']) {
      assert.strictEqual(checkContent(t, { ...base, blockShorteners: true }).error, undefined, t);
    }
  });

  it('blocks user patterns, validated at config time', () => {
    const patterns = compilePatterns('# comment\n\\bfree money\\b\n\nwin\\s+a\\s+prize');
    assert.strictEqual(patterns.length, 2);
    assert.strictEqual(checkContent('Get FREE MONEY now', { ...base, patterns }).error?.code, 'content_blocked');
    assert.strictEqual(checkContent('freedom money', { ...base, patterns }).error, undefined);
    assert.throws(() => compilePatterns('ok\n(unclosed'), /line 2/);
    assert.throws(() => compilePatterns('x'.repeat(201)), /longer than/);
    assert.throws(() => compilePatterns('(a)\\1'), /backreference/);
    assert.throws(() => compilePatterns(Array.from({ length: 51 }, (_, i) => `p${i}`).join('\n')), /At most/);
  });

  it('limits segments, counting the appended footer', () => {
    const text = 'x'.repeat(150);
    assert.strictEqual(checkContent(text, { ...base, maxSegments: 1 }).error, undefined);
    const c = checkContent(text, { ...base, maxSegments: 1, footerMode: 'append' });
    assert.strictEqual(c.error?.code, 'too_many_segments');
    assert.deepStrictEqual(
      c.rules.map((r) => [r.rule, r.result]),
      [
        ['opt-out-footer', 'changed'],
        ['max-segments', 'fired'],
      ],
    );
  });
});

describe('compliance: policy and audit record', () => {
  const list = (numbers: string[]) => ({ isOptedOut: (n: string) => numbers.includes(n) });
  const noon = iso('2024-01-15T18:00:00Z'); // 12:00 in Chicago
  const night = iso('2024-01-16T05:00:00Z'); // 23:00 in Chicago

  it('with defaults only checks the opt-out list and leaves the text alone', () => {
    const p = new CompliancePolicy({});
    const ok = p.checkSubmission({ to: '+12025550123', text: 'Don\u2019t' }, list([]), noon);
    assert.deepStrictEqual(ok.record, { rules: [{ rule: 'opt-out', result: 'pass' }] });
    assert.strictEqual(ok.text, 'Don\u2019t');
    const no = p.checkSubmission({ to: '+12025550123', text: 'hi' }, list(['+12025550123']), noon);
    assert.strictEqual(no.error?.code, 'opted_out');
    assert.strictEqual(no.record.blocked, 'opted_out');
    assert.strictEqual(new CompliancePolicy({ optOutCheck: false }).checkSubmission({ to: '+12025550123', text: 'hi' }, list(['+12025550123']), noon).error, undefined);
  });

  it('holds or fails outside quiet hours, at submission and at dispatch', () => {
    const hold = new CompliancePolicy({ quietHours: true, timeZone: 'America/Chicago' });
    const h = hold.checkSubmission({ to: '+12025550123', text: 'hi' }, null, night);
    assert.strictEqual(h.error, undefined);
    assert.strictEqual(h.record.heldUntil, '2024-01-16T14:00:00.000Z');
    assert.deepStrictEqual(hold.checkDispatch('+12025550123', null, night), { holdUntil: iso('2024-01-16T14:00:00Z') });
    assert.deepStrictEqual(hold.checkDispatch('+12025550123', null, noon), { ok: true });

    const fail = new CompliancePolicy({ quietHours: true, timeZone: 'America/Chicago', quietAction: 'fail' });
    assert.strictEqual(fail.checkSubmission({ to: '+12025550123', text: 'hi' }, null, night).error?.code, 'quiet_hours');
    const d = fail.checkDispatch('+12025550123', null, night);
    assert.ok('fail' in d && d.fail.code === 'quiet_hours');
    // Opt-outs win over quiet hours: never hold a message that must never go.
    const o = hold.checkDispatch('+12025550123', list(['+12025550123']), night);
    assert.ok('fail' in o && o.fail.code === 'opted_out');
  });

  it('refuses invalid configuration when built', () => {
    assert.throws(() => new CompliancePolicy({ quietHours: true, timeZone: 'Nowhere/Land' }), SmsError);
    assert.throws(() => new CompliancePolicy({ blockedPatterns: '[' }), SmsError);
    // Disabled quiet hours are not validated: a half-filled form must not break sending.
    assert.doesNotThrow(() => new CompliancePolicy({ quietHours: false, timeZone: 'Nowhere/Land' }));
  });

  it('records a refusal made at dispatch time', () => {
    const r = withDispatchRefusal({ rules: [{ rule: 'opt-out', result: 'pass' }], heldUntil: 'x' }, new SmsError('opted_out', 'gone'));
    assert.deepStrictEqual(r, {
      rules: [
        { rule: 'opt-out', result: 'pass' },
        { rule: 'opt-out (dispatch)', result: 'fired', detail: 'gone' },
      ],
      blocked: 'opted_out',
    });
  });
});
