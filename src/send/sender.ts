/**
 * What an `agentless-sender` config node holds at run time: either a ready sender (the profile: from
 * number, country, mode; its dispatch engine: durable queue, pace, retries, circuit breaker; and the
 * account it sends through) or the configuration problem (no account, invalid from number), so every
 * message gets a clear answer instead of a crash.
 */
import { SmsError } from '../util/errors';
import { normalizeSender, validateDefaultCountry } from '../phone/number';
import { capabilitiesOf } from '../providers/factory';
import { Dispatcher } from '../dispatch/dispatcher';
import type { AccountRuntime } from '../providers/account';
import type { ProviderCapabilities, ProviderName } from '../providers/types';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { SenderProfile } from './prepare';
import { CompliancePolicy, type ComplianceSettings } from '../compliance/policy';
import type { GateDecision, SendJob } from '../dispatch/dispatcher';
import { grantMismatch } from '../auth/grant-rules';

export interface DispatchSettings {
  ratePerSecond: number;
  burst: number;
  queueLimit: number;
  /** Requests in flight at once. 1 keeps strict order; more raises throughput, outcomes may reorder. */
  concurrency: number;
  maxAttempts: number;
  deadlineMs: number;
  retryAfterCapMs: number;
  resendAmbiguous: boolean;
  breakerFailFast: boolean;
  breakerThreshold: number;
  breakerWindowMs: number;
  breakerMinCalls: number;
  breakerCoolDownMs: number;
  idempotencyRetentionMs: number;
}

export type SenderSettings = SenderProfile & DispatchSettings & { compliance?: Partial<ComplianceSettings> };

export const DISPATCH_DEFAULTS: DispatchSettings = {
  ratePerSecond: 1,
  burst: 1,
  queueLimit: 1000,
  concurrency: 1,
  maxAttempts: 5,
  deadlineMs: 3_600_000,
  retryAfterCapMs: 180_000,
  resendAmbiguous: false,
  breakerFailFast: false,
  breakerThreshold: 0.15,
  breakerWindowMs: 300_000,
  breakerMinCalls: 20,
  breakerCoolDownMs: 30_000,
  idempotencyRetentionMs: 86_400_000,
};

/** A sender whose configuration is usable: every message goes through its dispatcher. */
export class ReadySender {
  readonly kind = 'ready' as const;
  readonly dispatcher: Dispatcher;
  readonly capabilities: ProviderCapabilities;
  readonly profile: SenderProfile;
  /** The sender's compliance gates (defaults: only the opt-out check). */
  readonly compliance: CompliancePolicy;
  /** Wall clock of the quiet-hours window (the system clock; tests may shift it). */
  readonly complianceClock: Clock;
  private readonly clock: Clock;

  /** `storeDir`: where the durable queue lives (null keeps it in memory, e.g. no user directory). Throws SmsError on a bad configuration. */
  constructor(
    readonly account: AccountRuntime,
    readonly settings: SenderSettings,
    deps: SenderDeps,
  ) {
    this.clock = deps.clock;
    this.complianceClock = deps.complianceClock ?? deps.clock;
    this.capabilities = capabilitiesOf(account.settings.provider);
    this.profile = {
      fromAddress: settings.fromAddress ? normalizeSender(settings.fromAddress) : settings.fromAddress,
      defaultCountry: validateDefaultCountry(settings.defaultCountry),
      mode: settings.mode,
      queueId: settings.queueId,
      channelUuid: settings.channelUuid,
    };
    this.compliance = new CompliancePolicy(settings.compliance ?? {});
    // Local: in the sender's store directory. Redis: shared by every instance of the account.
    const stores = account.coordination.senderStores(deps.senderId ?? 'sender', {
      queueLimit: settings.queueLimit,
      maxInFlight: 1,
      ratePerSecond: settings.ratePerSecond,
      burst: settings.burst,
      idempotencyRetentionMs: settings.idempotencyRetentionMs,
      logger: deps.logger,
      storeDir: deps.storeDir,
    });
    this.dispatcher = new Dispatcher(() => account.provider(), account.budget, {
      storeDir: deps.storeDir,
      ratePerSecond: settings.ratePerSecond,
      burst: settings.burst,
      queueLimit: settings.queueLimit,
      maxInFlight: settings.concurrency,
      maxAttempts: settings.maxAttempts,
      deadlineMs: settings.deadlineMs,
      retryAfterCapMs: settings.retryAfterCapMs,
      resendAmbiguous: settings.resendAmbiguous,
      breaker: {
        failureThreshold: settings.breakerThreshold,
        windowMs: settings.breakerWindowMs,
        minimumCalls: settings.breakerMinCalls,
        coolDownMs: settings.breakerCoolDownMs,
      },
      breakerFailFast: settings.breakerFailFast,
      idempotencyRetentionMs: settings.idempotencyRetentionMs,
      clock: deps.clock,
      logger: deps.logger,
      gate: (job) => this.dispatchGate(job),
      queueStore: stores.queueStore,
      idempotencyStore: stores.idempotencyStore,
      persistent: stores.durable,
    });
    void this.dispatcher.start();
  }

  /**
   * Asked by the dispatcher right before each request: opt-outs may have arrived while the message
   * waited, and the window may have closed. A hold is converted from the compliance clock to the
   * dispatcher's clock (they differ only when a test shifts the wall clock).
   */
  private async dispatchGate(job: SendJob): Promise<GateDecision> {
    const policy = this.compliance;
    const list = policy.settings.optOutCheck ? await this.account.optOutStore() : null;
    if (list?.refresh) {
      try {
        // A shared list: a STOP taken by another instance a moment ago must count.
        await list.refresh(job.message.to);
      } catch {
        // Not knowing is no licence to text: ask again shortly.
        return { holdUntil: this.clock.now() + 1000 };
      }
    }
    const now = this.complianceClock.now();
    const d = policy.checkDispatch(job.message.to, list, now);
    if ('fail' in d) return d.fail;
    if ('holdUntil' in d) return { holdUntil: this.clock.now() + (d.holdUntil - now) };
    return null;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** A sender that cannot send (no account, invalid from number, ...): every message gets this error. */
export interface MisconfiguredSender {
  readonly kind: 'config-error';
  readonly error: SmsError;
  /** The account's platform, when there is an account: named on every message it answers. */
  readonly provider?: ProviderName;
  readonly settings: SenderSettings;
  close(): Promise<void>;
}

/** What an agentless-sender config node holds at run time. */
export type SenderRuntime = ReadySender | MisconfiguredSender;

export interface SenderDeps {
  clock: Clock;
  logger: Logger;
  storeDir: string | null;
  complianceClock?: Clock;
  senderId?: string;
}

/** The sender's runtime; a configuration problem becomes a MisconfiguredSender rather than a throw. */
export function createSender(account: AccountRuntime | null, settings: SenderSettings, deps: SenderDeps): SenderRuntime {
  try {
    if (!account) throw new SmsError('config_missing', 'the sender has no account configured');
    // Queue mode needs a signed-in user, agentless needs client credentials: a mismatch is a config error.
    const wrongGrant = grantMismatch(account.settings.provider, account.settings.grant, settings.mode);
    if (wrongGrant) throw wrongGrant;
    return new ReadySender(account, settings, deps);
  } catch (err) {
    const error = err instanceof SmsError ? err : new SmsError('config_missing', String(err));
    return { kind: 'config-error', error, settings, provider: account?.settings.provider, close: async () => {} };
  }
}
