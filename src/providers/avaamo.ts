/**
 * Avaamo adapter: `POST {apiBaseUrl}/sms/{channelUuid}/send.json` with `to_phone` and the flow's custom
 * parameters (msg.sms.params). Avaamo's agent sends its own greeting, so the text is not part of the
 * request. The platform answers only `{"success": true}`: no message id and no status read.
 *
 * Id strategy: a locally generated id prefixed `avaamo-local-` (never a platform id), with
 * `providerStatus: 'accepted'`, so flows can still correlate output 1 with their input.
 */
import { randomUUID } from 'crypto';
import { SmsError } from '../util/errors';
import { HttpClient, HttpResponse, errorForStatus, trimSlash } from './http-client';
import { readBody } from './body';
import type { AccountCredentials, AccountSettings, ConnectionCheck, OutboundMessage, Provider, ProviderCapabilities, ProviderDeps, SendOptions, SendResult, StatusResult } from './types';

export const AVAAMO_DEFAULT_BASE_URL = 'https://cx.avaamo.com';
export const AVAAMO_LOCAL_ID_PREFIX = 'avaamo-local-';

export const AVAAMO_CAPABILITIES: ProviderCapabilities = {
  status: false,
  // The agent's greeting is what the recipient gets; a text, when given, is validated but not sent.
  textRequired: false,
  maxTextLength: 1600,
  // Avaamo documents no limit: one request per second keeps well clear of typical API throttles.
  defaultRequestsPerMinute: 60,
};

/** Reserved body keys the custom parameters may not overwrite. */
const RESERVED = new Set(['to_phone']);

/** Keep what Avaamo said about an error (a few known keys), never the request. */
function avaamoDetails(data: unknown): Record<string, unknown> | undefined {
  return readBody(data).pick(['success', 'error', 'errors', 'message', 'code']);
}

function errorText(data: unknown, status: number): string {
  if (data && typeof data === 'object') {
    const d = readBody(data);
    for (const k of ['error', 'message']) {
      const text = d.text(k);
      if (text !== undefined) return text;
      const nested = d.object(k).string('message');
      if (nested !== undefined) return nested;
    }
    const errors = d.array('errors');
    if (errors && typeof errors[0] === 'string') return errors.join('; ');
  }
  if (typeof data === 'string' && data && data.length < 300) return data;
  return `HTTP ${status}`;
}

export class AvaamoProvider implements Provider {
  readonly name = 'avaamo' as const;
  readonly capabilities = AVAAMO_CAPABILITIES;
  readonly apiBase: string;
  private readonly http: HttpClient;

  constructor(
    settings: AccountSettings,
    private readonly credentials: AccountCredentials,
    deps: ProviderDeps,
  ) {
    this.apiBase = trimSlash(settings.apiBaseUrl || AVAAMO_DEFAULT_BASE_URL);
    this.http = new HttpClient({ provider: this.name, budget: deps.budget, clock: deps.clock, timeoutMs: settings.requestTimeoutMs });
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    // The auth header is not confirmed for this endpoint; other Avaamo APIs use `access-token`.
    if (this.credentials.accessToken) h['access-token'] = this.credentials.accessToken;
    return h;
  }

  async send(message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    const channel = message.channelUuid?.trim();
    if (!channel) throw new SmsError('config_missing', 'the sender has no Avaamo channel UUID', { provider: this.name });
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(message.params ?? {})) if (!RESERVED.has(k)) body[k] = v;
    body.to_phone = message.to;
    const res = await this.http.request({
      method: 'POST',
      url: `${this.apiBase}/sms/${encodeURIComponent(channel)}/send.json`,
      headers: this.headers(),
      data: body,
      onWrite: opts.leaving,
    });
    if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
    const data = readBody(res.data);
    // Only an explicit `success: false` is a refusal; anything else in a 2xx is an acceptance.
    if (data.value('success') === false) {
      throw new SmsError('provider_rejected', `Avaamo: ${errorText(res.data, res.status)}`, { httpStatus: res.status, provider: this.name, details: avaamoDetails(res.data) });
    }
    return { id: `${AVAAMO_LOCAL_ID_PREFIX}${randomUUID()}`, status: 'queued', providerStatus: 'accepted' };
  }

  async getStatus(_id: string): Promise<StatusResult> {
    throw new SmsError('status_unsupported', 'Avaamo has no message status API; its answer only says the request was accepted', { provider: this.name });
  }

  /**
   * Avaamo has no known read-only call to check a token, so this only checks the service is reachable
   * at the configured URL; the token is checked by the first send.
   */
  async testConnection(): Promise<ConnectionCheck> {
    try {
      const res = await this.http.request({ method: 'GET', url: `${this.apiBase}/`, skipBudget: true });
      if (res.status >= 500) return { ok: false, message: `Avaamo at ${this.apiBase} answered ${res.status}: try again later` };
      return { ok: true, message: `${this.apiBase} is reachable; Avaamo has no check call, so the channel and token are verified by the first send` };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  errorFrom(res: HttpResponse): SmsError {
    const text = `Avaamo: ${errorText(res.data, res.status)}`;
    const badNumber = (res.status === 400 || res.status === 422) && /phone|number/i.test(text);
    return errorForStatus(res.status, {
      provider: this.name,
      text,
      details: avaamoDetails(res.data),
      code: badNumber ? 'invalid_number' : undefined,
      hints: { 401: 'check the access token', 404: "check the sender's channel UUID" },
      method: res.method,
    });
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
