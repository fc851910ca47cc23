/**
 * Simulated Genesys Cloud API subset: login, agentless send, message details, and the queue-based flow
 * (create conversation on a queue, read its participants, send a text on the customer's communication).
 * Validation and error bodies follow the platform (`{message, code, status, messageParams, contextId,
 * details, errors}`), including the 765-character text cap and E.164 recipients for SMS.
 */
import { randomUUID } from 'crypto';
import type { Route, RouteContext } from './server';
import { fateOf } from './rules';

export const GENESYS_TEXT_LIMIT = 765;
const MESSENGER_TYPES = ['sms', 'whatsapp', 'open'];
const E164 = /^\+[1-9]\d{6,14}$/;

export function genesysError(status: number, code: string, message: string): Record<string, unknown> {
  return { message, code, status, messageParams: {}, contextId: randomUUID(), details: [], errors: [] };
}

function parseJson(ctx: RouteContext): Record<string, unknown> | null {
  try {
    const v = JSON.parse(ctx.body.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function agentless(ctx: RouteContext): void {
  const body = parseJson(ctx);
  if (!body) {
    ctx.reply(400, genesysError(400, 'bad.request', 'The request could not be understood by the server due to malformed syntax.'));
    return;
  }
  const bad = (msg: string) => ctx.reply(400, genesysError(400, 'bad.request', msg));
  const { fromAddress, toAddress, toAddressMessengerType, textBody, messagingTemplate, useExistingActiveConversation } = body;
  if (typeof fromAddress !== 'string' || !fromAddress) return bad('fromAddress is required');
  if (typeof toAddress !== 'string' || !toAddress) return bad('toAddress is required');
  if (typeof toAddressMessengerType !== 'string' || !MESSENGER_TYPES.includes(toAddressMessengerType)) return bad('toAddressMessengerType is required and must be one of sms, whatsapp, open');
  if (toAddressMessengerType === 'sms') {
    if (!E164.test(toAddress)) return bad(`toAddress ${toAddress} is not a valid E.164 phone number`);
    if (!E164.test(fromAddress)) return bad(`fromAddress ${fromAddress} is not a valid E.164 phone number`);
    if (messagingTemplate === undefined && (typeof textBody !== 'string' || textBody.length === 0)) return bad('textBody is required for SMS messages');
  }
  if (typeof textBody === 'string' && [...textBody].length > GENESYS_TEXT_LIMIT) {
    return bad(`textBody exceeds the maximum length of ${GENESYS_TEXT_LIMIT} characters`);
  }
  if (messagingTemplate !== undefined) {
    const t = messagingTemplate as Record<string, unknown>;
    if (!t || typeof t !== 'object' || typeof t.responseId !== 'string') return bad('messagingTemplate.responseId is required');
  }
  const m = ctx.server.state.add('genesys-cloud', fromAddress, toAddress, typeof textBody === 'string' ? textBody : undefined, body);
  if (m.fate === 'active-conversation' && useExistingActiveConversation !== true) {
    ctx.server.state.messages.pop();
    ctx.reply(400, genesysError(400, 'conversation.active', `An active conversation already exists between ${fromAddress} and ${toAddress}. Set useExistingActiveConversation to send on it.`));
    return;
  }
  ctx.reply(202, {
    id: m.id,
    conversationId: m.conversationId,
    fromAddress,
    toAddress,
    messengerType: toAddressMessengerType,
    useExistingActiveConversation: useExistingActiveConversation === true,
    timestamp: m.receivedAt,
    selfUri: `/api/v2/conversations/messages/${m.conversationId}/messages/${m.id}`,
  });
}

function details(ctx: RouteContext, messageId: string): void {
  const m = ctx.server.state.get(messageId);
  if (!m) {
    ctx.reply(404, genesysError(404, 'not.found', `Message ${messageId} not found`));
    return;
  }
  ctx.reply(200, {
    id: m.id,
    conversationId: m.conversationId,
    fromAddress: m.fromAddress,
    toAddress: m.toAddress,
    direction: m.direction ?? 'outbound',
    messengerType: 'sms',
    textBody: m.textBody,
    status: m.status,
    timestamp: m.timestamp,
    ...(m.normalizedReceipts ? { normalizedReceipts: m.normalizedReceipts } : {}),
    selfUri: `/api/v2/conversations/messages/${m.conversationId}/messages/${m.id}`,
  });
}

/** A queue-based outbound conversation: the agent side (queue) and the customer's communication. */
export interface QueueConversation {
  id: string;
  queueId: string;
  toAddress: string;
  fromAddress: string;
  agentParticipantId: string;
  customerParticipantId: string;
  /** The customer's communication: the `peer` of the customer participant, where texts are sent. */
  communicationId: string;
  messageIds: string[];
  /** Replies the customer sent on this conversation (sandbox `reply` control). */
  replyIds?: string[];
}

/** The address a sandbox queue sends from (its SMS number). */
export const SANDBOX_QUEUE_ADDRESS = '+12025550100';

function createQueueConversation(ctx: RouteContext): void {
  const body = parseJson(ctx);
  const bad = (msg: string) => ctx.reply(400, genesysError(400, 'bad.request', msg));
  if (!body) return bad('The request could not be understood by the server due to malformed syntax.');
  const { queueId, toAddress, toAddressMessengerType, useExistingConversation } = body;
  if (typeof queueId !== 'string' || !queueId) return bad('queueId is required');
  if (typeof toAddress !== 'string' || !toAddress) return bad('toAddress is required');
  if (typeof toAddressMessengerType !== 'string' || !MESSENGER_TYPES.includes(toAddressMessengerType)) return bad('toAddressMessengerType is required and must be one of sms, whatsapp, open');
  if (toAddressMessengerType === 'sms' && !E164.test(toAddress)) return bad(`toAddress ${toAddress} is not a valid E.164 phone number`);
  const convs = ctx.server.queueConversations;
  const existing = [...convs.values()].find((c) => c.queueId === queueId && c.toAddress === toAddress);
  // Rule ...97 stands for a conversation the sandbox did not create (e.g. an agent's): it is connected.
  const active = existing !== undefined || fateOf(toAddress) === 'active-conversation';
  if (active && useExistingConversation !== true) {
    ctx.reply(400, genesysError(400, 'conversation.active', `A conversation between the queue's address and ${toAddress} is already active. Set useExistingConversation to send on it.`));
    return;
  }
  if (existing) {
    ctx.reply(200, { id: existing.id, selfUri: `/api/v2/conversations/messages/${existing.id}` });
    return;
  }
  const c: QueueConversation = {
    id: randomUUID(),
    queueId,
    toAddress,
    fromAddress: SANDBOX_QUEUE_ADDRESS,
    agentParticipantId: randomUUID(),
    customerParticipantId: randomUUID(),
    communicationId: randomUUID(),
    messageIds: [],
  };
  convs.set(c.id, c);
  if (convs.size > 10_000) convs.delete(convs.keys().next().value as string);
  ctx.reply(200, { id: c.id, selfUri: `/api/v2/conversations/messages/${c.id}` });
}

function getQueueConversation(ctx: RouteContext, id: string): void {
  const c = ctx.server.queueConversations.get(id);
  if (!c) {
    ctx.reply(404, genesysError(404, 'not.found', `Conversation ${id} not found`));
    return;
  }
  ctx.reply(200, {
    id: c.id,
    participants: [
      {
        id: c.agentParticipantId,
        purpose: 'agent',
        state: 'connected',
        direction: 'outbound',
        queueId: c.queueId,
        fromAddress: { addressNormalized: c.fromAddress },
        messages: c.messageIds.map((mid) => ({ messageId: mid, messageStatus: ctx.server.state.get(mid)?.status ?? 'queued' })),
      },
      {
        id: c.customerParticipantId,
        purpose: 'customer',
        state: 'connected',
        direction: 'outbound',
        toAddress: { addressNormalized: c.toAddress },
        peer: c.communicationId,
      },
    ],
    selfUri: `/api/v2/conversations/messages/${c.id}`,
  });
}

function sendOnCommunication(ctx: RouteContext, conversationId: string, communicationId: string): void {
  const c = ctx.server.queueConversations.get(conversationId);
  if (!c) return ctx.reply(404, genesysError(404, 'not.found', `Conversation ${conversationId} not found`));
  if (c.communicationId !== communicationId) return ctx.reply(404, genesysError(404, 'not.found', `Communication ${communicationId} not found in conversation ${conversationId}`));
  const body = parseJson(ctx);
  const bad = (msg: string) => ctx.reply(400, genesysError(400, 'bad.request', msg));
  if (!body) return bad('The request could not be understood by the server due to malformed syntax.');
  const { textBody } = body;
  if (typeof textBody !== 'string' || !textBody) return bad('textBody is required');
  if ([...textBody].length > GENESYS_TEXT_LIMIT) return bad(`textBody exceeds the maximum length of ${GENESYS_TEXT_LIMIT} characters`);
  const m = ctx.server.state.add('genesys-cloud', c.fromAddress, c.toAddress, textBody, { ...body, queueId: c.queueId, mode: 'queue' }, c.id);
  c.messageIds.push(m.id);
  ctx.reply(200, {
    id: m.id,
    fromAddress: c.fromAddress,
    toAddress: c.toAddress,
    direction: 'outbound',
    messengerType: 'sms',
    textBody,
    status: m.status,
    timestamp: m.receivedAt,
    selfUri: `/api/v2/conversations/messages/${c.id}/messages/${m.id}`,
  });
}

export function genesysRoutes(): Route[] {
  return [
    { method: 'POST', pattern: /^\/api\/v2\/conversations\/messages\/agentless$/, auth: 'bearer', context: 'client', api: true, handle: agentless },
    { method: 'POST', pattern: /^\/api\/v2\/conversations\/messages$/, auth: 'bearer', context: 'user', api: true, handle: createQueueConversation },
    { method: 'GET', pattern: /^\/api\/v2\/conversations\/messages\/([^/]+)$/, auth: 'bearer', context: 'user', api: true, handle: (c) => getQueueConversation(c, decodeURIComponent(c.params[0])) },
    {
      method: 'POST',
      pattern: /^\/api\/v2\/conversations\/messages\/([^/]+)\/communications\/([^/]+)\/messages$/,
      auth: 'bearer',
      context: 'user',
      api: true,
      handle: (c) => sendOnCommunication(c, decodeURIComponent(c.params[0]), decodeURIComponent(c.params[1])),
    },
    { method: 'GET', pattern: /^\/api\/v2\/conversations\/messages\/([^/]+)\/details$/, auth: 'bearer', api: true, handle: (c) => details(c, decodeURIComponent(c.params[0])) },
    { method: 'GET', pattern: /^\/api\/v2\/conversations\/messages\/([^/]+)\/messages\/([^/]+)$/, auth: 'bearer', api: true, handle: (c) => details(c, decodeURIComponent(c.params[1])) },
  ];
}
