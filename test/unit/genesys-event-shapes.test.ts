/**
 * Contract tests: every event shape the receiver promises to understand, with fixtures built from the
 * platform SDK's models (test/helpers/genesys-event-fixtures.ts says where each field comes from), and the
 * documented rules for what it does not understand.
 */
import assert from 'node:assert';
import { normalizeEvent } from '../../src/webhook/normalize';
import {
  CONVERSATION_ID,
  CUSTOMER,
  ERROR_DETAILS,
  FAILED_RECEIPTS,
  OUR_NUMBER,
  QUEUE_ID,
  SEED_002_FLAT,
  conversation,
  eventBridge,
  inboundMessageData,
  messageData,
  messageDetails,
  topicFrame,
} from '../helpers/genesys-event-fixtures';

function ok(r: ReturnType<typeof normalizeEvent>) {
  assert.ok(r.ok, `expected a usable event, got ${JSON.stringify(r)}`);
  return r;
}

describe('Genesys event shapes (contract)', function () {
  const body = conversation([messageDetails('m-1', 'delivery-success'), messageDetails('m-2', 'delivery-failed', { errorInfo: ERROR_DETAILS }), messageDetails('m-3', 'sent')]);

  it('websocket frame {topicName, version, eventBody, metadata}: message.id, messageStatus, messageTime, errorInfo; several messages in one participant', function () {
    const r = ok(normalizeEvent(topicFrame(body)));
    assert.strictEqual(r.eventId, 'corr-1');
    assert.strictEqual(r.topicName, `v2.routing.queues.${QUEUE_ID}.conversations.messages`);
    assert.deepStrictEqual(
      r.updates.map((u) => [u.id, u.status, u.providerStatus, u.conversationId, u.to, u.from, u.timestamp, u.segments]),
      [
        ['m-1', 'delivered', 'delivery-success', CONVERSATION_ID, CUSTOMER, OUR_NUMBER, '2024-05-01T10:00:00.000Z', 1],
        ['m-2', 'failed', 'delivery-failed', CONVERSATION_ID, CUSTOMER, OUR_NUMBER, '2024-05-01T10:00:00.000Z', 1],
        ['m-3', 'sent', 'sent', CONVERSATION_ID, CUSTOMER, OUR_NUMBER, '2024-05-01T10:00:00.000Z', 1],
      ],
    );
    // The platform's own words for the failure: messageWithParams, else message.
    assert.deepStrictEqual(r.updates[1].error, { code: 'message.delivery.failed', message: ERROR_DETAILS.messageWithParams });
  });

  it('the user topic v2.users.{id}.conversations.messages carries the same model', function () {
    const r = ok(normalizeEvent(topicFrame(body, 'v2.users.u-1.conversations.messages')));
    assert.strictEqual(r.updates.length, 3);
  });

  it('EventBridge: the frame under detail, the EventBridge id names the event', function () {
    const r = ok(normalizeEvent(eventBridge(topicFrame(body))));
    assert.strictEqual(r.eventId, 'eb-6a7e1c2d');
    assert.deepStrictEqual(
      r.updates.map((u) => u.id),
      ['m-1', 'm-2', 'm-3'],
    );
  });

  it('one message listed under two participants is reported once, at its furthest status', function () {
    const twice = conversation([messageDetails('m-1', 'sent')], [messageDetails('m-1', 'delivery-success')]);
    const r = ok(normalizeEvent(topicFrame(twice)));
    assert.deepStrictEqual(
      r.updates.map((u) => [u.id, u.status]),
      [['m-1', 'delivered']],
    );
  });

  it('replies appear as received entries of the customer: listed by id for reading, never as a status', function () {
    const r = ok(normalizeEvent(topicFrame(conversation([messageDetails('m-1', 'delivery-success')], [messageDetails('in-1', 'received')]))));
    assert.deepStrictEqual(
      r.updates.map((u) => u.id),
      ['m-1'],
    );
    assert.deepStrictEqual(r.received, [{ id: 'in-1', conversationId: CONVERSATION_ID }]);
    const only = ok(normalizeEvent(topicFrame(conversation([], [messageDetails('in-2', 'received')]))));
    assert.deepStrictEqual(only.updates, []);
    assert.deepStrictEqual(only.received, [{ id: 'in-2', conversationId: CONVERSATION_ID }]);
  });

  it('MessageData forwarded by a data action: status, and the failure reason from normalizedReceipts[].reasons', function () {
    const delivered = ok(normalizeEvent(messageData('delivery-success')));
    assert.deepStrictEqual(
      delivered.updates.map((u) => [u.id, u.status, u.to, u.from, u.conversationId]),
      [['msg-out-1', 'delivered', CUSTOMER, OUR_NUMBER, CONVERSATION_ID]],
    );
    const failed = ok(normalizeEvent(messageData('delivery-failed', { normalizedReceipts: FAILED_RECEIPTS })));
    assert.strictEqual(failed.updates[0].status, 'failed');
    assert.deepStrictEqual(failed.updates[0].error, { code: 'RecipientOptedOut', message: 'The recipient opted out of messages from this number' });
    assert.deepStrictEqual(failed.updates[0].receipts, FAILED_RECEIPTS);
    // The same inside a frame, and inside EventBridge.
    assert.strictEqual(ok(normalizeEvent(eventBridge(topicFrame(messageData('failed', { normalizedReceipts: FAILED_RECEIPTS }))))).updates[0].error?.code, 'RecipientOptedOut');
  });

  it('MessageData with direction inbound is a reply (bare, as eventBody, under detail)', function () {
    const reply = inboundMessageData('C');
    for (const shape of [reply, { eventBody: reply }, eventBridge(topicFrame(reply))]) {
      const r = ok(normalizeEvent(shape));
      assert.deepStrictEqual(r.updates, []);
      assert.deepStrictEqual(r.inbound, [
        { id: 'msg-in-1', conversationId: CONVERSATION_ID, from: CUSTOMER, to: OUR_NUMBER, text: 'C', provider: 'genesys-cloud', timestamp: '2024-05-01T10:05:00.000Z' },
      ]);
    }
  });

  it('keeps the seed 002 flat shape and the sandbox events', function () {
    const flat = ok(normalizeEvent(SEED_002_FLAT));
    assert.deepStrictEqual(
      flat.updates.map((u) => [u.id, u.status, u.conversationId, u.metadata]),
      [[SEED_002_FLAT.id, 'delivered', SEED_002_FLAT.conversationId, SEED_002_FLAT.metadata]],
    );
    const sandbox = ok(normalizeEvent({ type: 'message.status', id: 'evt_1', data: { id: 'm', status: 'delivery-success' } }));
    assert.strictEqual(sandbox.updates[0].status, 'delivered');
    const inbound = ok(normalizeEvent({ type: 'message.inbound', id: 'evt_2', data: { id: 'i', conversationId: 'c', from: CUSTOMER, to: OUR_NUMBER, text: 'STOP' } }));
    assert.strictEqual(inbound.inbound?.[0].text, 'STOP');
  });

  describe('bad input (documented rules)', function () {
    it('a topic other than the message topics is unsupported_topic', function () {
      for (const topicName of ['v2.users.u-1.presence', 'v2.routing.queues.q.conversations.calls', 'v2.conversations.messages', 'v2.routing.queues.a.b.conversations.messages']) {
        assert.deepStrictEqual(normalizeEvent(topicFrame(body, topicName, 'c')), { ok: false, reason: 'unsupported_topic', eventId: 'c' }, topicName);
      }
    });

    it('an envelope without an object eventBody, or with a non-string topicName, is malformed_envelope', function () {
      for (const env of [
        { topicName: `v2.routing.queues.${QUEUE_ID}.conversations.messages` },
        { topicName: `v2.routing.queues.${QUEUE_ID}.conversations.messages`, eventBody: 'x' },
        { topicName: `v2.routing.queues.${QUEUE_ID}.conversations.messages`, eventBody: [body] },
        { topicName: 42, eventBody: body },
        { detail: { topicName: `v2.routing.queues.${QUEUE_ID}.conversations.messages`, eventBody: null } },
      ]) {
        const r = normalizeEvent(env);
        assert.strictEqual(r.ok, false);
        assert.strictEqual((r as { reason: string }).reason, 'malformed_envelope', JSON.stringify(env));
      }
    });

    it('a conversation with nothing to report is no_message_status; garbage entries are skipped, never a crash', function () {
      assert.strictEqual((normalizeEvent(topicFrame(conversation([]))) as { reason?: string }).reason, 'no_message_status');
      const r = ok(
        normalizeEvent(
          topicFrame(
            conversation([
              null,
              42,
              'x',
              { message: 'not-an-object', messageStatus: 'sent' },
              { message: { id: 'x'.repeat(300) }, messageStatus: 'sent' },
              { message: { id: 'ok' }, messageStatus: 'weird' },
              messageDetails('m-9', 'sent'),
            ]),
          ),
        ),
      );
      assert.deepStrictEqual(
        r.updates.map((u) => u.id),
        ['m-9'],
      );
    });

    it('MessageData without an id or with a status it does not know', function () {
      assert.strictEqual((normalizeEvent(messageData('sent', { id: undefined })) as { reason?: string }).reason, 'missing_message_id');
      assert.strictEqual((normalizeEvent(messageData('removed')) as { reason?: string }).reason, 'unknown_status');
    });

    it('a snapshot listing more than 1,000 messages is read only that far', function () {
      const many = Array.from({ length: 5000 }, (_, i) => messageDetails(`m-${i}`, 'sent'));
      const r = ok(normalizeEvent(topicFrame(conversation(many))));
      assert.strictEqual(r.updates.length, 1000);
    });
  });
});
