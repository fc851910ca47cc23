/**
 * What an `agentless-account` config node holds at run time: the provider (created once, lazily, shared
 * by every sender and status poll of the tenant) and the tenant's API request budget.
 */
import { SmsError } from '../util/errors';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { createProvider, ProviderHandle, SandboxSettings } from './factory';
import type { AccountCredentials, AccountSettings, Provider, RequestBudget, StatusResult } from './types';
import { PollScheduler } from '../status/poll-scheduler';
import type { OptOutList } from '../compliance/opt-out-store';
import { LocalCoordination, type Coordination } from '../coordination/coordination';
import { SentMessages } from '../status/sent-messages';
import type { StatusUpdate } from '../webhook/normalize';
import { NotificationHub } from '../notifications/hub';
import { UserTokens, type SignInState } from '../auth/user-tokens';
import type { SignedInUser, TokenStore } from '../auth/token-vault';
import { usesGenesysAuth } from '../auth/grant-rules';
import type { GenesysCloudProvider } from './genesys-cloud';

/** The signed-in user's side of an `authorization-code` account (src/auth). */
export interface AccountAuthDeps {
  store: TokenStore;
  /** A new refresh token is in force: keep it in the runtime's credentials (written on the next deploy). */
  onRotate?: (refreshToken: string) => void;
  onState?: (state: SignInState) => void;
}

export class AccountRuntime {
  private handle: Promise<ProviderHandle> | null = null;
  private poller: PollScheduler | null = null;
  private closed = false;
  /** How this account's instances coordinate; it hands out the stores of the account and its users. */
  readonly coordination: Coordination;
  /** A coordination made here (none was given) is closed with the account. */
  private readonly ownsCoordination: boolean;
  /** Present for a Genesys (or sandbox) account with grant `authorization-code`. */
  readonly userTokens: UserTokens | null = null;

  /** `coordination` absent: local stores in memory (tests and tools that build a runtime directly). */
  constructor(
    readonly settings: AccountSettings & SandboxSettings,
    private readonly credentials: AccountCredentials,
    readonly budget: RequestBudget,
    private readonly deps: { clock: Clock; logger: Logger; coordination?: Coordination; sentLogFile?: string | null; auth?: AccountAuthDeps },
  ) {
    this.ownsCoordination = !deps.coordination;
    this.coordination = deps.coordination ?? new LocalCoordination({ requestsPerMinute: 0 }, { clock: deps.clock, accountId: 'account' });
    if (settings.grant === 'authorization-code' && usesGenesysAuth(settings.provider) && deps.auth) {
      this.userTokens = new UserTokens({
        // Late-bound: the login service is the provider's (the in-process sandbox's URL is known once it runs).
        refresh: (rt) => this.genesys().then((p) => p.oauth.refresh(rt)),
        store: deps.auth.store,
        deployed: credentials.refreshToken,
        clock: deps.clock,
        provider: settings.provider,
        onRotate: deps.auth.onRotate,
        onState: deps.auth.onState,
      });
    }
  }

  /** The Genesys adapter of this account (sign-in: token endpoint and API base of the right region). */
  async genesys(): Promise<GenesysCloudProvider> {
    if (!usesGenesysAuth(this.settings.provider)) throw new SmsError('config_missing', 'only Genesys Cloud accounts sign in a user');
    return (await this.ensure()).provider as GenesysCloudProvider;
  }

  /** Who is signed in, for the editor: never a token. */
  signInStatus(): { grant: string; state: SignInState | 'not-applicable'; user?: string } {
    const t = this.userTokens;
    if (!t) return { grant: this.settings.grant ?? 'client-credentials', state: 'not-applicable' };
    return { grant: 'authorization-code', state: t.state, ...(t.user ? { user: t.user.name } : {}) };
  }

  /** A completed sign-in (or a pasted token): in force at once, durable when this resolves. */
  async signIn(refreshToken: string, user?: SignedInUser): Promise<void> {
    if (!this.userTokens) throw new SmsError('config_missing', 'this account does not sign in a user (grant is not authorization-code)');
    await this.userTokens.signIn(refreshToken, user);
  }

  /** The provider, created on first use; a failed creation is retried on the next call. */
  provider(): Promise<Provider> {
    return this.ensure().then((h) => h.provider);
  }

  /** URL of the in-process sandbox, when this account uses it and it runs. */
  async sandboxUrl(): Promise<string | undefined> {
    const h = await this.ensure();
    return h.sandbox?.url;
  }

  /** One status read, through the provider (and so through the account's request budget). */
  async readStatus(id: string, conversationId?: string): Promise<StatusResult> {
    const provider = await this.provider();
    if (!provider.capabilities.status) {
      throw new SmsError('status_unsupported', `${provider.name} cannot report a message's status by id; use its delivery webhooks instead`, { provider: provider.name });
    }
    return provider.getStatus(id, conversationId);
  }

  /**
   * The account's single status poller: every waiting get-status message of the tenant shares its one
   * timer and its in-flight cap, created on first use.
   */
  statusPoller(): PollScheduler {
    if (!this.poller) {
      this.poller = new PollScheduler({ clock: this.deps.clock, fetchStatus: (id, conv) => this.readStatus(id, conv) });
      // A poller asked for after close settles its waits at once instead of polling a closed account.
      if (this.closed) this.poller.close();
    }
    return this.poller;
  }

  private ensure(): Promise<ProviderHandle> {
    if (this.closed) return Promise.reject(new SmsError('closed', 'the account is being closed (redeploy or shutdown)'));
    if (!this.handle) {
      this.handle = createProvider(this.settings, this.credentials, {
        budget: this.budget,
        clock: this.deps.clock,
        logger: this.deps.logger,
        ...(this.userTokens ? { userTokens: this.userTokens } : {}),
      });
      this.handle.catch(() => {
        this.handle = null;
      });
    }
    return this.handle;
  }

  private optOuts: Promise<OptOutList> | null = null;

  /**
   * The tenant's opt-out list (compliance), opened on first use; every sender and webhook receiver of
   * the account shares it. A failed open is retried on the next call.
   */
  optOutStore(): Promise<OptOutList> {
    if (!this.optOuts) {
      if (this.closed) return Promise.reject(new SmsError('closed', 'the account is being closed (redeploy or shutdown)'));
      this.optOuts = this.coordination.optOutStore();
      this.optOuts.catch(() => {
        this.optOuts = null;
      });
    }
    return this.optOuts;
  }

  private sent: Promise<SentMessages> | null = null;

  /**
   * What this account sent (for replies' `inReplyTo` and the notification channel's own-message filter),
   * kept next to the opt-out list in the user directory; memory only without one.
   */
  sentMessages(): Promise<SentMessages> {
    if (!this.sent) {
      const file = this.deps.sentLogFile ?? null;
      this.sent = SentMessages.open(file, { clock: this.deps.clock }).catch((err: Error) => {
        this.deps.logger.warn(`sent-message log unavailable, kept in memory only: ${err.message}`);
        return SentMessages.open(null, { clock: this.deps.clock });
      });
    }
    return this.sent;
  }

  /** Called for every send the platform accepted (never throws: a reply without inReplyTo is no loss). */
  noteAccepted(r: { id: string; to: string; from?: string; conversationId?: string; metadata?: unknown; queueId?: string }): void {
    if (this.closed || !r.id || !r.to) return;
    const at = this.deps.clock.now();
    void this.sentMessages()
      .then((s) => s.record({ ...r, at }))
      .catch((err: Error) => this.deps.logger.warn(`sent message ${r.id} not recorded: ${err.message}`));
  }

  /** A status pushed by a webhook or the notification channel: get-status waits on it settle at once. */
  offerStatus(u: StatusUpdate): void {
    if (!this.poller) return;
    const final = u.status === 'delivered' || u.status === 'failed' || u.status === 'read';
    this.poller.offer({
      id: u.id,
      conversationId: u.conversationId,
      status: u.status,
      providerStatus: u.providerStatus,
      final,
      ...(Array.isArray(u.receipts) ? { reasons: u.receipts } : {}),
      ...(u.timestamp ? { timestamp: u.timestamp } : {}),
    });
  }

  private hub: NotificationHub | null = null;

  /** The account's one Genesys notification channel, shared by every receiver that follows it. */
  notifications(): NotificationHub {
    if (!this.hub) {
      this.hub = new NotificationHub({
        api: async () => {
          const provider = await this.provider();
          const api = provider.notifications?.();
          if (!api) throw new SmsError('config_missing', `${provider.name} has no Genesys notification channel`);
          return api;
        },
        clock: this.deps.clock,
        logger: this.deps.logger,
      });
      if (this.closed) void this.hub.close();
    }
    return this.hub;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poller?.close();
    await this.hub?.close().catch(() => {});
    await this.sent?.then((s) => s.close()).catch(() => {});
    // Closed but kept: a sender closing at the same time can still read the list (writes are refused).
    await this.optOuts?.then((s) => s.close()).catch(() => {});
    if (this.ownsCoordination) await this.coordination.close().catch(() => {});
    const h = this.handle;
    this.handle = null;
    if (!h) return;
    try {
      const { provider, sandbox } = await h;
      await provider.close();
      await sandbox?.stop();
    } catch {
      /* creation had failed: nothing to close */
    }
  }
}
