/**
 * Genesys Cloud adapter: OAuth client credentials, agentless send, and message status.
 * https://developer.genesys.cloud/ : POST /api/v2/conversations/messages/agentless,
 * GET /api/v2/conversations/messages/{messageId}/details; and the queue-based flow (mode `queue`):
 * POST /api/v2/conversations/messages, GET /api/v2/conversations/messages/{id},
 * POST /api/v2/conversations/messages/{conversationId}/communications/{communicationId}/messages.
 */
import { SmsError } from '../util/errors';
import { TokenCache } from '../auth/token-cache';
import type { AccessTokenSource } from '../auth/user-tokens';
import { GenesysLogin, fetchSignedInUser } from './genesys-oauth';
import { HttpClient, HttpResponse, errorForStatus, pickErrorDetails, trimSlash } from './http-client';
import { isRecord, readBody } from './body';
import { DEFAULT_GENESYS_REGION } from './genesys-regions';
import { isFinalStatus, normalizeGenesysStatus } from './genesys-status';
import type { Clock } from '../util/clock';
import type {
  AccountCredentials,
  AccountSettings,
  ConnectionCheck,
  NotificationsApi,
  OutboundMessage,
  Provider,
  ProviderCapabilities,
  ProviderDeps,
  ProviderName,
  SendOptions,
  SendResult,
  StatusResult,
} from './types';

export const GENESYS_CAPABILITIES: ProviderCapabilities = {
  status: true,
  textRequired: true,
  maxTextLength: 765,
  // Secondhand but consistent figure for one client-credentials token; adapt to 429s beyond it.
  defaultRequestsPerMinute: 300,
};

const QUEUE_PEER_ATTEMPTS = 3;
const QUEUE_PEER_WAIT_MS = 500;

/** "This request requires a user context. Client credentials cannot be used..." and its converse. */
export function isWrongGrantAnswer(message: string): boolean {
  return /requires a user context|client credentials cannot be used|client credentials grant only/i.test(message);
}

/** API and login origins of an account: the region's, or the overrides. */
export function genesysBases(settings: Pick<AccountSettings, 'region' | 'apiBaseUrl' | 'authBaseUrl'>): { apiBase: string; authBase: string } {
  const region = settings.region || DEFAULT_GENESYS_REGION;
  return {
    apiBase: trimSlash(settings.apiBaseUrl || `https://api.${region}`),
    authBase: trimSlash(settings.authBaseUrl || settings.apiBaseUrl || `https://login.${region}`),
  };
}

export class GenesysCloudProvider implements Provider {
  readonly capabilities = GENESYS_CAPABILITIES;
  readonly apiBase: string;
  readonly authBase: string;
  protected readonly http: HttpClient;
  /** Client credentials (a TokenCache), or a signed-in user's tokens (grant `authorization-code`). */
  protected readonly tokens: AccessTokenSource;
  /** The login service (token endpoint) of this account's region or override. */
  readonly oauth: GenesysLogin;
  private readonly userGrant: boolean;
  private readonly clock: Clock;
  /** Queue mode: conversations created for (queue, recipient) whose text has not been sent yet. */
  private readonly openConversations = new Map<string, string>();

  constructor(
    settings: AccountSettings,
    credentials: AccountCredentials,
    deps: ProviderDeps,
    readonly name: ProviderName = 'genesys-cloud',
  ) {
    ({ apiBase: this.apiBase, authBase: this.authBase } = genesysBases(settings));
    this.http = new HttpClient({ provider: name, budget: deps.budget, clock: deps.clock, timeoutMs: settings.requestTimeoutMs });
    this.oauth = new GenesysLogin(this.http, this.authBase, credentials, name);
    this.userGrant = settings.grant === 'authorization-code';
    this.tokens = this.userGrant && deps.userTokens ? deps.userTokens : new TokenCache(() => this.oauth.clientCredentials(), { clock: deps.clock });
    this.clock = deps.clock;
  }

  /**
   * An authorized API call; logs in again once when the token is refused (401). `onWrite` is called as
   * each attempt is written (a send's `leaving` counts the first).
   */
  protected async api(method: 'GET' | 'POST' | 'PUT', path: string, data?: unknown, onWrite?: () => void): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get();
      const res = await this.http.request({
        method,
        url: `${this.apiBase}${path}`,
        headers: { Authorization: `Bearer ${token}`, ...(data !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        data,
        onWrite,
      });
      if (res.status === 401 && attempt === 0) {
        this.tokens.invalidate(token);
        continue;
      }
      return res;
    }
  }

  async send(message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    const { leaving } = opts;
    if (message.mode === 'queue') return this.sendOnQueue(message, leaving);
    if (!message.from) throw new SmsError('invalid_sender', 'the sender has no fromAddress (a provisioned Genesys SMS number)');
    const body: Record<string, unknown> = {
      fromAddress: message.from,
      toAddress: message.to,
      toAddressMessengerType: 'sms',
    };
    if (message.text !== undefined) body.textBody = message.text;
    if (message.template) {
      body.messagingTemplate = {
        responseId: message.template.id,
        parameters: Object.entries(message.template.parameters ?? {}).map(([id, value]) => ({ id, value })),
      };
    }
    if (message.useExistingActiveConversation !== undefined) body.useExistingActiveConversation = message.useExistingActiveConversation;
    if (message.externalContactId !== undefined) body.externalContactId = message.externalContactId;

    const res = await this.api('POST', '/api/v2/conversations/messages/agentless', body, leaving);
    if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
    const data = readBody(res.data);
    const id = data.string('id');
    if (id === undefined) {
      // Accepted but unreadable: the SMS may be on its way, so this must not be treated as "not sent".
      throw new SmsError('ambiguous_send', 'Genesys Cloud accepted the request but returned no message id', { httpStatus: res.status, sent: 'yes', provider: this.name });
    }
    return {
      id,
      conversationId: data.string('conversationId'),
      status: 'queued',
      providerStatus: 'queued',
      timestamp: data.string('timestamp'),
    };
  }

  /**
   * Queue-based flow (seeds 000/001): create an outbound messaging conversation on the queue, find the
   * customer's communication (the `peer` of the customer participant), then send the text on it.
   * A conversation created by a send whose later steps failed is remembered, so the retry continues on
   * it instead of failing on "conversation already active". `leaving` goes with each of its requests:
   * the first to be written is the message's departure.
   */
  private async sendOnQueue(message: OutboundMessage, leaving?: () => void): Promise<SendResult> {
    const queueId = message.queueId?.trim();
    if (!queueId) throw new SmsError('config_missing', 'the sender is in queue mode but has no queue id', { provider: this.name });
    if (message.text === undefined) throw new SmsError('empty_text', 'the queue-based flow needs a text body', { provider: this.name });
    const key = `${queueId}|${message.to}`;
    let conversationId = this.openConversations.get(key);
    if (!conversationId) {
      const body: Record<string, unknown> = { queueId, toAddress: message.to, toAddressMessengerType: 'sms' };
      if (message.useExistingConversation !== undefined) body.useExistingConversation = message.useExistingConversation;
      if (message.externalContactId !== undefined) body.externalContactId = message.externalContactId;
      const res = await this.api('POST', '/api/v2/conversations/messages', body, leaving);
      if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
      const created = readBody(res.data).text('id');
      if (created === undefined) {
        throw new SmsError('ambiguous_send', 'Genesys Cloud created the conversation but returned no id', { httpStatus: res.status, sent: 'maybe', provider: this.name });
      }
      conversationId = created;
      this.rememberConversation(key, conversationId);
    }
    const communicationId = await this.findCustomerCommunication(conversationId, leaving);
    const res = await this.api(
      'POST',
      `/api/v2/conversations/messages/${encodeURIComponent(conversationId)}/communications/${encodeURIComponent(communicationId)}/messages`,
      { textBody: message.text },
      leaving,
    );
    if (res.status < 200 || res.status >= 300) {
      const err = this.errorFrom(res);
      // A conversation that is gone cannot be continued: the next attempt creates a new one.
      if (res.status === 404) this.openConversations.delete(key);
      throw err;
    }
    this.openConversations.delete(key);
    const data = readBody(res.data);
    const messageId = data.text('id');
    if (messageId === undefined) {
      throw new SmsError('ambiguous_send', 'Genesys Cloud accepted the text but returned no message id', {
        httpStatus: res.status,
        sent: 'yes',
        provider: this.name,
        details: { conversationId, communicationId },
      });
    }
    const providerStatus = data.string('status') ?? 'queued';
    return {
      id: messageId,
      conversationId,
      communicationId,
      status: normalizeGenesysStatus(providerStatus) ?? 'queued',
      providerStatus,
      timestamp: data.string('timestamp'),
    };
  }

  /** The customer participant's `peer` is the communication to send on; it can take a moment to appear. */
  private async findCustomerCommunication(conversationId: string, leaving?: () => void): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.api('GET', `/api/v2/conversations/messages/${encodeURIComponent(conversationId)}`, undefined, leaving);
      if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
      const customer = readBody(res.data)
        .objects('participants')
        .find((p) => p.value('purpose') === 'customer' && p.text('peer') !== undefined);
      const peer = customer?.text('peer');
      if (peer !== undefined) return peer;
      if (attempt >= QUEUE_PEER_ATTEMPTS - 1) {
        throw new SmsError('provider_unavailable', `Genesys Cloud conversation ${conversationId} has no customer communication yet`, {
          retryable: true,
          provider: this.name,
          details: { conversationId },
        });
      }
      await new Promise<void>((resolve) => this.clock.setTimer(resolve, QUEUE_PEER_WAIT_MS));
    }
  }

  private rememberConversation(key: string, conversationId: string): void {
    this.openConversations.delete(key);
    this.openConversations.set(key, conversationId);
    // Bounded: only conversations whose text is still to be sent are kept.
    if (this.openConversations.size > 1000) this.openConversations.delete(this.openConversations.keys().next().value as string);
  }

  async getStatus(id: string): Promise<StatusResult> {
    const res = await this.api('GET', `/api/v2/conversations/messages/${encodeURIComponent(id)}/details`);
    if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
    const data = readBody(res.data);
    const providerStatus = data.string('status') ?? 'unknown';
    const status = normalizeGenesysStatus(providerStatus) ?? 'queued';
    return {
      id: data.string('id') ?? id,
      conversationId: data.string('conversationId'),
      status,
      providerStatus,
      final: isFinalStatus(status),
      reasons: data.array('normalizedReceipts'),
      timestamp: data.string('timestamp'),
    };
  }

  /**
   * The notification service (SDK NotificationsApi.postNotificationsChannels / putNotificationsChannelSubscriptions).
   * Both calls draw from the account's request budget like every other API call.
   */
  notifications(): NotificationsApi {
    return {
      createChannel: async () => {
        const res = await this.api('POST', '/api/v2/notifications/channels');
        if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
        const d = readBody(res.data);
        const id = d.text('id');
        const connectUri = d.text('connectUri');
        if (id === undefined || connectUri === undefined) {
          throw new SmsError('provider_rejected', 'Genesys Cloud: the channel answer has no id or connectUri', { provider: this.name });
        }
        const expires = d.string('expires');
        return { id, connectUri, ...(expires !== undefined ? { expires } : {}) };
      },
      setSubscriptions: async (channelId, topics) => {
        const res = await this.api(
          'PUT',
          `/api/v2/notifications/channels/${encodeURIComponent(channelId)}/subscriptions`,
          topics.map((id) => ({ id })),
        );
        if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
        return readBody(res.data)
          .objects('entities')
          .flatMap((t) => {
            const id = t.string('id');
            if (id === undefined) return [];
            const state = t.string('state');
            const rejectionReason = t.string('rejectionReason');
            return [{ id, ...(state !== undefined ? { state } : {}), ...(rejectionReason !== undefined ? { rejectionReason } : {}) }];
          });
      },
      readMessage: async (conversationId, messageId) => {
        const res = await this.api('GET', `/api/v2/conversations/messages/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`);
        if (res.status < 200 || res.status >= 300) throw this.errorFrom(res);
        if (!isRecord(res.data)) throw new SmsError('provider_rejected', 'Genesys Cloud: the message answer is not an object', { provider: this.name });
        return res.data;
      },
    };
  }

  async testConnection(): Promise<ConnectionCheck> {
    this.tokens.clear();
    try {
      const token = await this.tokens.get();
      if (this.userGrant) {
        const user = await fetchSignedInUser(this.http, this.apiBase, token, this.name);
        return { ok: true, message: `signed in as ${user.name}` };
      }
      return { ok: true, message: `logged in to ${this.authBase}` };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Map a Genesys error answer to the package's stable codes. */
  protected errorFrom(res: HttpResponse): SmsError {
    const body = readBody(res.data);
    const gcode = body.string('code') ?? '';
    const gmsg = body.string('message') ?? `HTTP ${res.status}`;
    const active = res.status === 400 && /active conversation|conversation.*(active|exists)|already.*conversation/i.test(gmsg + ' ' + gcode);
    // The platform's answer to a token of the wrong kind (client credentials on a user-only resource).
    const wrongGrant = res.status === 400 && isWrongGrantAnswer(gmsg);
    const hint = this.userGrant ? 'this sender needs an account with client credentials' : 'this sender needs an account with a signed-in user: grant "authorization code"';
    return errorForStatus(res.status, {
      provider: this.name,
      text: `Genesys Cloud: ${gmsg}${wrongGrant ? ` (${hint})` : ''}`,
      details: pickErrorDetails(res.data),
      code: wrongGrant ? 'grant_mismatch' : active ? 'conversation_active' : undefined,
      method: res.method,
    });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
