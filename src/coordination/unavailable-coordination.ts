/**
 * An account set to Redis coordination that cannot start it: the Redis libraries are not installed
 * (dependency_missing) or the Redis settings are unusable (config_missing). It never falls back to local
 * coordination, which would split the request budget and the queues between instances without anyone
 * noticing: every shared store answers with the reason instead, so each message leaves on output 2 with
 * that code and the fix in its message, and webhook receivers report the store as failed (events are
 * answered 500, so the platform retries them once the account works).
 */
import { AccountBudget } from '../dispatch/request-budget';
import type { EventClaimStore } from '../webhook/event-store';
import type { OptOutList } from '../compliance/opt-out-store';
import type { SmsError } from '../util/errors';
import type { Clock } from '../util/clock';
import type { BudgetSettings, Coordination, SenderStores, SenderStoreSettings } from './coordination';

export class UnavailableCoordination implements Coordination {
  readonly mode = 'redis' as const;
  /** Only status reads draw from it: no message is sent through this account. */
  readonly budget: AccountBudget;
  readonly ok = false;

  constructor(
    readonly error: SmsError,
    budget: BudgetSettings,
    clock: Clock,
  ) {
    this.budget = new AccountBudget({ requestsPerMinute: budget.requestsPerMinute, clock, windowMs: budget.windowMs });
  }

  /** Thrown while the sender starts: the sender keeps it as its configuration error for every message. */
  senderStores(_senderId: string, _settings: SenderStoreSettings): SenderStores {
    throw this.error;
  }

  eventStore(_receiverId: string): Promise<EventClaimStore> {
    return Promise.reject(this.error);
  }

  optOutStore(): Promise<OptOutList> {
    return Promise.reject(this.error);
  }

  onStatus(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.budget.close();
  }
}
