/**
 * What the receiver remembers across restarts: which event ids it has already taken (so a platform's
 * retry is answered 200 but not emitted again) and the furthest status each message has reached (so a
 * late `sent` after `delivered` is not news).
 *
 * Both live in memory, bounded by count, age and key length, and every change is appended to a durable
 * log before the request is acknowledged; the log is compacted to a snapshot of what is still retained,
 * by bytes as well as by lines. A claim is decided synchronously, so two concurrent deliveries of one
 * event cannot both be taken.
 *
 * The bound (a flood of unique events, signed or not, cannot exceed it): at most `maxEvents` event ids
 * and `maxMessages` message statuses, each key at most MAX_KEY_CHARS characters (a longer id is kept as
 * its SHA-256), so memory is a few tens of MB at the defaults; the file is compacted once it is larger
 * than twice its snapshot (and at least COMPACT_MIN_BYTES), so it stays under twice the snapshot of
 * that index, plus what a compaction lets through meanwhile (a quarter of that, at least 1 MiB: see
 * allowanceWhileCompacting), plus one batch.
 */
import { createHash } from 'crypto';
import { AppendLog } from '../store/append-log';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { linesInSlices } from '../util/next-turn';
import { OldestFirst } from '../util/oldest-first';
import { STATUS_RANK, type SmsStatus } from './normalize';

/** Ids up to this length are kept as they are; longer ones (or ones starting with '#') as '#' + SHA-256. */
export const MAX_KEY_CHARS = 64;
/** The log is not compacted by bytes below this size. */
export const COMPACT_MIN_BYTES = 1024 * 1024;
/** Bytes a snapshot line takes besides its key(s): `{"e":"","t":1733000000000}` and `{"t":..,"m":[["","delivered"]]}`. */
const EVENT_LINE_BYTES = 24;
const MESSAGE_LINE_BYTES = 40;

/**
 * A key read back from the file: written as a store key already, except in files from before keys were
 * bounded, which may hold raw long ids.
 */
function loadKey(k: string): string {
  return k.length <= MAX_KEY_CHARS ? k : storeKey(k);
}

/** The key an id is remembered under: bounded in length whatever the sender puts in it. */
export function storeKey(id: string): string {
  if (id.length <= MAX_KEY_CHARS && !id.startsWith('#')) return id;
  return '#' + createHash('sha256').update(id).digest('base64url');
}

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
  /** Where repairs of the file (a torn last record, skipped lines) are reported. */
  logger?: Logger;
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
  /** Event id -> when it was taken, oldest first. */
  private readonly events = new Map<string, { t: number }>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  /** Message id -> its furthest status and when that was recorded, least recently changed first. */
  private readonly messages = new Map<string, { s: SmsStatus; t: number }>();
  private readonly eventOrder = new OldestFirst(this.events);
  private readonly messageOrder = new OldestFirst(this.messages);
  private compaction: Promise<void> | null = null;
  private readonly eventRetentionMs: number;
  private readonly messageRetentionMs: number;
  private readonly maxEvents: number;
  private readonly maxMessages: number;
  /** Roughly what a snapshot of the index takes on disk (to compact by bytes). */
  private snapshotBytes = 0;

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
    const accept = (r: unknown) => typeof (r as LogRecord | null)?.t === 'number';
    const { log, records } = await AppendLog.open<LogRecord>(file, { fsync: opts.fsync, accept, logger: opts.logger });
    const store = new WebhookEventStore(log, opts.clock, opts);
    for (const r of records) {
      if (typeof r.e === 'string') store.rememberEvent(loadKey(r.e), r.t);
      if (Array.isArray(r.m)) {
        for (const u of r.m) if (Array.isArray(u) && typeof u[0] === 'string' && typeof u[1] === 'string' && u[1] in STATUS_RANK) store.rememberStatus(loadKey(u[0]), u[1], r.t);
      }
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
    return this.messages.get(storeKey(messageId))?.s;
  }

  /** Bytes of the log file now (tests and diagnostics). */
  get logBytes(): number {
    return this.log.bytes;
  }

  /** Whether the log is being compacted now (tests and diagnostics). */
  get compacting(): boolean {
    return this.compaction !== null;
  }

  claim(rawEventId: string, updates: { id: string; status: SmsStatus }[]): Claim {
    const eventId = storeKey(rawEventId);
    const pending = this.inflight.get(eventId);
    if (pending) return { duplicate: true, settled: pending };
    if (this.events.has(eventId)) return { duplicate: true, settled: Promise.resolve(true) };

    const now = this.clock.now();
    const advanced: boolean[] = [];
    const changed: [string, SmsStatus][] = [];
    const previous: [string, { s: SmsStatus; t: number } | undefined][] = [];
    for (const u of updates) {
      const key = storeKey(u.id);
      const prev = this.messages.get(key);
      const forward = !prev || STATUS_RANK[u.status] > STATUS_RANK[prev.s];
      advanced.push(forward);
      if (forward) {
        previous.push([key, prev]);
        changed.push([key, u.status]);
        this.rememberStatus(key, u.status, now);
      }
    }
    this.rememberEvent(eventId, now);
    this.evict();

    const record: LogRecord = { e: eventId, t: now };
    if (changed.length) record.m = changed;
    const committed = this.append(record).catch((err: Error) => {
      // Not on disk, so not taken: the sender's retry must be processed afresh.
      this.forgetEvent(eventId);
      for (const [m, prev] of previous.reverse()) {
        const cur = this.messages.get(m);
        if (prev) this.rememberStatus(m, prev.s, prev.t);
        else if (cur && cur.t === now) this.forgetStatus(m);
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
    // Not held up by a running compaction: the log commits it to the current file and copies it into
    // the new one (see AppendLog.compactWith). At the bounds acknowledgements waited up to 300 ms for
    // each compaction when they did.
    await this.log.append(record);
    const byLines = this.log.size > Math.max(1000, 2 * (this.events.size + this.messages.size));
    const byBytes = this.log.bytes > Math.max(COMPACT_MIN_BYTES, 2 * this.snapshotBytes);
    if ((byLines || byBytes) && !this.compaction) {
      this.compaction = this.compact().finally(() => {
        this.compaction = null;
      });
    }
  }

  private async compact(): Promise<void> {
    this.evict();
    // Built in slices, with a turn of the event loop between them: at the bounds the snapshot is 200,000
    // records, about 150 ms of serializing here, which in one piece would hold up every flow of the
    // runtime. Appends go on meanwhile and follow the snapshot in the new file. An entry that changes
    // while the snapshot is built is in it as it was and again as it is (the later line wins on
    // replay); one evicted meanwhile may be in it, and is evicted again after a restart.
    const snapshot = async (): Promise<string[]> => {
      const lines = await linesInSlices(this.messages, ([m, v]) => JSON.stringify({ t: v.t, m: [[m, v.s]] }));
      return linesInSlices(this.events, ([e, { t }]) => JSON.stringify({ e, t }), lines);
    };
    try {
      await this.log.compactWith(snapshot);
    } catch {
      // A failed compaction leaves the old log in place, which is still correct, only longer.
    }
  }

  private rememberEvent(e: string, t: number): void {
    this.forgetEvent(e);
    this.eventOrder.set(e, { t });
    this.snapshotBytes += e.length + EVENT_LINE_BYTES;
  }

  private forgetEvent(e: string): void {
    if (this.events.delete(e)) this.snapshotBytes -= e.length + EVENT_LINE_BYTES;
  }

  private rememberStatus(m: string, s: SmsStatus, t: number): void {
    // Re-inserting keeps the map ordered by last change, so eviction drops the stalest first.
    this.forgetStatus(m);
    this.messageOrder.set(m, { s, t });
    this.snapshotBytes += m.length + MESSAGE_LINE_BYTES;
  }

  private forgetStatus(m: string): void {
    if (this.messages.delete(m)) this.snapshotBytes -= m.length + MESSAGE_LINE_BYTES;
  }

  private evict(): void {
    const now = this.clock.now();
    // From the front of each order (see OldestFirst: iterating the maps would walk their deleted slots).
    for (let o = this.eventOrder.oldest(); o && (this.events.size > this.maxEvents || o[1].t < now - this.eventRetentionMs); o = this.eventOrder.oldest()) this.forgetEvent(o[0]);
    for (let o = this.messageOrder.oldest(); o && (this.messages.size > this.maxMessages || o[1].t < now - this.messageRetentionMs); o = this.messageOrder.oldest()) this.forgetStatus(o[0]);
  }

  async close(): Promise<void> {
    if (this.compaction) await this.compaction;
    await Promise.allSettled([...this.inflight.values()]);
    await this.log.close();
  }
}
