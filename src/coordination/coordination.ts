/**
 * How the instances of one account coordinate. `local` (the default, src/coordination/local.ts):
 * everything in this process and in the user directory. `redis`: the account's request budget and 429 pauses, each sender's queue and
 * idempotency keys, webhook event dedupe and the opt-out list live in Redis and are shared by every
 * Node-RED instance that runs the same flows against the same Redis.
 */
import type { SharedBudget } from '../dispatch/request-budget';
import type { SenderQueueStore } from '../dispatch/send-queue';
import type { IdempotencyKeys } from '../dispatch/idempotency-store';
import type { EventClaimStore } from '../webhook/event-store';
import type { OptOutList } from '../compliance/opt-out-store';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { RedisLink, safeName, type RedisSettings } from './redis-connection';
import { RedisBudget } from './redis-budget';
import { RedisSendQueue } from './redis-send-queue';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import { RedisEventStore } from './redis-event-store';
import { RedisOptOutStore } from './redis-opt-out-store';
import { loadRedisLibraries, type RedisPackageNames } from './redis-libraries';
import { UnavailableCoordination } from './unavailable-coordination';
import { SmsError } from '../util/errors';
import { LocalCoordination } from './local';

export { LocalCoordination } from './local';

export type CoordinationMode = 'local' | 'redis';

export interface BudgetSettings {
  requestsPerMinute: number;
  /** Only tests shorten it. */
  windowMs?: number;
}

export interface SenderStoreSettings {
  queueLimit: number;
  maxInFlight: number;
  ratePerSecond: number;
  burst: number;
  idempotencyRetentionMs: number;
  logger: Logger;
  /** The sender's directory for local stores (null or absent: memory only). */
  storeDir?: string | null;
}

export interface SenderStores {
  queueStore: SenderQueueStore;
  idempotencyStore: IdempotencyKeys;
  /** False for stores kept in memory only (no user directory): nothing waits for them to open. */
  durable: boolean;
}

export interface Coordination {
  readonly mode: CoordinationMode;
  /** The account's request budget (shared by every instance with Redis). */
  readonly budget: SharedBudget;
  /** A sender's queue and idempotency stores. */
  senderStores(senderId: string, s: SenderStoreSettings): SenderStores;
  /** A webhook receiver's event store (dedupe of retried events). */
  eventStore(receiverId: string): Promise<EventClaimStore>;
  /** The account's opt-out list, opened on first use and shared by its senders and receivers. */
  optOutStore(): Promise<OptOutList>;
  /** False while the shared store is unreachable (always true for local). */
  readonly ok: boolean;
  onStatus(fn: () => void): () => void;
  close(): Promise<void>;
}

export class RedisCoordination implements Coordination {
  readonly mode = 'redis' as const;
  readonly budget: RedisBudget;
  readonly link: RedisLink;
  /** Every key of this account starts with it: `<prefix><accountId>:`. */
  readonly keys: string;
  private optOuts: Promise<OptOutList> | null = null;

  constructor(
    accountId: string,
    private readonly settings: RedisSettings,
    budget: BudgetSettings,
    private readonly deps: { clock: Clock; logger: Logger; packages?: RedisPackageNames },
  ) {
    // Throws dependency_missing (naming the install command) when ioredis or BullMQ is not installed.
    this.link = new RedisLink(settings, deps.logger, undefined, loadRedisLibraries(deps.packages));
    this.keys = `${settings.keyPrefix}${safeName(accountId)}:`;
    this.budget = new RedisBudget(this.link, { requestsPerMinute: budget.requestsPerMinute, windowMs: budget.windowMs, keys: this.keys, clock: deps.clock });
  }

  get ok(): boolean {
    return this.link.ok;
  }

  onStatus(fn: () => void): () => void {
    return this.link.onStatus(fn);
  }

  senderStores(senderId: string, s: SenderStoreSettings): SenderStores {
    const burst = Math.max(1, Math.floor(s.burst));
    return {
      queueStore: new RedisSendQueue(this.link, {
        // BullMQ keys: '<prefix><accountId>:queue:<name>:...' (its names must not contain ':').
        prefix: `${this.keys}queue`,
        name: `sender-${safeName(senderId)}`,
        limit: s.queueLimit,
        concurrency: s.maxInFlight,
        leaseMs: this.settings.leaseMs,
        whenDown: this.settings.whenDown,
        pace: { max: burst, duration: Math.max(1, Math.round((burst * 1000) / s.ratePerSecond)) },
        logger: s.logger,
      }),
      idempotencyStore: new RedisIdempotencyStore(this.link, `${this.keys}idempotency:${safeName(senderId)}:`, s.idempotencyRetentionMs),
      durable: true,
    };
  }

  eventStore(receiverId: string): Promise<EventClaimStore> {
    return Promise.resolve(new RedisEventStore(this.link, `${this.keys}webhook:${safeName(receiverId)}:`));
  }

  optOutStore(): Promise<OptOutList> {
    if (!this.optOuts) {
      this.optOuts = RedisOptOutStore.open(this.link, this.keys, this.deps.clock);
      this.optOuts.catch(() => {
        this.optOuts = null;
      });
    }
    return this.optOuts;
  }

  async close(): Promise<void> {
    this.budget.close();
    await this.optOuts?.then((s) => s.close()).catch(() => {});
    await this.link.close();
  }
}

/**
 * The coordination an account's settings ask for (`local` unless `redis` is chosen). Redis that cannot
 * start (libraries not installed, unusable URL) gives an UnavailableCoordination holding the reason.
 */
export function createCoordination(
  accountId: string,
  parsed: { budget: BudgetSettings; coordination: { mode: 'local' } | { mode: 'redis'; redis: RedisSettings } },
  deps: { clock: Clock; logger: Logger; userDir?: string; packages?: RedisPackageNames },
): Coordination {
  if (parsed.coordination.mode !== 'redis') return new LocalCoordination(parsed.budget, { clock: deps.clock, accountId, userDir: deps.userDir, logger: deps.logger });
  try {
    return new RedisCoordination(accountId, parsed.coordination.redis, parsed.budget, deps);
  } catch (err) {
    if (err instanceof SmsError) return new UnavailableCoordination(err, parsed.budget, deps.clock);
    throw err;
  }
}
