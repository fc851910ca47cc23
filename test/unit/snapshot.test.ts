import should from 'should';
import { snapshotMsg } from '../../src/send/snapshot';
import { toStorable } from '../../src/dispatch/job';

describe('send/snapshot', function () {
  it('leaves out live objects and functions, keeps the rest for the store to copy once', function () {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const msg = { payload: 'hi', to: '+12025550123', n: 7, req: { socket: {} }, res: { end() {} }, socket: {}, fn: () => 1, sms: { metadata: { k: 'v' } }, circular };
    const snap = snapshotMsg(msg);
    Object.keys(snap).sort().should.eql(['circular', 'n', 'payload', 'sms', 'to']);
    // What reaches the disk is a plain JSON copy: the circular reference is dropped, nothing throws.
    should(toStorable(snap)).eql({ payload: 'hi', to: '+12025550123', n: 7, sms: { metadata: { k: 'v' } }, circular: { a: 1 } });
  });
});
