/**
 * What the receiver remembers across restarts: which event ids it has already taken (so a platform's
 * retry is answered 200 but not emitted again) and the furthest status each message has reached (so a
 * late `sent` after `delivered` is not news).
 *
 * Both live in memory, bounded by count and age, and every change is appended to a durable log before
 * the request is acknowledged; the log is compacted to a snapshot of what is still retained. A claim is
 * decided synchronously, so two concurrent deliveries of one event cannot both be taken.
 */
import { AppendLog } from '../store/append-log';
import type { Clock } from '../util/clock';
import { STATUS_RANK, type SmsStatus } from './normalize';

interface LogRecord {
  /** event id taken */
  e?: string;
  /** when */
  t: number;
  /** message statuses that advanced: [messageId, status] */
  m?: [string, SmsStatus][];
}

export interface EventStoreOptions {
  clock: Clock;
  /** How long an event id is remembered (default 7 days: longer than platforms keep retrying). */
  eventRetentionMs?: number;
  /** How long a message's furthest status is remembered (default 30 days). */
  messageRetentionMs?: number;
  maxEvents?: number;
  maxMessages?: number;
  fsync?: boolean;
}

export type Claim =
  /** Already taken (or being taken): `settled` tells whether that first taking reached the disk. */
  | { duplicate: true; settled: Promise<boolean> }
  /** Taken now: `advanced[i]` tells whether update i moved its message forward; `committed` resolves once durable. */
  | { duplicate: false; advanced: boolean[]; committed: Promise<void> };

/**
 * What the receiver needs: `WebhookEventStore` (local file) or the Redis store shared by every instance
 * (src/coordination), whose claim is decided by Redis and so answers asynchronously.
 */
export interface EventClaimStore {
  claim(eventId: string, updates: { id: string; status: SmsStatus }[]): Claim | Promise<Claim>;
  close(): Promise<void>;
}

const DAY = 24 * 3600 * 1000;

export class WebhookEventStore implements EventClaimStore {
  private readonly events = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly messages = new Map<string, { s: SmsStatus; t: number }>();
  private compacting: Promise<void> | null = null;
  private readonly eventRetentionMs: number;
  private readonly messageRetentionMs: number;
  private readonly maxEvents: number;
  private readonly maxMessages: number;

  private constructor(
    private readonly log: AppendLog<LogRecord>,
    private readonly clock: Clock,
    opts: EventStoreOptions,
  ) {
    this.eventRetentionMs = opts.eventRetentionMs ?? 7 * DAY;
    this.messageRetentionMs = opts.messageRetentionMs ?? 30 * DAY;
    this.maxEvents = opts.maxEvents ?? 100_000;
    this.maxMessages = opts.maxMessages ?? 100_000;
  }

  static async open(file: string, opts: EventStoreOptions): Promise<WebhookEventStore> {
    const { log, records } = await AppendLog.open<LogRecord>(file, { fsync: opts.fsync });
    const store = new WebhookEventStore(log, opts.clock, opts);
    for (const r of records) {
      if (typeof r !== 'object' || r === null || typeof r.t !== 'number') continue;
      if (typeof r.e === 'string') store.rememberEvent(r.e, r.t);
      if (Array.isArray(r.m)) for (const [m, s] of r.m) if (s in STATUS_RANK) store.rememberStatus(m, s, r.t);
    }
    store.evict();
    return store;
  }

  get eventCount(): number {
    return this.events.size;
  }
  get messageCount(): number {
    return this.messages.size;
  }

  /** The furthest status recorded for a message, if still retained. */
  statusOf(messageId: string): SmsStatus | undefined {
    return this.messages.get(messageId)?.s;
  }

  claim(eventId: string, updates: { id: string; status: SmsStatus }[]): Claim {
    const pending = this.inflight.get(eventId);
    if (pending) return { duplicate: true, settled: pending };
    if (this.events.has(eventId)) return { duplicate: true, settled: Promise.resolve(true) };

    const now = this.clock.now();
    const advanced: boolean[] = [];
    const changed: [string, SmsStatus][] = [];
    const previous: [string, { s: SmsStatus; t: number } | undefined][] = [];
    for (const u of updates) {
      const prev = this.messages.get(u.id);
      const forward = !prev || STATUS_RANK[u.status] > STATUS_RANK[prev.s];
      advanced.push(forward);
      if (forward) {
        previous.push([u.id, prev]);
        changed.push([u.id, u.status]);
        this.rememberStatus(u.id, u.status, now);
      }
    }
    this.rememberEvent(eventId, now);
    this.evict();

    const record: LogRecord = { e: eventId, t: now };
    if (changed.length) record.m = changed;
    const committed = this.append(record).catch((err: Error) => {
      // Not on disk, so not taken: the sender's retry must be processed afresh.
      this.events.delete(eventId);
      for (const [m, prev] of previous.reverse()) {
        const cur = this.messages.get(m);
        if (prev) this.messages.set(m, prev);
        else if (cur && cur.t === now) this.messages.delete(m);
      }
      throw err;
    });
    const settled = committed.then(
      () => true,
      () => false,
    );
    this.inflight.set(eventId, settled);
    void settled.then(() => this.inflight.delete(eventId));
    return { duplicate: false, advanced, committed };
  }

  private async append(record: LogRecord): Promise<void> {
    // Appends wait for a running compaction: the log file is being replaced underneath.
    if (this.compacting) await this.compacting;
    await this.log.append(record);
    if (this.log.size > Math.max(1000, 2 * (this.events.size + this.messages.size)) && !this.compacting) {
      this.compacting = this.compact().finally(() => {
        this.compacting = null;
      });
    }
  }

  private async compact(): Promise<void> {
    this.evict();
    const snapshot: LogRecord[] = [];
    for (const [m, v] of this.messages) snapshot.push({ t: v.t, m: [[m, v.s]] });
    for (const [e, t] of this.events) snapshot.push({ e, t });
    try {
      await this.log.compact(snapshot);
    } catch {
      // A failed compaction leaves the old log in place, which is still correct, only longer.
    }
  }

  private rememberEvent(e: string, t: number): void {
    this.events.delete(e);
    this.events.set(e, t);
  }

  private rememberStatus(m: string, s: SmsStatus, t: number): void {
    // Re-inserting keeps the map ordered by last change, so eviction drops the stalest first.
    this.messages.delete(m);
    this.messages.set(m, { s, t });
  }

  private evict(): void {
    const now = this.clock.now();
    for (const [e, t] of this.events) {
      if (this.events.size > this.maxEvents || t < now - this.eventRetentionMs) this.events.delete(e);
      else break;
    }
    for (const [m, v] of this.messages) {
      if (this.messages.size > this.maxMessages || v.t < now - this.messageRetentionMs) this.messages.delete(m);
      else break;
    }
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting;
    await Promise.allSettled([...this.inflight.values()]);
    await this.log.close();
  }
}
