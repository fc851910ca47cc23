import should from 'should';
import { errorForStatus, trimSlash } from '../../src/providers/http-client';
import { readBody } from '../../src/providers/body';
import { SmsError, ERROR_CODES, PER_MESSAGE_CODES, codesOf } from '../../src/util/errors';

describe('provider HTTP layer: one status ladder, one body reader', function () {
  const parts = { provider: 'avaamo' as const, text: 'Avaamo: no', hints: { 401: 'check the token', 404: 'check the channel' } };

  it('maps each status to one stable code, retryable only for 502/503/504', function () {
    const code = (s: number) => errorForStatus(s, parts);
    code(400).code.should.equal('provider_rejected');
    code(401).message.should.equal('Avaamo: no (check the token)');
    code(403).code.should.equal('forbidden');
    code(404).message.should.equal('Avaamo: no (check the channel)');
    code(413).code.should.equal('payload_too_large');
    for (const s of [502, 503, 504]) code(s).retryable.should.equal(true);
    code(500).retryable.should.equal(false);
    code(500).code.should.equal('provider_unavailable');
    code(409).code.should.equal('provider_rejected');
    errorForStatus(400, { ...parts, code: 'invalid_number' }).code.should.equal('invalid_number');
    // A 504 to a POST: the platform may have taken it (a status read or a token request is retried as before).
    errorForStatus(504, { ...parts, method: 'POST' }).should.containDeep({ code: 'ambiguous_send', retryable: false, sent: 'maybe', httpStatus: 504 });
    errorForStatus(504, { ...parts, method: 'GET' }).should.containDeep({ code: 'provider_unavailable', retryable: true, sent: 'no' });
    trimSlash('https://x.example//').should.equal('https://x.example');
  });

  it('reads only fields of the type asked for', function () {
    const b = readBody({ id: 7, name: 'x', empty: '', list: [{ a: 1 }, 'no', [2]], obj: { message: 'inner' } });
    should(b.string('id')).be.undefined();
    should(b.text('empty')).be.undefined();
    b.string('empty')!.should.equal('');
    b.objects('list').should.have.length(1);
    b.object('obj').string('message')!.should.equal('inner');
    should(readBody('text').pick(['id'])).be.undefined();
    should(readBody([1]).string('length')).be.undefined();
  });

  it('an error survives its own JSON round trip', function () {
    const e = new SmsError('rate_limited', 'slow down', { httpStatus: 429, retryable: true, provider: 'genesys-cloud', retryAfterMs: 2000, sent: 'no', details: { a: 1 } });
    const back = SmsError.fromJSON(JSON.parse(JSON.stringify(e)));
    back.should.be.instanceOf(SmsError);
    back.toJSON().should.eql(e.toJSON());
  });

  it('derives the code groups from the one table', function () {
    codesOf('compliance').has('opted_out').should.equal(true);
    PER_MESSAGE_CODES.has('invalid_number').should.equal(true);
    PER_MESSAGE_CODES.has('provider_unavailable').should.equal(false);
    new Set(ERROR_CODES).size.should.equal(ERROR_CODES.length);
  });
});
