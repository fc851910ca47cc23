/**
 * Google CCAI Platform adapter: outbound SMS through `POST {apiBaseUrl}/apps/api/v1/sms` with Basic auth.
 * The platform answers a chat object (the chat `id` becomes msg.sms.id) and has no message status read.
 * Its errors are 400s with `{"message": "..."}`; each documented message maps to a stable code below
 * (the same table is in the account node's help).
 */
import { SmsError, ErrorCode } from '../util/errors';
import { HttpClient, HttpResponse, errorForStatus, pickErrorDetails, trimSlash } from './http-client';
import { readBody } from './body';
import type { AccountCredentials, AccountSettings, ConnectionCheck, OutboundMessage, Provider, ProviderCapabilities, ProviderDeps, SendOptions, SendResult, StatusResult } from './types';

export const CCAI_CAPABILITIES: ProviderCapabilities = {
  status: false,
  textRequired: true,
  // The API documents no cap; 1600 characters (ten concatenated GSM-7 segments) is the common carrier ceiling.
  maxTextLength: 1600,
  // Documented limit: 10 requests per second per customer.
  defaultRequestsPerMinute: 600,
};

/** Current docs name "Messaging (API)"; "SMS" is deprecated. A flow may override it with msg.sms.params.chat_type. */
export const CCAI_DEFAULT_CHAT_TYPE = 'Messaging (API)';

/** msg.sms.params keys that CCAI's outbound SMS body accepts; anything else is not sent. */
const CCAI_PARAM_KEYS = ['ticket_id', 'agent_id', 'agent_email', 'chat_type'] as const;

/**
 * The documented 400 messages (seed 004), matched case-insensitively, first match wins.
 * Order matters: "outbound_number is invalid" must not be read as an end-user number problem.
 */
export const CCAI_ERROR_TABLE: { pattern: RegExp; code: ErrorCode; hint: string }[] = [
  { pattern: /active sms session/i, code: 'session_active', hint: 'the consumer is already in an active SMS session (CCAI allows one outbound SMS session per number at a time)' },
  { pattern: /outbound sms is not enabled/i, code: 'not_enabled', hint: 'outbound SMS is not enabled for this CCAI Platform tenant' },
  { pattern: /sms is not enabled/i, code: 'not_enabled', hint: 'SMS is not enabled for this CCAI Platform tenant' },
  { pattern: /non-us phone number/i, code: 'number_not_allowed', hint: 'CCAI Platform accepts US numbers only' },
  { pattern: /outbound_number/i, code: 'invalid_sender', hint: "check the sender's from number: it must be an SMS number of this tenant" },
  { pattern: /end_user_number/i, code: 'invalid_number', hint: 'the recipient number was refused' },
  { pattern: /message is required/i, code: 'empty_text', hint: 'CCAI Platform needs a message text' },
  { pattern: /chat.?type/i, code: 'invalid_request', hint: 'chat_type was refused (msg.sms.params.chat_type overrides the default "Messaging (API)")' },
];

export class CcaiPlatformProvider implements Provider {
  readonly name = 'ccai-platform' as const;
  readonly capabilities = CCAI_CAPABILITIES;
  readonly apiBase: string;
  private readonly http: HttpClient;

  constructor(
    settings: AccountSettings,
    private readonly credentials: AccountCredentials,
    deps: ProviderDeps,
  ) {
    if (!settings.apiBaseUrl) {
      throw new SmsError('config_missing', 'CCAI Platform needs the tenant URL (https://{subdomain}.{domain}) as the API base URL', { provider: this.name });
    }
    this.apiBase = trimSlash(settings.apiBaseUrl);
    this.http = new HttpClient({ provider: this.name, budget: deps.budget, clock: deps.clock, timeoutMs: settings.requestTimeoutMs });
  }

  private authHeader(): string {
    const { username, password } = this.credentials;
    if (!username || !password) throw new SmsError('auth_failed', 'CCAI Platform account has no API username or password', { provider: this.name });
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private post(body: unknown, onWrite?: () => void): Promise<HttpResponse> {
    return this.http.request({
      method: 'POST',
      url: `${this.apiBase}/apps/api/v1/sms`,
      headers: { Authorization: this.authHeader(), 'Content-Type': 'application/json', Accept: 'application/json' },
      data: body,
      onWrite,
    });
  }

  async send(message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    if (!message.from) throw new SmsError('invalid_sender', 'the sender has no fromAddress (the CCAI Platform outbound number)', { provider: this.name });
    if (message.text === undefined) throw new SmsError('empty_text', 'CCAI Platform needs a message text', { provider: this.name });
    const params = message.params ?? {};
    const body: Record<string, unknown> = {
      chat_type: CCAI_DEFAULT_CHAT_TYPE,
      end_user_number: message.to,
      outbound_number: message.from,
      message: message.text,
    };
    for (const k of CCAI_PARAM_KEYS) {
      const v = params[k];
      if (v !== undefined && v !== null && v !== '') body[k] = typeof v === 'number' ? v : String(v);
    }
    const res = await this.post(body, opts.leaving);
    if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
    const data = readBody(res.data);
    const rawId = data.value('id');
    const id = typeof rawId === 'number' || (typeof rawId === 'string' && rawId !== '') ? String(rawId) : undefined;
    if (id === undefined) {
      // Accepted but unreadable: the SMS may be on its way, so this must not be treated as "not sent".
      throw new SmsError('ambiguous_send', 'CCAI Platform accepted the request but returned no chat id', { httpStatus: res.status, sent: 'yes', provider: this.name });
    }
    return {
      id,
      status: 'queued',
      // The chat's own state ("selecting", "assigned", ...), kept as the platform said it.
      providerStatus: data.text('status') ?? 'accepted',
      timestamp: data.string('created_at'),
    };
  }

  async getStatus(_id: string): Promise<StatusResult> {
    throw new SmsError('status_unsupported', 'CCAI Platform has no message status API: track the chat in CCAI Platform or receive its webhooks', { provider: this.name });
  }

  /**
   * CCAI Platform has no documented read-only call for API credentials, so the check posts an empty body:
   * the platform refuses it (chat_type is missing) without creating a chat, and a 401/403 instead tells
   * the credentials are wrong.
   */
  async testConnection(): Promise<ConnectionCheck> {
    try {
      const res = await this.post({});
      if (res.status === 401) return { ok: false, message: 'CCAI Platform refused the API username or password (401)' };
      if (res.status === 403) return { ok: false, message: 'CCAI Platform accepted the credentials but they may not use the SMS API (403)' };
      if (res.status === 404) return { ok: false, message: `no CCAI Platform SMS API at ${this.apiBase} (404): check the tenant URL` };
      if (res.status >= 500) return { ok: false, message: `CCAI Platform answered ${res.status}: try again later` };
      if (res.status === 400 || (res.status >= 200 && res.status < 300)) return { ok: true, message: `credentials accepted by ${this.apiBase}` };
      return { ok: false, message: `CCAI Platform answered HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Map a CCAI error answer to the package's stable codes. */
  errorFrom(res: HttpResponse): SmsError {
    const pmsg = readBody(res.data).string('message') ?? (typeof res.data === 'string' && res.data.length < 300 ? res.data : `HTTP ${res.status}`);
    const text = `CCAI Platform: ${pmsg}`;
    const hit = res.status === 400 ? CCAI_ERROR_TABLE.find((e) => e.pattern.test(pmsg)) : undefined;
    return errorForStatus(res.status, {
      provider: this.name,
      text: hit ? `${text} (${hit.hint})` : text,
      details: pickErrorDetails(res.data),
      code: hit?.code,
      hints: { 404: 'check the tenant URL' },
      method: res.method,
    });
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
