/**
 * Turning the delivery-status bodies we understand into one normalized shape (`msg.sms`).
 *
 * Understood bodies:
 * - the sandbox's own events: `{type: "message.status", id, data: {id, conversationId, to, from, status,
 *   normalizedReceipts, timestamp}}`;
 * - the flat delivery-status shape of the Genesys agentless guide: `{id, conversationId, to, from,
 *   status | deliveryStatus, errorCode, timestamp, metadata}`;
 * - Genesys conversation message events (`topicName` ...conversations...messages with an `eventBody`,
 *   also wrapped by EventBridge in `detail`, or the bare eventBody a data action forwards), whose
 *   participants carry `messages[]` with `messageId`, `messageStatus` and `errorInfo`.
 *
 * Inbound messages (a person texting back, e.g. STOP), reported as `inbound`:
 * - the sandbox's `{type: "message.inbound", id, data: {id?, from, to, text, timestamp?}}`;
 * - a Genesys message (MessageData) with `direction: "inbound"`, `fromAddress`, `toAddress`, `textBody`,
 *   bare (as a Process Automation data action forwards it) or as `eventBody` / `detail.eventBody`.
 */
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

/** A message a person sent to one of our numbers. */
export interface InboundMessage {
  id?: string;
  from: string;
  to?: string;
  text: string;
  provider: string;
  timestamp?: string;
}

export type NormalizeResult = { ok: true; eventId?: string; updates: StatusUpdate[]; inbound?: InboundMessage[] } | { ok: false; reason: InvalidReason; eventId?: string };

export type InvalidReason = 'unrecognized_payload' | 'unsupported_event_type' | 'missing_message_id' | 'unknown_status' | 'no_message_status';

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

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
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
  if (typeof body.type === 'string' && isObj(body.data)) return fromSandbox(body);
  const detail = isObj(body.detail) ? body.detail : undefined;
  for (const candidate of [body, body.eventBody, detail?.eventBody]) {
    if (isObj(candidate) && typeof candidate.direction === 'string' && candidate.direction.toLowerCase() === 'inbound') {
      return fromGenesysInbound(candidate, id(body.id) ?? id(candidate.id));
    }
  }
  if (detail && isObj(detail.eventBody)) return fromGenesysEvent(detail.eventBody, id(body.id));
  if (isObj(body.eventBody)) return fromGenesysEvent(body.eventBody, undefined);
  if (Array.isArray(body.participants)) return fromGenesysEvent(body, undefined);
  if ('status' in body || 'deliveryStatus' in body) return fromFlat(body);
  return { ok: false, reason: 'unrecognized_payload' };
}

function fromSandbox(body: Obj): NormalizeResult {
  const eventId = id(body.id);
  if (body.type === 'message.inbound') {
    const data = body.data as Obj;
    const from = address(data.from);
    const text = typeof data.text === 'string' ? data.text : undefined;
    if (!from || text === undefined) return { ok: false, reason: 'unrecognized_payload', eventId };
    return { ok: true, eventId, updates: [], inbound: [clean({ id: id(data.id), from, to: address(data.to), text, provider: 'sandbox', timestamp: str(data.timestamp) })] };
  }
  if (body.type !== 'message.status') return { ok: false, reason: 'unsupported_event_type', eventId };
  const data = body.data as Obj;
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

function fromFlat(body: Obj): NormalizeResult {
  const eventId = id(body.eventId);
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

function fromGenesysInbound(m: Obj, eventId: string | undefined): NormalizeResult {
  const from = address(m.fromAddress);
  const text = typeof m.textBody === 'string' ? m.textBody : typeof m.text === 'string' ? m.text : undefined;
  if (!from || text === undefined) return { ok: false, reason: 'unrecognized_payload', eventId };
  const msg: InboundMessage = { id: id(m.id), from, to: address(m.toAddress), text, provider: 'genesys-cloud', timestamp: str(m.timestamp) };
  return { ok: true, eventId, updates: [], inbound: [clean(msg)] };
}

function fromGenesysEvent(eventBody: Obj, eventId: string | undefined): NormalizeResult {
  const conversationId = id(eventBody.id);
  const participants = Array.isArray(eventBody.participants) ? eventBody.participants : [];
  const updates: StatusUpdate[] = [];
  for (const p of participants) {
    if (!isObj(p) || !Array.isArray(p.messages)) continue;
    for (const m of p.messages) {
      if (!isObj(m)) continue;
      const messageId = id(m.messageId) ?? id(m.id);
      // Inbound messages ("received") and statuses we do not track are not delivery news.
      const status = normalizeStatus(m.messageStatus);
      if (!messageId || !status) continue;
      const info = isObj(m.errorInfo) ? m.errorInfo : isObj(p.errorInfo) && status === 'failed' ? p.errorInfo : undefined;
      const update: StatusUpdate = {
        id: messageId,
        conversationId,
        to: address(p.toAddress),
        from: address(p.fromAddress),
        status,
        providerStatus: String(m.messageStatus),
        provider: 'genesys-cloud',
        timestamp: str(m.messageTime),
      };
      if (info && str(info.code)) update.error = clean({ code: str(info.code)!, message: str(info.message) });
      if (typeof m.messageSegmentCount === 'number') update.segments = m.messageSegmentCount;
      updates.push(clean(update));
    }
  }
  if (!updates.length) return { ok: false, reason: 'no_message_status', eventId };
  return { ok: true, eventId, updates };
}

/** Drop undefined fields so msg.sms carries only what the event said. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
