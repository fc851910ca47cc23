/**
 * Simulated Google CCAI Platform outbound SMS: `POST /apps/api/v1/sms` with Basic auth.
 * Validation order and error bodies follow the documented 400 answers (`{"message": "..."}`); a success
 * answers a chat object with a numeric `id` and the extra keys the platform returns.
 *
 * Tenant switches (POST /sandbox/control `{ccai: {...}}`): `smsEnabled`, `outboundSmsEnabled`,
 * `outboundNumbers` (when set, an outbound_number outside it is "not found").
 */
import type { Route, RouteContext } from './server';
import { refusedNumber } from './rules';

export const CCAI_CHAT_TYPES = ['Messaging (API)', 'Messaging (SMS)', 'SMS'];

export interface CcaiTenant {
  smsEnabled: boolean;
  outboundSmsEnabled: boolean;
  outboundNumbers: string[] | null;
}

export function defaultCcaiTenant(): CcaiTenant {
  return { smsEnabled: true, outboundSmsEnabled: true, outboundNumbers: null };
}

/** The platform accepts formatted numbers ("+1 415-555-0100"); compare them by digits. */
function digits(n: string): string {
  return n.replace(/[\s().-]/g, '');
}

function validNumber(n: string): boolean {
  return /^\+?[1-9]\d{9,14}$/.test(digits(n));
}

function isUs(n: string): boolean {
  const d = digits(n);
  return d.startsWith('+1') ? d.length === 12 : !d.startsWith('+') && d.length === 10;
}

function handle(ctx: RouteContext): void {
  const bad = (message: string) => ctx.reply(400, { message });
  const auth = String(ctx.req.headers.authorization ?? '');
  const [user, ...rest] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':') : [''];
  const pass = rest.join(':');
  const expected = ctx.server.options.ccaiCredentials;
  if (!user || !pass || (expected && (expected.username !== user || expected.password !== pass))) {
    ctx.reply(401, { message: 'Unauthorized' });
    return;
  }
  let body: Record<string, unknown>;
  try {
    const v = JSON.parse(ctx.body.toString('utf8') || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('Invalid request body');
    body = v as Record<string, unknown>;
  } catch {
    return bad('Invalid request body');
  }
  const tenant = ctx.server.ccai;
  const { chat_type, end_user_number, outbound_number, message } = body;
  if (chat_type === undefined || chat_type === null || chat_type === '') return bad('chat_type needs to be provided');
  if (typeof chat_type !== 'string' || !CCAI_CHAT_TYPES.includes(chat_type)) return bad('valid chat type needs to be provided');
  if (!tenant.smsEnabled) return bad('SMS is not enabled');
  if (!tenant.outboundSmsEnabled) return bad('Outbound SMS is not enabled');
  if (typeof end_user_number !== 'string' || !end_user_number) return bad('end_user_number is required');
  if (!validNumber(end_user_number) || refusedNumber(end_user_number)) return bad('end_user_number is invalid');
  if (typeof outbound_number !== 'string' || !outbound_number) return bad('outbound_number is required');
  if (!validNumber(outbound_number)) return bad('outbound_number is invalid');
  if (!isUs(end_user_number) || !isUs(outbound_number)) return bad('Non-US phone number not allowed');
  if (tenant.outboundNumbers && !tenant.outboundNumbers.map(digits).includes(digits(outbound_number))) return bad('outbound_number is not found');
  if (typeof message !== 'string' || !message) return bad('message is required');

  const m = ctx.server.state.add('ccai-platform', digits(outbound_number), digits(end_user_number), message, body);
  if (m.fate === 'active-conversation') {
    ctx.server.state.messages.pop();
    return bad('Outbound SMS failed. Consumer is already in an active SMS session.');
  }
  const chatId = ++ctx.server.ccaiChatSeq;
  m.platformId = String(chatId);
  const agent = body.agent_id !== undefined || body.agent_email !== undefined;
  ctx.reply(200, {
    id: chatId,
    lang: 'en',
    chat_type,
    status: agent ? 'assigned' : 'selecting',
    created_at: m.receivedAt,
    queued_at: null,
    assigned_at: agent ? m.receivedAt : null,
    ends_at: null,
    out_ticket_id: typeof body.ticket_id === 'string' ? body.ticket_id : null,
    agent_info: null,
    end_user: { id: 1000 + chatId, identifier: null, out_contact_id: null },
    participants: [{ id: 2000 + chatId, type: 'end_user', status: 'connected', chat_id: chatId, fail_reason: 'nothing' }],
    answer_type: 'manual',
    outbound_number: digits(outbound_number),
  });
}

export function ccaiRoutes(): Route[] {
  return [{ method: 'POST', pattern: /^\/apps\/api\/v1\/sms$/, auth: 'none', api: true, handle }];
}
