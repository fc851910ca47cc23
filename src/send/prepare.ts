/**
 * Turn what a flow handed to send-sms into a message the platform will accept, or a clear error.
 * Nothing invalid is ever queued or sent: numbers are normalized to E.164, text is validated against the
 * platform's limits, and `msg.sms` overrides are type-checked (unknown template fields are refused).
 */
import { SmsError } from '../util/errors';
import { normalizeRecipient, normalizeSender } from '../phone/number';
import { validateText } from '../phone/text';
import { countSegments } from '../phone/segments';
import type { OutboundMessage, ProviderCapabilities, ProviderName, TemplateRef } from '../providers/types';

export interface SenderProfile {
  fromAddress?: string;
  defaultCountry?: string;
  mode?: 'agentless' | 'queue';
  queueId?: string;
  channelUuid?: string;
}

/** The `msg.sms` a flow sees on every output. */
export interface SmsInfo {
  to: string;
  from?: string;
  provider: ProviderName;
  status: 'queued' | 'sent' | 'delivered' | 'failed' | 'read';
  providerStatus?: string;
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
  characters: number;
  attempts: number;
  id?: string;
  conversationId?: string;
  communicationId?: string;
  idempotencyKey?: string;
  duplicate?: boolean;
  metadata?: unknown;
  [extra: string]: unknown;
}

export interface PreparedSend {
  message: OutboundMessage;
  sms: SmsInfo;
  idempotencyKey?: string;
}

const OVERRIDE_KEYS = new Set([
  'to',
  'text',
  'from',
  'idempotencyKey',
  'externalContactId',
  'useExistingActiveConversation',
  'useExistingConversation',
  'template',
  'metadata',
  'params',
  'ticketId',
  'agentId',
  'agentEmail',
]);
/** Result fields a previous send-sms or get-status left on msg.sms: ignored as input, replaced on output. */
const RESULT_KEYS = new Set(['id', 'conversationId', 'communicationId', 'status', 'providerStatus', 'provider', 'segments', 'encoding', 'characters', 'attempts', 'duplicate', 'compliance', 'error']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function optionalString(name: string, v: unknown, max = 256): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new SmsError('invalid_request', `msg.sms.${name} must be a string`);
  if (v.length > max) throw new SmsError('invalid_request', `msg.sms.${name} is longer than ${max} characters`);
  return v;
}

function optionalBool(name: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new SmsError('invalid_request', `msg.sms.${name} must be true or false`);
  return v;
}

function parseTemplate(v: unknown): TemplateRef | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw new SmsError('invalid_template', 'msg.sms.template must be an object { id, parameters }');
  const unknown = Object.keys(v).filter((k) => k !== 'id' && k !== 'parameters');
  if (unknown.length) throw new SmsError('invalid_template', `msg.sms.template has unknown field(s): ${unknown.join(', ')}`);
  if (typeof v.id !== 'string' || !v.id.trim()) throw new SmsError('invalid_template', 'msg.sms.template.id must be a non-empty string');
  let parameters: Record<string, string> | undefined;
  if (v.parameters !== undefined) {
    if (!isPlainObject(v.parameters)) throw new SmsError('invalid_template', 'msg.sms.template.parameters must be an object of names to strings');
    parameters = {};
    for (const [k, val] of Object.entries(v.parameters)) {
      if (typeof val !== 'string' && typeof val !== 'number') throw new SmsError('invalid_template', `msg.sms.template.parameters.${k} must be a string`);
      parameters[k] = String(val);
    }
  }
  return { id: v.id, parameters };
}

/** JSON round trip: metadata must survive the durable queue unchanged, so refuse what would not. */
function parseMetadata(v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    const text = JSON.stringify(v);
    if (text === undefined) throw new Error('not serializable');
    if (text.length > 16_384) throw new SmsError('invalid_request', 'msg.sms.metadata is larger than 16 KB');
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SmsError) throw err;
    throw new SmsError('invalid_request', 'msg.sms.metadata must be JSON-serializable');
  }
}

export function prepareSend(input: { to: unknown; text: unknown; sms: unknown }, sender: SenderProfile, caps: ProviderCapabilities, provider: ProviderName): PreparedSend {
  const overrides: Record<string, unknown> = {};
  if (input.sms !== undefined && input.sms !== null) {
    if (!isPlainObject(input.sms)) throw new SmsError('invalid_request', 'msg.sms must be an object');
    for (const [k, v] of Object.entries(input.sms)) {
      if (OVERRIDE_KEYS.has(k)) overrides[k] = v;
      else if (!RESULT_KEYS.has(k)) throw new SmsError('invalid_request', `msg.sms.${k} is not a known option`);
    }
  }
  const rawTo = overrides.to !== undefined ? overrides.to : input.to;
  const { e164: to } = normalizeRecipient(rawTo, sender.defaultCountry || undefined);

  const rawText = overrides.text !== undefined ? overrides.text : input.text;
  const template = parseTemplate(overrides.template);
  const text = validateText(rawText, { required: caps.textRequired, maxLength: caps.maxTextLength });

  const fromOverride = optionalString('from', overrides.from, 64);
  const from = fromOverride !== undefined ? normalizeSender(fromOverride) : sender.fromAddress || undefined;

  const idempotencyKey = optionalString('idempotencyKey', overrides.idempotencyKey, 200);
  const params = overrides.params;
  if (params !== undefined && !isPlainObject(params)) throw new SmsError('invalid_request', 'msg.sms.params must be an object');

  const message: OutboundMessage = {
    to,
    from,
    text,
    mode: sender.mode,
    queueId: sender.queueId || undefined,
    channelUuid: sender.channelUuid || undefined,
    externalContactId: optionalString('externalContactId', overrides.externalContactId),
    useExistingActiveConversation: optionalBool('useExistingActiveConversation', overrides.useExistingActiveConversation),
    useExistingConversation: optionalBool('useExistingConversation', overrides.useExistingConversation),
    template,
  };
  const extra: Record<string, unknown> = {};
  if (params) Object.assign(extra, parseMetadata(params) as Record<string, unknown>);
  for (const [key, field] of [
    ['ticketId', 'ticket_id'],
    ['agentId', 'agent_id'],
    ['agentEmail', 'agent_email'],
  ] as const) {
    const v = overrides[key];
    if (v !== undefined && v !== null && v !== '') {
      if (typeof v !== 'string' && typeof v !== 'number') throw new SmsError('invalid_request', `msg.sms.${key} must be a string`);
      extra[field] = v;
    }
  }
  if (Object.keys(extra).length) message.params = extra;

  const seg = text !== undefined ? countSegments(text) : { encoding: 'GSM-7' as const, segments: 0 };
  const sms: SmsInfo = {
    to,
    from,
    provider,
    status: 'queued',
    segments: seg.segments,
    encoding: seg.encoding,
    characters: text !== undefined ? [...text].length : 0,
    attempts: 0,
  };
  if (idempotencyKey) sms.idempotencyKey = idempotencyKey;
  const metadata = parseMetadata(overrides.metadata);
  if (metadata !== undefined) sms.metadata = metadata;
  return { message, sms, idempotencyKey };
}
