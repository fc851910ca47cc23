/**
 * What an account sent, remembered per recipient and per message id, so that
 * - a reply can say which message it answers (`msg.sms.inReplyTo`: the last message sent to that number,
 *   with its `metadata`), and a "reply C to confirm" flow needs no database of its own;
 * - the notification channel can tell our messages from the rest of a queue's conversations.
 *
 * Durable: every accepted send is appended to a JSONL log in the user directory and replayed on start, so a reply that arrives after a restart or a
 * redeploy still finds its message. Bounded: at most `maxEntries` messages and `maxBytes` of them (metadata
 * may be up to 16 KB each), for `retentionMs` (30 days); the oldest go first. Without a user directory it
 * is the same bounded store in memory only.
 *
 * The log is written in batches: the sends of up to WRITE_BATCH_MS share one write and one fdatasync
 * (at thousands of messages a second, one commit per send would cost as many disk syncs as the send
 * queue itself). A send is recorded after its outcome left the node, so a crash could always lose the
 * last sends' records (their replies then carry no `inReplyTo`); the batch bounds that to the last
 * WRITE_BATCH_MS. Memory has each record at once.
 *
 * With Redis coordination it stays per instance: a reply taken by another instance than the one that sent
 * finds no `inReplyTo` (the reply itself is still emitted).
 */
import { AppendLog } from '../store/append-log';
import type { Clock } from '../util/clock';
import { linesInSlices } from '../util/next-turn';
import { OldestFirst } from '../util/oldest-first';
import path from 'path';
import { normalizeOptOutNumber } from '../compliance/opt-out-store';
import { storePath } from '../store/store-path';

/**
 * Next to the account's opt-out list: `<userDir>/agentless-sms/accounts/<id>/sent.jsonl`, the directory
 * named as every other store of the account names it (an id is never put into a path as it is).
 */
export function sentLogFile(userDir: string | undefined, accountId: string): string | null {
  return userDir ? path.join(storePath(userDir, 'accounts', accountId), 'sent.jsonl') : null;
}

export interface SentRecord {
  id: string;
  /** Recipient, E.164. */
  to: string;
  from?: string;
  conversationId?: string;
  metadata?: unknown;
  queueId?: string;
  /** When the platform accepted it (ms since epoch). */
  at: number;
}

/** What a reply carries as `msg.sms.inReplyTo`. */
export interface InReplyTo {
  id: string;
  conversationId?: string;
  to: string;
  from?: string;
  sentAt: string;
  metadata?: unknown;
}

export interface SentMessagesOptions {
  clock: Clock;
  maxEntries?: number;
  maxBytes?: number;
  retentionMs?: number;
  fsync?: boolean;
}

const DAY = 24 * 3600 * 1000;

/** Longest an accepted send's record waits for company before the batch is written. */
export const WRITE_BATCH_MS = 50;

interface Entry {
  r: SentRecord;
  bytes: number;
}

export class SentMessages {
  private readonly byId = new Map<string, Entry>();
  private readonly lastByNumber = new Map<string, string>();
  /** The entries in the order remembered, oldest first. */
  private readonly order = new OldestFirst(this.byId);
  private bytes = 0;
  private compacting: Promise<void> | null = null;
  /** Records waiting for the next batch write, and the promise of that write. */
  private batch: SentRecord[] = [];
  private batchWritten: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;
  private batchTimer: NodeJS.Timeout | null = null;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly retentionMs: number;

  private constructor(
    private readonly log: AppendLog<SentRecord> | null,
    private readonly clock: Clock,
    opts: SentMessagesOptions,
  ) {
    this.maxEntries = opts.maxEntries ?? 50_000;
    this.maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
    this.retentionMs = opts.retentionMs ?? 30 * DAY;
  }

  /** `file` null keeps it in memory only. A log that cannot be opened leaves a memory-only store (logged by the caller). */
  static async open(file: string | null, opts: SentMessagesOptions): Promise<SentMessages> {
    if (file === null) return new SentMessages(null, opts.clock, opts);
    const { log, records } = await AppendLog.open<SentRecord>(file, { fsync: opts.fsync });
    const store = new SentMessages(log, opts.clock, opts);
    for (const r of records) if (isRecord(r)) store.remember(r);
    store.evict();
    return store;
  }

  get size(): number {
    return this.byId.size;
  }

  has(messageId: string): boolean {
    return this.byId.has(messageId);
  }

  get(messageId: string): SentRecord | undefined {
    return this.byId.get(messageId)?.r;
  }

  /** The last message sent to `number` (any notation that parses to the same E.164 number). */
  lastTo(number: string): SentRecord | undefined {
    const key = numberKey(number);
    const id = key ? this.lastByNumber.get(key) : undefined;
    return id ? this.byId.get(id)?.r : undefined;
  }

  inReplyTo(number: string): InReplyTo | undefined {
    const r = this.lastTo(number);
    if (!r) return undefined;
    const out: InReplyTo = { id: r.id, to: r.to, sentAt: new Date(r.at).toISOString() };
    if (r.conversationId) out.conversationId = r.conversationId;
    if (r.from) out.from = r.from;
    if (r.metadata !== undefined) out.metadata = r.metadata;
    return out;
  }

  /** Messages sent at or after `since`, newest first (the channel asks about these after a gap). */
  since(since: number, limit: number): SentRecord[] {
    const out: SentRecord[] = [];
    const all = [...this.byId.values()];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      if (all[i].r.at < since) break;
      out.push(all[i].r);
    }
    return out;
  }

  /** Remember an accepted send; resolves once it is on disk (memory-only: at once). */
  async record(r: SentRecord): Promise<void> {
    if (!isRecord(r)) return;
    this.remember(r);
    this.evict();
    if (!this.log) return;
    await this.inNextBatch(r);
    if (this.log.size > 2 * this.byId.size + 1000 && !this.compacting) {
      this.compacting = this.compact().finally(() => {
        this.compacting = null;
      });
    }
  }

  /** Resolves once the batch holding `r` is on disk. */
  private inNextBatch(r: SentRecord): Promise<void> {
    this.batch.push(r);
    if (!this.batchWritten) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.batchWritten = { promise, resolve, reject };
      this.batchTimer = setTimeout(() => void this.writeBatch(), WRITE_BATCH_MS);
      this.batchTimer.unref?.();
    }
    return this.batchWritten.promise;
  }

  /** Append the waiting records in one tick: the log commits them with one write and one fdatasync. */
  private async writeBatch(): Promise<void> {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const records = this.batch;
    const written = this.batchWritten;
    this.batch = [];
    this.batchWritten = null;
    if (!written) return;
    try {
      // Not held up by a running compaction (see AppendLog.compactWith).
      await Promise.all(records.map((r) => this.log!.append(r)));
      written.resolve();
    } catch (err) {
      written.reject(err as Error);
    }
  }

  private remember(r: SentRecord): void {
    const key = numberKey(r.to);
    if (!key) return;
    const prev = this.byId.get(r.id);
    if (prev) {
      this.bytes -= prev.bytes;
      this.byId.delete(r.id);
    }
    const bytes = approxBytes(r);
    const entry: Entry = { r: { ...r, to: key }, bytes };
    this.order.set(r.id, entry);
    this.bytes += bytes;
    const last = this.lastByNumber.get(key);
    const lastAt = last ? (this.byId.get(last)?.r.at ?? -Infinity) : -Infinity;
    if (r.at >= lastAt) this.lastByNumber.set(key, r.id);
  }

  /** Drop from the oldest while over a bound (found by OldestFirst, not by iterating the map). */
  private evict(): void {
    const cutoff = this.clock.now() - this.retentionMs;
    for (let o = this.order.oldest(); o && (this.byId.size > this.maxEntries || this.bytes > this.maxBytes || o[1].r.at < cutoff); o = this.order.oldest()) {
      const [id, e] = o;
      this.byId.delete(id);
      this.bytes -= e.bytes;
      const key = e.r.to;
      if (this.lastByNumber.get(key) === id) this.lastByNumber.delete(key);
    }
  }

  private async compact(): Promise<void> {
    this.evict();
    // In slices, as the other stores build theirs: at its bounds the snapshot is 50,000 records (up to
    // 32 MB), which held the event loop for 67-92 ms in one piece. A message recorded again while it
    // is built is in it as it was and after it as it is; the later line wins on replay.
    try {
      await this.log!.compactWith(() => linesInSlices(this.byId.values(), (e) => JSON.stringify(e.r)));
    } catch {
      // The old log stays, which is still correct, only longer.
    }
  }

  async close(): Promise<void> {
    await this.writeBatch();
    if (this.compacting) await this.compacting;
    await this.log?.close();
  }
}

/** What an accepted send leaves in the log: the job's recipient and metadata, the platform's ids. */
export function acceptedRecord(
  job: { message: { to: string; from?: string; mode?: string; queueId?: string }; msg: Record<string, unknown> },
  r: { id: string; conversationId?: string },
): Omit<SentRecord, 'at'> {
  const sms = job.msg.sms as Record<string, unknown> | undefined;
  const out: Omit<SentRecord, 'at'> = { id: r.id, to: job.message.to };
  if (job.message.from) out.from = job.message.from;
  if (r.conversationId) out.conversationId = r.conversationId;
  if (job.message.mode === 'queue' && job.message.queueId) out.queueId = job.message.queueId;
  if (sms && sms.metadata !== undefined) out.metadata = sms.metadata;
  return out;
}

/** The key numbers are compared by: E.164 when it parses, else the digits as given. */
export function numberKey(n: string): string | undefined {
  if (typeof n !== 'string' || !n || n.length > 64) return undefined;
  try {
    return normalizeOptOutNumber(n);
  } catch {
    const digits = n.replace(/[^\d+]/g, '');
    return digits || undefined;
  }
}

function isRecord(r: unknown): r is SentRecord {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return typeof o.id === 'string' && o.id.length > 0 && o.id.length <= 256 && typeof o.to === 'string' && typeof o.at === 'number';
}

function approxBytes(r: SentRecord): number {
  let n = 200 + r.id.length + r.to.length;
  if (r.metadata !== undefined) {
    try {
      n += JSON.stringify(r.metadata)?.length ?? 0;
    } catch {
      /* metadata was checked serializable before sending */
    }
  }
  return n;
}
