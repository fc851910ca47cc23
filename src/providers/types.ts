/**
 * The provider interface: one adapter per platform behind it, so nodes never branch on the platform.
 * Adapters take everything they need as parameters and never import Node-RED.
 */
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';

export const PROVIDERS = ['genesys-cloud', 'ccai-platform', 'avaamo', 'sandbox'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Normalized status carried in `msg.sms.status`. */
export type SmsStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'read';

export interface TemplateRef {
  id: string;
  parameters?: Record<string, string>;
}

/** A message ready for the platform: numbers normalized, text validated. */
export interface OutboundMessage {
  to: string;
  from?: string;
  text?: string;
  mode?: 'agentless' | 'queue';
  queueId?: string;
  channelUuid?: string;
  externalContactId?: string;
  useExistingActiveConversation?: boolean;
  useExistingConversation?: boolean;
  template?: TemplateRef;
  /** Platform-specific extra body fields (Avaamo custom params, CCAI ticket/agent ids). */
  params?: Record<string, unknown>;
}

export interface SendResult {
  /** The platform's message id (or the best id it gives). */
  id: string;
  conversationId?: string;
  communicationId?: string;
  status: SmsStatus;
  providerStatus: string;
  timestamp?: string;
}

export interface StatusResult {
  id: string;
  conversationId?: string;
  status: SmsStatus;
  providerStatus: string;
  /** No later status is expected (delivered, failed, read). */
  final: boolean;
  /** Why it failed, as the platform explained it (Genesys normalizedReceipts). */
  reasons?: unknown[];
  timestamp?: string;
}

export interface ProviderCapabilities {
  /** The platform can report a message's status by id. */
  status: boolean;
  /** The platform needs a text body (Avaamo sends the agent's greeting instead). */
  textRequired: boolean;
  maxTextLength: number;
  /** Default API budget when the account does not set one. */
  defaultRequestsPerMinute: number;
}

/**
 * The account's API request budget, shared by every sender and status poll of one tenant.
 * The HTTP layer acquires before every API request and reports 429s, so a pause applies to all.
 */
export interface RequestBudget {
  acquire(): Promise<void>;
  onRateLimited(retryAfterMs: number): void;
  /** Any answer other than 429: after a pause, the probe's answer reopens the budget. */
  onResponse?(): void;
}

/** A budget that never waits: for tests of adapters alone and for admin checks. */
export const unlimitedBudget: RequestBudget = {
  acquire: () => Promise.resolve(),
  onRateLimited: () => {},
};

export interface ConnectionCheck {
  ok: boolean;
  message: string;
}

/** How the dispatcher follows a send. */
export interface SendOptions {
  /**
   * Called once, as the send's first request is written to the socket (after the account's budget let
   * it go): the sender's window counts the message from then, not from when it was handed over.
   */
  leaving?: () => void;
}

export interface Provider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  send(message: OutboundMessage, opts?: SendOptions): Promise<SendResult>;
  getStatus(id: string, conversationId?: string): Promise<StatusResult>;
  testConnection(): Promise<ConnectionCheck>;
  close(): Promise<void>;
  /** Genesys Cloud: the notification channel API (create a channel, set its topics). */
  notifications?(): NotificationsApi;
}

/** The Genesys notification service (SDK NotificationsApi: Channel `{connectUri, id, expires}`, ChannelTopic `{id, state?, rejectionReason?}`). */
export interface NotificationsApi {
  /** POST /api/v2/notifications/channels */
  createChannel(): Promise<{ id: string; connectUri: string; expires?: string }>;
  /** PUT /api/v2/notifications/channels/{id}/subscriptions: replaces the channel's topics; answers what was taken. */
  setSubscriptions(channelId: string, topics: string[]): Promise<{ id: string; state?: string; rejectionReason?: string }[]>;
  /**
   * GET /api/v2/conversations/messages/{conversationId}/messages/{messageId}: the MessageData of one
   * message (the topic events list a reply's id, not its text).
   */
  readMessage(conversationId: string, messageId: string): Promise<Record<string, unknown>>;
}

/** How a Genesys Cloud account signs in (DESIGN.md section 3). */
export type GenesysGrant = 'client-credentials' | 'authorization-code';

export interface AccountSettings {
  provider: ProviderName;
  region: string;
  /** Genesys Cloud and the sandbox: client credentials (default) or a signed-in user. */
  grant?: GenesysGrant;
  apiBaseUrl?: string;
  authBaseUrl?: string;
  requestTimeoutMs?: number;
}

export interface AccountCredentials {
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  accessToken?: string;
  /** Signing secret of the in-process sandbox's delivery receipts (standard-webhooks `whsec_...`). */
  sandboxCallbackSecret?: string;
  /** Genesys `authorization-code`: the signed-in user's refresh token (set by signing in, or pasted). */
  refreshToken?: string;
}

export interface ProviderDeps {
  budget: RequestBudget;
  clock: Clock;
  logger: Logger;
  /** Genesys `authorization-code`: the account's signed-in user's tokens (src/auth/user-tokens.ts). */
  userTokens?: import('../auth/user-tokens').AccessTokenSource;
}
