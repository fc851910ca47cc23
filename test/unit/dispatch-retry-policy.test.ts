import should from 'should';
import { backoffMs, classify, countsForBreaker } from '../../src/dispatch/retry-policy';
import { SmsError } from '../../src/util/errors';
import { httpError } from '../helpers/dispatch-fakes';

const opts = { resendAmbiguous: false, retryAfterCapMs: 180_000 };

describe('dispatch: retry policy', () => {
  it('full jitter stays within [0, min(cap, base * 2^(n-1)))', () => {
    const b = { baseMs: 1000, capMs: 60_000 };
    should(backoffMs(1, b, () => 0.999)).equal(999);
    should(backoffMs(3, b, () => 0.5)).equal(2000);
    should(backoffMs(10, b, () => 0.999)).equal(59_940);
    should(backoffMs(200, b, () => 0.999)).equal(59_940);
    should(backoffMs(4, b, () => 0)).equal(0);
  });

  it('retries 502/503/504 and connection errors before sending; fails other 4xx at once', () => {
    for (const s of [502, 503, 504]) should(classify(httpError(s), opts)).equal('retry');
    should(classify(new SmsError('network_error', 'ECONNREFUSED', { sent: 'no' }), opts)).equal('retry');
    for (const s of [400, 401, 403, 404, 409, 413, 422, 500]) should(classify(httpError(s), opts)).equal('fail');
    should(classify(new SmsError('invalid_number', 'bad'), opts)).equal('fail');
  });

  it('a 504 after the request was sent is ambiguous, not retried; 502/503 stay retryable', () => {
    const e = new SmsError('ambiguous_send', 'gateway timeout', { httpStatus: 504, sent: 'maybe' });
    should(classify(e, opts)).equal('ambiguous');
    should(classify(e, { ...opts, resendAmbiguous: true })).equal('retry');
    for (const s of [502, 503]) should(classify(httpError(s), opts)).equal('retry');
  });

  it('an ambiguous send is not resent unless resend is on', () => {
    const e = new SmsError('timeout', 'socket timeout', { sent: 'maybe' });
    should(classify(e, opts)).equal('ambiguous');
    should(classify(e, { ...opts, resendAmbiguous: true })).equal('retry');
  });

  it('429 waits for the pause within the cap and fails beyond it', () => {
    should(classify(httpError(429, { retryAfterMs: 30_000 }), opts)).equal('rate_limited');
    should(classify(httpError(429), opts)).equal('rate_limited');
    should(classify(httpError(429, { retryAfterMs: 180_001 }), opts)).equal('fail');
  });

  it('429s and validation errors never count toward the breaker', () => {
    should(countsForBreaker(httpError(429))).be.false();
    should(countsForBreaker(httpError(400))).be.false();
    should(countsForBreaker(new SmsError('invalid_number', 'x'))).be.false();
    should(countsForBreaker(httpError(503))).be.true();
    should(countsForBreaker(httpError(401))).be.true();
    should(countsForBreaker(new SmsError('network_error', 'x'))).be.true();
  });
});
