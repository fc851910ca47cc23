import assert from 'node:assert';
import { normalizeEvent, normalizeStatus } from '../../src/webhook/normalize';

describe('webhook payload normalization', () => {
  it('maps provider statuses to the five normalized ones', () => {
    assert.strictEqual(normalizeStatus('delivery-success'), 'delivered');
    assert.strictEqual(normalizeStatus('delivery-failed'), 'failed');
    assert.strictEqual(normalizeStatus('failed'), 'failed');
    assert.strictEqual(normalizeStatus('Read'), 'read');
    assert.strictEqual(normalizeStatus('queued'), 'queued');
    assert.strictEqual(normalizeStatus('sent'), 'sent');
    assert.strictEqual(normalizeStatus('received'), undefined);
    assert.strictEqual(normalizeStatus(3), undefined);
  });

  it('understands the sandbox event exactly as it posts it', () => {
    const r = normalizeEvent({
      type: 'message.status',
      id: 'evt_9',
      data: {
        id: 'msg_1',
        conversationId: 'conv_1',
        to: '+12025550123',
        from: '+12025550100',
        status: 'delivery-failed',
        normalizedReceipts: [{ status: 'Failed', reasons: [{ code: 'InvalidDestination', message: 'number not reachable' }] }],
        timestamp: '2024-01-01T00:00:00.000Z',
      },
    });
    assert.ok(r.ok);
    assert.strictEqual(r.eventId, 'evt_9');
    assert.deepStrictEqual(r.updates[0], {
      id: 'msg_1',
      conversationId: 'conv_1',
      to: '+12025550123',
      from: '+12025550100',
      status: 'failed',
      providerStatus: 'delivery-failed',
      provider: 'sandbox',
      timestamp: '2024-01-01T00:00:00.000Z',
      receipts: [{ status: 'Failed', reasons: [{ code: 'InvalidDestination', message: 'number not reachable' }] }],
      error: { code: 'InvalidDestination', message: 'number not reachable' },
    });
  });

  it('refuses other sandbox event types and unknown statuses with a reason', () => {
    assert.deepStrictEqual(normalizeEvent({ type: 'message.typing', id: 'e', data: {} }), {
      ok: false,
      reason: 'unsupported_event_type',
      eventId: 'e',
    });
    assert.strictEqual((normalizeEvent({ type: 'message.status', id: 'e', data: { id: 'm', status: 'teleported' } }) as { reason: string }).reason, 'unknown_status');
    assert.strictEqual((normalizeEvent({ type: 'message.status', id: 'e', data: { status: 'sent' } }) as { reason: string }).reason, 'missing_message_id');
  });

  it('understands the flat delivery-status shape of the agentless guide', () => {
    const r = normalizeEvent({
      id: 'msg-7a3b',
      type: 'sms',
      from: '+12025550100',
      to: '+12025550123',
      conversationId: 'conv-8f4e',
      status: 'failed',
      timestamp: '2023-10-27T14:32:15Z',
      deliveryStatus: 'failed',
      errorCode: 'carrier_rejected',
      metadata: { campaignId: 'appt-reminder-q3' },
    });
    assert.ok(r.ok);
    assert.deepStrictEqual(r.updates[0], {
      id: 'msg-7a3b',
      conversationId: 'conv-8f4e',
      to: '+12025550123',
      from: '+12025550100',
      status: 'failed',
      providerStatus: 'failed',
      provider: 'genesys-cloud',
      timestamp: '2023-10-27T14:32:15Z',
      error: { code: 'carrier_rejected' },
      metadata: { campaignId: 'appt-reminder-q3' },
    });
  });

  it('reads Genesys conversation message events, skipping inbound messages', () => {
    const eventBody = {
      id: 'conv-1',
      participants: [
        {
          purpose: 'customer',
          messages: [{ messageId: 'in-1', messageStatus: 'received' }],
        },
        {
          purpose: 'agent',
          toAddress: { addressNormalized: '+12025550123' },
          fromAddress: { addressNormalized: '+12025550100' },
          messages: [
            { messageId: 'out-1', messageStatus: 'delivery-success', messageTime: '2024-01-01T00:00:01Z', messageSegmentCount: 2 },
            { messageId: 'out-2', messageStatus: 'delivery-failed', errorInfo: { code: 'error.1', message: 'blocked' } },
          ],
        },
      ],
    };
    for (const body of [
      { topicName: 'v2.users.u1.conversations.messages', eventBody },
      { id: 'eb-1', 'detail-type': 'v2.routing.queues.q1.conversations.messages', detail: { topicName: 'v2.routing.queues.q1.conversations.messages', eventBody } },
      eventBody,
    ]) {
      const r = normalizeEvent(body);
      assert.ok(r.ok);
      assert.deepStrictEqual(
        r.updates.map((u) => [u.id, u.status, u.providerStatus, u.conversationId, u.to, u.error?.code, u.segments]),
        [
          ['out-1', 'delivered', 'delivery-success', 'conv-1', '+12025550123', undefined, 2],
          ['out-2', 'failed', 'delivery-failed', 'conv-1', '+12025550123', 'error.1', undefined],
        ],
      );
    }
    assert.strictEqual((normalizeEvent({ id: 'eb-1', detail: { eventBody } }) as { eventId?: string }).eventId, 'eb-1');
    // No topic of that name exists (notificationMappings.json of the platform SDK): not message news.
    assert.deepStrictEqual(normalizeEvent({ topicName: 'v2.conversations.messages', eventBody }), { ok: false, reason: 'unsupported_topic', eventId: undefined });
    assert.deepStrictEqual(normalizeEvent({ eventBody: { id: 'c', participants: [] } }), { ok: false, reason: 'no_message_status', eventId: undefined });
  });

  it('refuses what it does not understand', () => {
    for (const body of [null, [], 'x', 42, { hello: 'world' }]) {
      assert.strictEqual(normalizeEvent(body).ok, false);
    }
  });
});
