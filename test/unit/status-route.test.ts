import should from 'should';
import { parseMessageId } from '../../src/status/message-id';
import { OUTPUT, describeReasons, routeError, routeOutcome, routeStatus } from '../../src/status/route';
import { SmsError } from '../../src/util/errors';
import type { StatusResult } from '../../src/providers/types';

const fromSend = { id: 'm1', conversationId: 'c1', to: '+12025550123', from: '+12025550100', status: 'queued', providerStatus: 'queued', provider: 'sandbox', segments: 1, metadata: { crm: 7 } };
const read = (status: StatusResult['status'], providerStatus: string, extra: Partial<StatusResult> = {}): StatusResult => ({
  id: 'm1',
  conversationId: 'c1',
  status,
  providerStatus,
  final: status !== 'queued' && status !== 'sent',
  ...extra,
});

describe('status: routing a read', () => {
  it('sends delivered and read to output 1, keeping what send-sms put on msg.sms', () => {
    for (const [s, ps] of [
      ['delivered', 'delivery-success'],
      ['read', 'read'],
    ] as const) {
      const r = routeStatus(fromSend, read(s, ps), 'sandbox');
      should(r.output).equal(OUTPUT.delivered);
      should(r.error).be.undefined();
      should(r.sms).containDeep({ ...fromSend, status: s, providerStatus: ps });
    }
  });

  it('sends a failed delivery to output 2 with delivery_failed and the reasons', () => {
    const reasons = [{ status: 'Failed', reasons: [{ code: 'carrier_rejected', message: 'The carrier rejected the message' }] }];
    const r = routeStatus(fromSend, read('failed', 'delivery-failed', { reasons }), 'genesys-cloud');
    should(r.output).equal(OUTPUT.failed);
    should(r.sms).containDeep({ status: 'failed', providerStatus: 'delivery-failed', reasons, metadata: { crm: 7 } });
    should(r.error).containDeep({ code: 'delivery_failed', retryable: false, provider: 'genesys-cloud', details: { providerStatus: 'delivery-failed', reasons } });
    should(r.error!.message).containEql('carrier_rejected: The carrier rejected the message');
  });

  it('sends queued and sent to output 3', () => {
    should(routeStatus(fromSend, read('sent', 'sent'), 'sandbox').output).equal(OUTPUT.pending);
    should(routeStatus({}, read('queued', 'queued'), 'sandbox').output).equal(OUTPUT.pending);
  });

  it('leaves the delivery status alone when the read itself failed', () => {
    const r = routeError(fromSend, new SmsError('not_found', 'no such message', { httpStatus: 404 }));
    should(r.output).equal(OUTPUT.failed);
    should(r.sms.status).equal('queued');
    should(r.error).containDeep({ code: 'not_found', httpStatus: 404 });
  });

  it('maps wait outcomes: timeout to output 3 with the last status, closed to nothing', () => {
    const t = routeOutcome(fromSend, { kind: 'timeout', last: read('sent', 'sent'), polls: 4 }, 'sandbox')!;
    should(t.output).equal(OUTPUT.pending);
    should(t.sms).containDeep({ status: 'sent', polls: 4 });
    should(t.error).be.undefined();
    const f = routeOutcome(fromSend, { kind: 'final', status: read('delivered', 'delivery-success'), polls: 2 }, 'sandbox')!;
    should(f.output).equal(OUTPUT.delivered);
    should(routeOutcome(fromSend, { kind: 'closed', polls: 1 }, 'sandbox')).be.undefined();
    const e = routeOutcome(fromSend, { kind: 'timeout', error: new SmsError('rate_limited', 'wait', { retryable: true }), polls: 3 }, 'sandbox')!;
    should(e.output).equal(OUTPUT.pending);
    should(e.error!.code).equal('rate_limited');
  });

  it('describes receipts of odd shapes without throwing', () => {
    should(describeReasons(undefined)).be.undefined();
    should(describeReasons([null, 3, 'x', { reasons: 'no' }])).be.undefined();
    should(describeReasons([{ code: 'x1' }, { reasons: [{ message: 'why' }] }])).equal('x1; why');
  });
});

describe('status: parseMessageId', () => {
  it('accepts UUIDs, opaque tokens and safe integers', () => {
    should(parseMessageId('0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0')).equal('0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0');
    should(parseMessageId('  abc_DEF.1:2 ')).equal('abc_DEF.1:2');
    should(parseMessageId(12345)).equal('12345');
  });

  const bad: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['an object', { id: 'x' }],
    ['an array', ['x']],
    ['a boolean', true],
    ['a fraction', 1.5],
    ['a negative number', -1],
    ['NaN', NaN],
    ['an empty string', ''],
    ['spaces', '   '],
    ['a path', '../../oauth/token'],
    ['a query', 'abc?x=1'],
    ['an encoded slash', 'a%2Fb'],
    ['inner whitespace', 'a b'],
    ['a control character', 'a\u0000b'],
    ['201 characters', 'a'.repeat(201)],
  ];
  for (const [what, v] of bad) {
    it(`refuses ${what} with invalid_message_id`, () => {
      should(() => parseMessageId(v)).throw(SmsError, { code: 'invalid_message_id' });
    });
  }
});
