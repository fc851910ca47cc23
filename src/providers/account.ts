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

export class AccountRuntime {
  private handle: Promise<ProviderHandle> | null = null;
  private poller: PollScheduler | null = null;
  private closed = false;
  /** How this account's instances coordinate; it hands out the stores of the account and its users. */
  readonly coordination: Coordination;
  /** A coordination made here (none was given) is closed with the account. */
  private readonly ownsCoordination: boolean;

  /** `coordination` absent: local stores in memory (tests and tools that build a runtime directly). */
  constructor(
    readonly settings: AccountSettings & SandboxSettings,
    private readonly credentials: AccountCredentials,
    readonly budget: RequestBudget,
    private readonly deps: { clock: Clock; logger: Logger; coordination?: Coordination },
  ) {
    this.ownsCoordination = !deps.coordination;
    this.coordination = deps.coordination ?? new LocalCoordination({ requestsPerMinute: 0 }, { clock: deps.clock, accountId: 'account' });
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
      this.handle = createProvider(this.settings, this.credentials, { budget: this.budget, clock: this.deps.clock, logger: this.deps.logger });
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

  async close(): Promise<void> {
    this.closed = true;
    this.poller?.close();
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
