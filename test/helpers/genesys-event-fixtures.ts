/**
 * Genesys Cloud event shapes built from the platform's own models, each field with where it comes from.
 *
 * Sources (MyPureCloud/platform-client-sdk-javascript 259.0.0):
 * - notificationMappings.json: topic `v2.routing.queues.{id}.conversations.messages` -> class
 *   QueueConversationMessageEventTopicMessageConversation; `v2.users.{id}.conversations.messages` ->
 *   ConversationMessageEventTopicMessageConversation; `v2.system.socket_closing` -> SystemMessageSystemMessage.
 * - build/index.d.ts: QueueConversationMessageEventTopicMessageConversation {id, name, participants[], ...};
 *   ...MessageMediaParticipant {id, name, address, purpose, state, direction, queue, errorInfo (ErrorBody),
 *   peer, messages[]}; ...MessageDetails {message: UriReference {id, name}, messageTime, messageSegmentCount,
 *   messageStatus, media, stickers, errorInfo (ErrorDetails), messageMetadata, socialVisibility};
 *   ...ErrorDetails {status, code, message, messageWithParams, messageParams, contextId, uri}.
 * - build/index.d.ts: MessageData {id, name, providerMessageId, timestamp, fromAddress, toAddress, direction,
 *   messengerType, textBody, status, media, normalizedMessage, normalizedReceipts: ConversationNormalizedMessage[]
 *   {id, type, status, reasons: ConversationReason[] {code, message}, isFinalReceipt, ...}, conversationId, selfUri}.
 * - Notification service docs: the websocket frame `{topicName, version, eventBody, metadata: {CorrelationId}}`;
 *   heartbeat `{topicName: "channel.metadata", eventBody: {message: "WebSocket Heartbeat"}}`.
 * - AWS EventBridge integration docs: the EventBridge event `{version, id, detail-type, source, account, time,
 *   region, resources, detail}` whose `detail` is the notification `{topicName, version, eventBody, metadata}`.
 * - Seed 002 (agentless guide): the flat webhook body `{id, type, from, to, conversationId, status, timestamp,
 *   deliveryStatus, errorCode, metadata}`.
 */

export const QUEUE_ID = '3b0a8e2e-9c1a-4c39-9a43-2d8e6b4f1a10';
export const CONVERSATION_ID = '9f1c2b7e-0d54-4a6f-8d1e-7e5b3c2a1f00';
export const OUR_NUMBER = '+12025550100';
export const CUSTOMER = '+12025550123';

/** One MessageDetails entry (QueueConversationMessageEventTopicMessageDetails). */
export function messageDetails(id: string, messageStatus: string, extra: Record<string, unknown> = {}) {
  return {
    message: { id }, // UriReference {id, name}
    messageTime: '2024-05-01T10:00:00.000Z',
    messageSegmentCount: 1,
    messageStatus,
    ...extra,
  };
}

/** ErrorDetails of a failed message. */
export const ERROR_DETAILS = {
  status: 400,
  code: 'message.delivery.failed',
  message: 'Message delivery failed',
  messageWithParams: 'Message delivery failed: carrier rejected the destination',
  messageParams: {},
  contextId: 'ctx-1',
  uri: '',
};

/** The conversation (QueueConversationMessageEventTopicMessageConversation) with our side and the customer. */
export function conversation(agentMessages: unknown[], customerMessages: unknown[] = []) {
  return {
    id: CONVERSATION_ID,
    name: '',
    participants: [
      {
        id: 'p-agent',
        purpose: 'agent', // MessageMediaParticipant.purpose
        address: OUR_NUMBER, // MessageMediaParticipant.address
        state: 'connected',
        direction: 'outbound',
        queue: { id: QUEUE_ID },
        messages: agentMessages,
      },
      {
        id: 'p-customer',
        purpose: 'customer',
        address: CUSTOMER,
        state: 'connected',
        direction: 'outbound',
        peer: 'comm-1',
        messages: customerMessages,
      },
    ],
  };
}

/** The websocket frame (notification service). */
export function topicFrame(eventBody: unknown, topicName = `v2.routing.queues.${QUEUE_ID}.conversations.messages`, correlationId = 'corr-1') {
  return { topicName, version: '2', eventBody, metadata: { CorrelationId: correlationId } };
}

/** The EventBridge event around the same frame. */
export function eventBridge(frame: unknown, id = 'eb-6a7e1c2d') {
  const f = frame as { topicName: string };
  return {
    version: '0',
    id,
    'detail-type': f.topicName,
    source: 'aws.partner/genesys.com/cloud/org-1/integration-1',
    account: '123456789012',
    time: '2024-05-01T10:00:01Z',
    region: 'us-east-1',
    resources: [],
    detail: frame,
  };
}

/** MessageData of an outbound message, as a data action forwards it. */
export function messageData(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'msg-out-1',
    timestamp: '2024-05-01T10:00:02.000Z',
    fromAddress: OUR_NUMBER,
    toAddress: CUSTOMER,
    direction: 'outbound',
    messengerType: 'sms',
    textBody: 'Your code is 1234',
    status,
    conversationId: CONVERSATION_ID,
    selfUri: `/api/v2/conversations/messages/${CONVERSATION_ID}/messages/msg-out-1`,
    ...extra,
  };
}

/** normalizedReceipts of a failure (ConversationNormalizedMessage with reasons). */
export const FAILED_RECEIPTS = [
  { id: 'r-1', type: 'Receipt', status: 'Failed', reasons: [{ code: 'RecipientOptedOut', message: 'The recipient opted out of messages from this number' }], isFinalReceipt: true },
];

/** MessageData of a reply. */
export function inboundMessageData(text: string) {
  return {
    id: 'msg-in-1',
    timestamp: '2024-05-01T10:05:00.000Z',
    fromAddress: CUSTOMER,
    toAddress: OUR_NUMBER,
    direction: 'inbound',
    messengerType: 'sms',
    textBody: text,
    status: 'received',
    conversationId: CONVERSATION_ID,
  };
}

/** Seed 002: the flat delivery-status webhook of the agentless guide. */
export const SEED_002_FLAT = {
  id: 'msg-7a3b9c2d-1e4f-5a6b-7c8d-9e0f1a2b3c4d',
  type: 'sms',
  from: '+12025550199',
  to: '+12025550123',
  conversationId: 'conv-8f4e2a1b-9c3d-4e5f-a6b7-8d9e0f1a2b3c',
  status: 'delivered',
  timestamp: '2023-10-27T14:32:15Z',
  deliveryStatus: 'delivered',
  errorCode: null,
  metadata: { campaignId: 'appt-reminder-q3', triggerSource: 'crm-scheduler' },
};
