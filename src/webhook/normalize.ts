/**
 * Turning the delivery-status bodies we understand into one normalized shape (`msg.sms`).
 *
 * Envelopes, unwrapped first:
 * - the notification envelope `{topicName, version, eventBody, metadata}` (Genesys websocket frames, and
 *   relays that forward them); only `v2.routing.queues.{id}.conversations.messages` and
 *   `v2.users.{id}.conversations.messages` are understood, any other topic is `unsupported_topic`;
 * - AWS EventBridge: the same envelope under `detail`, the EventBridge event `id` naming the event.
 *
 * Bodies:
 * - the sandbox's own events: `{type: "message.status", id, data: {id, conversationId, to, from, status,
 *   normalizedReceipts, timestamp}}` and `{type: "message.inbound", id, data: {id?, from, to, text}}`;
 * - a conversation as the message topics carry it: participants with `messages[]` whose entries carry
 *   `message: {id}` (or `messageId` in the REST shape), `messageStatus`, `messageTime`, `errorInfo`;
 * - MessageData (what a workflow or data action forwards, as GET .../details returns it): `id`, `status`,
 *   `fromAddress`, `toAddress`, `normalizedReceipts[].reasons[] {code, message}`; with
 *   `direction: "inbound"` it is a reply (`textBody`);
 * - a flat reply `{id?, from, to, text}` (no status): a relay's own shape of an inbound message;
 * - the flat delivery-status shape of the Genesys agentless guide: `{id, conversationId, to, from,
 *   status | deliveryStatus, errorCode, timestamp, metadata}`.
 */
import { isRecord } from '../providers/body';
export type SmsStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'read';

export interface StatusUpdate {
  id: string;
  conversationId?: string;
  to?: string;
  from?: string;
  status: SmsStatus;
  providerStatus: string;
  provider: string;
  timestamp?: string;
  error?: { code: string; message?: string };
  segments?: number;
  receipts?: unknown;
  metadata?: unknown;
}

export interface MessageRef {
  id: string;
  conversationId: string;
}

/** A message a person sent to one of our numbers. */
export interface InboundMessage {
  id?: string;
  conversationId?: string;
  from: string;
  to?: string;
  text: string;
  provider: string;
  timestamp?: string;
}

export type NormalizeResult =
  | {
      ok: true;
      eventId?: string;
      updates: StatusUpdate[];
      inbound?: InboundMessage[];
      topicName?: string;
      /** Replies a conversation event lists (`messageStatus: "received"`) without their text: read them by id. */
      received?: MessageRef[];
    }
  | { ok: false; reason: InvalidReason; eventId?: string };

export type InvalidReason =
  | 'unrecognized_payload'
  | 'unsupported_event_type'
  | 'missing_message_id'
  | 'unknown_status'
  | 'no_message_status'
  /** A notification envelope whose topic carries no message news (e.g. presence, another media type). */
  | 'unsupported_topic'
  /** `{topicName, eventBody}` without an object eventBody, or a topicName that is not a string. */
  | 'malformed_envelope';

const STATUS_MAP: Record<string, SmsStatus> = {
  queued: 'queued',
  accepted: 'queued',
  pending: 'queued',
  enqueued: 'queued',
  sent: 'sent',
  published: 'sent',
  delivered: 'delivered',
  'delivery-success': 'delivered',
  delivery_success: 'delivered',
  failed: 'failed',
  'delivery-failed': 'failed',
  delivery_failed: 'failed',
  'delivery-failure': 'failed',
  undelivered: 'failed',
  undeliverable: 'failed',
  rejected: 'failed',
  read: 'read',
};

/** Order in which a message's status may move; equal ranks are both final, so neither replaces the other. */
export const STATUS_RANK: Record<SmsStatus, number> = { queued: 0, sent: 1, delivered: 2, failed: 2, read: 3 };

export function normalizeStatus(providerStatus: unknown): SmsStatus | undefined {
  if (typeof providerStatus !== 'string') return undefined;
  return STATUS_MAP[providerStatus.trim().toLowerCase()];
}

type Obj = Record<string, unknown>;
const MAX_ID = 256;

// The providers' typed body reader's guard: one definition of "a JSON object" for untrusted bodies.
const isObj: (v: unknown) => v is Obj = isRecord;
function str(v: unknown, max = 1024): string | undefined {
  if (typeof v === 'string' && v.length > 0 && v.length <= max) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}
function id(v: unknown): string | undefined {
  return str(v, MAX_ID);
}

export function normalizeEvent(body: unknown): NormalizeResult {
  if (!isObj(body)) return { ok: false, reason: 'unrecognized_payload' };
  if (typeof body.type === 'string' && isObj(body.data)) return fromSandbox(body, body.data);
  // AWS EventBridge wraps the notification envelope once more, under `detail`; its own `id` names the event.
  if (isObj(body.detail) && ('topicName' in body.detail || 'eventBody' in body.detail)) {
    return fromEnvelope(body.detail, id(body.id));
  }
  if ('topicName' in body || isObj(body.eventBody)) return fromEnvelope(body, undefined);
  return fromBody(body, undefined, undefined);
}

/**
 * A notification envelope `{topicName, version, eventBody, metadata}` (the websocket frame, or what a relay
 * or EventBridge forwards). Only the conversation message topics carry what we need; any other topic is
 * answered `unsupported_topic` (the channel client filters heartbeats and system topics before this).
 */
export const MESSAGE_TOPIC = /^v2\.(?:routing\.queues|users)\.[^.\s]{1,128}\.conversations\.messages$/;

function fromEnvelope(env: Obj, outerId: string | undefined): NormalizeResult {
  const topicName = env.topicName;
  const meta = isObj(env.metadata) ? env.metadata : undefined;
  const eventId = outerId ?? id(meta?.CorrelationId) ?? id(meta?.correlationId);
  if (topicName !== undefined && typeof topicName !== 'string') return { ok: false, reason: 'malformed_envelope', eventId };
  if (!isObj(env.eventBody)) return { ok: false, reason: 'malformed_envelope', eventId };
  if (typeof topicName === 'string' && !MESSAGE_TOPIC.test(topicName)) return { ok: false, reason: 'unsupported_topic', eventId };
  const r = fromBody(env.eventBody, eventId, typeof topicName === 'string' ? topicName : undefined);
  return r;
}

/** The event itself: an inbound MessageData, a conversation (topic model), an outbound MessageData, or the flat guide shape. */
function fromBody(body: Obj, eventId: string | undefined, topicName: string | undefined): NormalizeResult {
  const r = fromBodyInner(body, eventId);
  if (r.ok && topicName) r.topicName = topicName;
  return r;
}

function fromBodyInner(body: Obj, eventId: string | undefined): NormalizeResult {
  if (typeof body.direction === 'string' && body.direction.toLowerCase() === 'inbound') {
    return fromGenesysInbound(body, eventId ?? id(body.id));
  }
  if (Array.isArray(body.participants)) return fromGenesysEvent(body, eventId);
  if (isMessageData(body)) return fromMessageData(body, eventId);
  // The flat reply style `{from, to, text}` (a relay's own shape): text and a sender, and no status.
  if (!('status' in body) && !('deliveryStatus' in body) && typeof body.text === 'string' && body.from !== undefined) {
    return fromGenesysInbound(body, eventId ?? id(body.id), str(body.provider, 64) ?? 'genesys-cloud');
  }
  if ('status' in body || 'deliveryStatus' in body) return fromFlat(body, eventId);
  return { ok: false, reason: 'unrecognized_payload', eventId };
}

/** MessageData (GET .../messages/{id}/details, or forwarded by a workflow data action) names its addresses `fromAddress` / `toAddress`. */
function isMessageData(b: Obj): boolean {
  return 'status' in b && ('normalizedReceipts' in b || 'fromAddress' in b || 'toAddress' in b || 'messengerType' in b || 'textBody' in b || 'direction' in b);
}

function fromMessageData(m: Obj, eventId: string | undefined): NormalizeResult {
  const messageId = id(m.id);
  if (!messageId) return { ok: false, reason: 'missing_message_id', eventId };
  const status = normalizeStatus(m.status);
  if (!status) return { ok: false, reason: 'unknown_status', eventId };
  const update: StatusUpdate = {
    id: messageId,
    conversationId: id(m.conversationId),
    to: address(m.toAddress),
    from: address(m.fromAddress),
    status,
    providerStatus: String(m.status),
    provider: 'genesys-cloud',
    timestamp: str(m.timestamp),
  };
  if (m.normalizedReceipts !== undefined) update.receipts = m.normalizedReceipts;
  if (status === 'failed') update.error = errorFromReceipts(m.normalizedReceipts);
  return { ok: true, eventId, updates: [clean(update)] };
}

function fromSandbox(body: Obj, data: Obj): NormalizeResult {
  const eventId = id(body.id);
  if (body.type === 'message.inbound') {
    const from = address(data.from);
    const text = typeof data.text === 'string' ? data.text : undefined;
    if (!from || text === undefined) return { ok: false, reason: 'unrecognized_payload', eventId };
    return { ok: true, eventId, updates: [], inbound: [clean({ id: id(data.id), from, to: address(data.to), text, provider: 'sandbox', timestamp: str(data.timestamp) })] };
  }
  if (body.type !== 'message.status') return { ok: false, reason: 'unsupported_event_type', eventId };
  const messageId = id(data.id);
  if (!messageId) return { ok: false, reason: 'missing_message_id', eventId };
  const status = normalizeStatus(data.status);
  if (!status) return { ok: false, reason: 'unknown_status', eventId };
  const update: StatusUpdate = {
    id: messageId,
    conversationId: id(data.conversationId),
    to: str(data.to),
    from: str(data.from),
    status,
    providerStatus: String(data.status),
    provider: 'sandbox',
    timestamp: str(data.timestamp),
  };
  if (data.normalizedReceipts !== undefined) update.receipts = data.normalizedReceipts;
  if (status === 'failed') update.error = errorFromReceipts(data.normalizedReceipts);
  return { ok: true, eventId, updates: [clean(update)] };
}

/** The first reason a Genesys-style receipt gives for a failure. */
function errorFromReceipts(receipts: unknown): { code: string; message?: string } | undefined {
  if (!Array.isArray(receipts)) return undefined;
  for (const r of receipts) {
    if (!isObj(r) || !Array.isArray(r.reasons)) continue;
    for (const reason of r.reasons) {
      if (isObj(reason) && str(reason.code)) return clean({ code: str(reason.code)!, message: str(reason.message) });
    }
  }
  return undefined;
}

function fromFlat(body: Obj, outerId?: string): NormalizeResult {
  const eventId = outerId ?? id(body.eventId);
  const messageId = id(body.id) ?? id(body.messageId);
  if (!messageId) return { ok: false, reason: 'missing_message_id', eventId };
  // deliveryStatus is the more specific of the two when both are present.
  const raw = body.deliveryStatus ?? body.status;
  const status = normalizeStatus(raw);
  if (!status) return { ok: false, reason: 'unknown_status', eventId };
  const update: StatusUpdate = {
    id: messageId,
    conversationId: id(body.conversationId),
    to: str(body.to),
    from: str(body.from),
    status,
    providerStatus: String(raw),
    provider: str(body.provider, 64) ?? 'genesys-cloud',
    timestamp: str(body.timestamp),
  };
  const code = str(body.errorCode);
  if (code) update.error = clean({ code, message: str(body.errorMessage) });
  if (body.metadata !== undefined) update.metadata = body.metadata;
  return { ok: true, eventId, updates: [clean(update)] };
}

function address(v: unknown): string | undefined {
  if (typeof v === 'string') return str(v);
  if (isObj(v)) return str(v.addressNormalized) ?? str(v.addressRaw) ?? str(v.address);
  return undefined;
}

function fromGenesysInbound(m: Obj, eventId: string | undefined, provider = 'genesys-cloud'): NormalizeResult {
  const from = address(m.fromAddress) ?? address(m.from);
  const text = typeof m.textBody === 'string' ? m.textBody : typeof m.text === 'string' ? m.text : undefined;
  if (!from || text === undefined) return { ok: false, reason: 'unrecognized_payload', eventId };
  const msg: InboundMessage = {
    id: id(m.id),
    conversationId: id(m.conversationId),
    from,
    to: address(m.toAddress) ?? address(m.to),
    text,
    provider,
    timestamp: str(m.timestamp),
  };
  return { ok: true, eventId, updates: [], inbound: [clean(msg)] };
}

/** Purposes of the participant that stands for the person we text (the rest are our side: agent, acd, workflow). */
const CUSTOMER_PURPOSES = new Set(['customer', 'external']);

/**
 * A conversation as the message topics carry it (SDK model QueueConversationMessageEventTopicMessageConversation /
 * ConversationMessageEventTopicMessageConversation): each participant lists `messages[]` of
 * MessageDetails `{message: {id}, messageStatus, messageTime, messageSegmentCount, errorInfo}`. The REST
 * conversation (GET /api/v2/conversations/messages/{id}) says `messageId` instead; both are read.
 */
function fromGenesysEvent(eventBody: Obj, eventId: string | undefined): NormalizeResult {
  const conversationId = id(eventBody.id);
  const participants = (Array.isArray(eventBody.participants) ? eventBody.participants : []).filter(isObj);
  // Topic participants carry one `address`; the REST shape carries toAddress / fromAddress objects.
  const customer = participants.find((p) => typeof p.purpose === 'string' && CUSTOMER_PURPOSES.has(p.purpose.toLowerCase()));
  const ours = participants.find((p) => p !== customer && str(p.address));
  const byId = new Map<string, StatusUpdate>();
  const received: MessageRef[] = [];
  let budget = MAX_MESSAGES_PER_EVENT;
  for (const p of participants) {
    if (!Array.isArray(p.messages)) continue;
    for (const m of p.messages) {
      if (budget-- <= 0) break;
      if (!isObj(m)) continue;
      const messageId = (isObj(m.message) ? id(m.message.id) : undefined) ?? id(m.messageId) ?? id(m.id);
      // Inbound messages ("received") and statuses we do not track are not delivery news.
      const status = normalizeStatus(m.messageStatus);
      if (messageId && conversationId && m.messageStatus === 'received' && p === customer) received.push({ id: messageId, conversationId });
      if (!messageId || !status) continue;
      const info = isObj(m.errorInfo) ? m.errorInfo : isObj(p.errorInfo) && status === 'failed' ? p.errorInfo : undefined;
      const update: StatusUpdate = {
        id: messageId,
        conversationId,
        to: address(p.toAddress) ?? (customer ? str(customer.address) : undefined),
        from: address(p.fromAddress) ?? (p !== customer ? str(p.address) : undefined) ?? (ours ? str(ours.address) : undefined),
        status,
        providerStatus: String(m.messageStatus),
        provider: 'genesys-cloud',
        timestamp: str(m.messageTime),
      };
      if (info && str(info.code)) update.error = clean({ code: str(info.code)!, message: str(info.messageWithParams) ?? str(info.message) });
      if (typeof m.messageSegmentCount === 'number') update.segments = m.messageSegmentCount;
      // One message listed under two participants: the furthest status it reached is the news.
      const prev = byId.get(messageId);
      if (!prev || STATUS_RANK[status] > STATUS_RANK[prev.status]) byId.set(messageId, clean(update));
    }
  }
  const updates = [...byId.values()];
  if (!updates.length && !received.length) return { ok: false, reason: 'no_message_status', eventId };
  return { ok: true, eventId, updates, ...(received.length ? { received } : {}) };
}

/** A conversation snapshot lists every message so far; more than this in one event is not a real one. */
const MAX_MESSAGES_PER_EVENT = 1000;

/** Drop undefined fields so msg.sms carries only what the event said. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
