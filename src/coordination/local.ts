/**
 * Local coordination (the default): every store of the account in this process and in the Node-RED
 * user directory. The same interface as the Redis coordination, so the account, its senders and its
 * webhook receivers ask it for their stores the same way whichever the account uses.
 */
import os from 'os';
import path from 'path';
import { AccountBudget } from '../dispatch/request-budget';
import { SendQueue } from '../dispatch/send-queue';
import { IdempotencyStore } from '../dispatch/idempotency-store';
import { WebhookEventStore, type EventClaimStore } from '../webhook/event-store';
import { OptOutStore, optOutFile, type OptOutList } from '../compliance/opt-out-store';
import { storePath } from '../store/store-path';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { BudgetSettings, Coordination, SenderStores, SenderStoreSettings } from './coordination';

export interface LocalCoordinationDeps {
  clock: Clock;
  accountId: string;
  /** Node-RED's user directory; without one the account's stores are in memory. */
  userDir?: string;
  /** Where repairs of the store files (a torn last record, skipped lines) are reported. */
  logger?: Logger;
}

/** A receiver's dedupe file, per node id, so it survives restarts and redeploys. */
export function openLocalEventStore(userDir: string | undefined, receiverId: string, clock: Clock, logger?: Logger): Promise<EventClaimStore> {
  // The node id never goes into the path as it is (see storePath).
  const file = storePath(userDir || path.join(os.tmpdir(), 'agentless-sms'), 'webhooks', receiverId, '.jsonl');
  return WebhookEventStore.open(file, { clock, logger });
}

export class LocalCoordination implements Coordination {
  readonly mode = 'local' as const;
  readonly ok = true;
  private optOuts: Promise<OptOutList> | null = null;
  private accountBudget: AccountBudget | null = null;

  constructor(
    private readonly budgetSettings: BudgetSettings,
    private readonly deps: LocalCoordinationDeps,
  ) {}

  /** Created on first use: an account runtime given its own budget (tests, admin checks) never makes one. */
  get budget(): AccountBudget {
    this.accountBudget ??= new AccountBudget({ requestsPerMinute: this.budgetSettings.requestsPerMinute, clock: this.deps.clock, windowMs: this.budgetSettings.windowMs });
    return this.accountBudget;
  }

  /** The sender's durable queue and idempotency keys in its store directory (memory only without one). */
  senderStores(_senderId: string, s: SenderStoreSettings): SenderStores {
    const dir = s.storeDir ?? null;
    return {
      queueStore: new SendQueue(dir, { limit: s.queueLimit, fileName: 'sender-queue.jsonl', logger: s.logger }),
      idempotencyStore: new IdempotencyStore(dir, { retentionMs: s.idempotencyRetentionMs, clock: this.deps.clock, fileName: 'sender-idempotency.jsonl', logger: s.logger }),
      durable: dir !== null,
    };
  }

  eventStore(receiverId: string): Promise<EventClaimStore> {
    return openLocalEventStore(this.deps.userDir, receiverId, this.deps.clock, this.deps.logger);
  }

  /** The opt-out list lives under the account's id in the user directory (memory only without one). */
  optOutStore(): Promise<OptOutList> {
    if (!this.optOuts) {
      const file = this.deps.userDir ? optOutFile(this.deps.userDir, this.deps.accountId) : null;
      this.optOuts = OptOutStore.open(file, { clock: this.deps.clock, logger: this.deps.logger });
      this.optOuts.catch(() => {
        this.optOuts = null;
      });
    }
    return this.optOuts;
  }

  onStatus(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.accountBudget?.close();
    await this.optOuts?.then((s) => s.close()).catch(() => {});
  }
}
