/**
 * The durable FIFO of a sender, on an append log in the Node-RED user directory.
 *
 * Records: `add` (job, before the node acknowledges it), `start` (before each request, so a crash
 * mid-request is known to be ambiguous), `retry` (an attempt ended without sending, or may be
 * resent), `result` (outcome known, written before it is delivered so a restart re-delivers rather
 * than loses it), `done` (delivered; the job is forgotten). Memory holds the same state; the log is
 * compacted to a snapshot of it when finished records dominate.
 *
 * Every file-system failure reaches the caller as SmsError('store_unavailable'); a failed write
 * may leave a torn line, so the next write first rewrites the whole file from memory. After a failure
 * the queue also tries that rewrite by itself (1 s, doubling to 30 s), so its health (`ok`, `onStatus`)
 * comes back when the disk does, not only when the next message arrives.
 */
import path from 'path';
import { AppendLog } from '../store/append-log';
import { SmsError } from '../util/errors';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import { toStorable, type SendJob, type StoredOutcome } from './job';

export type QueueRecord =
  | { op: 'add'; job: SendJob }
  | { op: 'start'; id: string; attempts: number }
  | { op: 'retry'; id: string; attempts: number }
  | { op: 'result'; id: string; outcome: StoredOutcome }
  | { op: 'done'; id: string };

export interface QueueEntry {
  job: SendJob;
  /** A request was started and its end not recorded: after a crash it may have been sent. */
  started: boolean;
  /** Known outcome not yet delivered to its node. */
  outcome?: StoredOutcome;
}

/**
 * What the dispatcher needs from a sender's queue store. `SendQueue` keeps it in the user directory;
 * the Redis store (src/coordination) shares it between instances: there `all()` holds only the jobs
 * this instance has claimed, and jobs claimed later (e.g. taken over from an instance that died)
 * arrive through `onArrive`.
 */
export interface SenderQueueStore {
  /** Load the store; returns the entries to resume, in order. Throws SmsError store_unavailable. */
  open(): Promise<QueueEntry[]>;
  /** Jobs waiting or in progress here (no outcome yet). */
  readonly waiting: number;
  /** False while the store cannot be written. */
  readonly ok: boolean;
  get(id: string): QueueEntry | undefined;
  all(): IterableIterator<QueueEntry>;
  add(job: SendJob): Promise<void>;
  markStarted(id: string, attempts: number): Promise<void>;
  markRetry(id: string, attempts: number): Promise<void>;
  markResult(id: string, outcome: StoredOutcome): Promise<void>;
  markDone(id: string): Promise<void>;
  close(): Promise<void>;
  /** Entries claimed after open (shared stores only). */
  onArrive?(fn: (entry: QueueEntry) => void): void;
  /** Store health changed (shared stores only). */
  onStatus?(fn: () => void): () => void;
  /**
   * Give a claimed job back to the shared queue untouched (shared stores only): used when its start
   * could not be recorded, so it is neither sent nor failed here.
   */
  release?(id: string): void;
}

export interface SendQueueOptions {
  /** Jobs waiting or being sent (delivered-pending outcomes do not count). */
  limit: number;
  fileName?: string;
  fsync?: boolean;
  /** Compact once the log has at least this many lines and 4x more than live records. */
  compactMinRecords?: number;
  logger?: Logger;
}

export class SendQueue implements SenderQueueStore {
  private readonly entries = new Map<string, QueueEntry>();
  private log: AppendLog<QueueRecord> | null = null;
  private maintenance: Promise<void> | null = null;
  private broken = false;
  private waitingCount = 0;
  private closed = false;
  private readonly file: string | null;
  private readonly opts: Required<Omit<SendQueueOptions, 'fileName'>>;
  private healthy = true;
  private readonly statusListeners = new Set<() => void>();
  private probeTimer: NodeJS.Timeout | null = null;
  private probeDelayMs = PROBE_MIN_MS;

  /** False after a failed write until the file could be written again. */
  get ok(): boolean {
    return this.healthy;
  }

  private set ok(v: boolean) {
    if (v) this.probeDelayMs = PROBE_MIN_MS;
    else if (this.broken) this.scheduleProbe();
    if (v === this.healthy) return;
    this.healthy = v;
    for (const fn of [...this.statusListeners]) {
      try {
        fn();
      } catch {
        /* a status callback must not break the queue */
      }
    }
  }

  onStatus(fn: () => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  constructor(dir: string | null, opts: SendQueueOptions) {
    this.file = dir === null ? null : path.join(dir, opts.fileName ?? 'send-queue.jsonl');
    this.opts = { limit: opts.limit, fsync: opts.fsync ?? true, compactMinRecords: opts.compactMinRecords ?? 1000, logger: opts.logger ?? silentLogger };
  }

  /** Load the store; returns the entries in their original order. Throws SmsError store_unavailable. */
  async open(): Promise<QueueEntry[]> {
    if (!this.file) return [];
    try {
      // Opened again after a failed start: let go of what the first attempt opened.
      if (this.log) await this.log.close().catch(() => {});
      this.log = null;
      const { log, records } = await AppendLog.open<QueueRecord>(this.file, { fsync: this.opts.fsync, accept: isQueueRecord, logger: this.opts.logger });
      this.log = log;
      for (const r of records) this.apply(r);
    } catch (err) {
      this.ok = false;
      throw storeError(err);
    }
    this.ok = true;
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Jobs waiting or in progress (no outcome yet). */
  get waiting(): number {
    return this.waitingCount;
  }

  get(id: string): QueueEntry | undefined {
    return this.entries.get(id);
  }

  /** All entries in FIFO order (a live iterator over the map). */
  all(): IterableIterator<QueueEntry> {
    return this.entries.values();
  }

  /** Resolves once the job is on disk. Rejects queue_full (nothing written) or store_unavailable. */
  async add(job: SendJob): Promise<void> {
    if (this.closed) throw new SmsError('closed', 'The sender is closed');
    if (this.entries.has(job.id)) throw new SmsError('unknown_error', `Duplicate job id ${job.id}`);
    if (this.waitingCount >= this.opts.limit) {
      throw new SmsError('queue_full', `The send queue is full (${this.opts.limit} messages)`, { retryable: true });
    }
    // Reserve the slot synchronously so concurrent adds cannot overshoot the limit.
    this.entries.set(job.id, { job, started: false });
    this.waitingCount++;
    try {
      await this.write({ op: 'add', job: toStorable(job) as SendJob });
    } catch (err) {
      if (this.entries.get(job.id)?.job === job) {
        this.entries.delete(job.id);
        this.waitingCount--;
      }
      throw err;
    }
  }

  markStarted(id: string, attempts: number): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return Promise.resolve();
    e.started = true;
    e.job.attempts = attempts;
    return this.write({ op: 'start', id, attempts });
  }

  markRetry(id: string, attempts: number): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return Promise.resolve();
    e.started = false;
    e.job.attempts = attempts;
    return this.write({ op: 'retry', id, attempts });
  }

  /** Record the outcome (memory at once, disk when resolved); the entry stops counting as waiting. */
  markResult(id: string, outcome: StoredOutcome): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return Promise.resolve();
    if (!e.outcome) this.waitingCount--;
    e.outcome = outcome;
    e.started = false;
    return this.write({ op: 'result', id, outcome });
  }

  markDone(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return Promise.resolve();
    if (!e.outcome) this.waitingCount--;
    this.entries.delete(id);
    const p = this.write({ op: 'done', id });
    this.maybeCompact();
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    try {
      if (this.maintenance) await this.maintenance;
      await this.log?.close();
    } catch (err) {
      this.opts.logger.warn(`send queue: close failed: ${(err as Error).message}`);
    }
  }

  private apply(r: QueueRecord): void {
    switch (r.op) {
      case 'add':
        if (!this.entries.has(r.job.id)) {
          this.entries.set(r.job.id, { job: r.job, started: false });
          this.waitingCount++;
        }
        break;
      case 'start':
      case 'retry': {
        const e = this.entries.get(r.id);
        if (e) {
          e.started = r.op === 'start';
          e.job.attempts = r.attempts;
        }
        break;
      }
      case 'result': {
        const e = this.entries.get(r.id);
        if (e) {
          if (!e.outcome) this.waitingCount--;
          e.outcome = r.outcome;
          e.started = false;
        }
        break;
      }
      case 'done': {
        const e = this.entries.get(r.id);
        if (e) {
          if (!e.outcome) this.waitingCount--;
          this.entries.delete(r.id);
        }
        break;
      }
    }
  }

  private snapshot(): QueueRecord[] {
    const out: QueueRecord[] = [];
    for (const e of this.entries.values()) {
      out.push({ op: 'add', job: toStorable(e.job) as SendJob });
      if (e.started) out.push({ op: 'start', id: e.job.id, attempts: e.job.attempts });
      if (e.outcome) out.push({ op: 'result', id: e.job.id, outcome: e.outcome });
    }
    return out;
  }

  /**
   * Memory was already updated by the caller. Decide synchronously whether to wait for maintenance:
   * a record appended before a compaction starts is drained into the old file and covered by the
   * snapshot; one issued during it goes to the new file after.
   */
  private write(rec: QueueRecord): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.closed) return Promise.reject(new SmsError('store_unavailable', 'The send queue store is closed'));
    const go = async (): Promise<void> => {
      if (this.broken) {
        // One recovery at a time; writes that arrive meanwhile wait for it.
        if (!this.maintenance) {
          this.maintenance = this.rewrite().finally(() => {
            this.maintenance = null;
          });
        }
        await this.maintenance;
      }
      if (!this.log) throw new SmsError('store_unavailable', 'The send queue store is not open');
      try {
        await this.log.append(rec);
        this.ok = true;
      } catch (err) {
        this.broken = true;
        this.ok = false;
        throw storeError(err);
      }
    };
    return this.maintenance ? this.maintenance.then(go) : go();
  }

  /** Recover after a failed write or compaction: reopen and replace the file with memory. */
  private async rewrite(): Promise<void> {
    try {
      if (this.log) await this.log.close().catch(() => {});
      const { log } = await AppendLog.open<QueueRecord>(this.file!, { fsync: this.opts.fsync, accept: isQueueRecord, logger: this.opts.logger });
      this.log = log;
      await log.compact(this.snapshot());
      this.broken = false;
      this.ok = true;
    } catch (err) {
      this.ok = false;
      throw storeError(err);
    }
  }

  /** While broken, try the recovery rewrite by itself, backing off; a write in between may beat it to it. */
  private scheduleProbe(): void {
    if (this.probeTimer || this.closed || !this.file) return;
    const delay = this.probeDelayMs;
    this.probeDelayMs = Math.min(PROBE_MAX_MS, delay * 2);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (this.closed || !this.broken) return;
      if (this.maintenance)
        return void this.maintenance.then(
          () => this.scheduleProbe(),
          () => this.scheduleProbe(),
        );
      this.maintenance = this.rewrite()
        .catch(() => {
          /* still down: rewrite() scheduled the next try */
        })
        .finally(() => {
          this.maintenance = null;
        });
    }, delay);
    this.probeTimer.unref?.();
  }

  private maybeCompact(): void {
    const log = this.log;
    if (!log || this.maintenance || this.broken || this.closed) return;
    if (log.size < this.opts.compactMinRecords || log.size <= 4 * this.entries.size) return;
    const snapshot = this.snapshot();
    this.maintenance = log
      .compact(snapshot)
      .catch((err) => {
        this.broken = true;
        this.ok = false;
        this.opts.logger.warn(`send queue: compaction failed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.maintenance = null;
      });
  }
}

/** A record this queue can apply; anything else on disk (a `null` line, a foreign file) is skipped. */
export function isQueueRecord(r: unknown): r is QueueRecord {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  const obj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  switch (x.op) {
    case 'add': {
      const j = x.job as Record<string, unknown> | null;
      return obj(j) && typeof j!.id === 'string' && typeof j!.nodeId === 'string' && obj(j!.message) && typeof j!.enqueuedAt === 'number' && typeof j!.attempts === 'number' && obj(j!.msg);
    }
    case 'start':
    case 'retry':
      return typeof x.id === 'string' && typeof x.attempts === 'number';
    case 'result':
      return typeof x.id === 'string' && obj(x.outcome) && typeof (x.outcome as { ok?: unknown }).ok === 'boolean';
    case 'done':
      return typeof x.id === 'string';
    default:
      return false;
  }
}

const PROBE_MIN_MS = 1000;
const PROBE_MAX_MS = 30_000;

export function storeError(err: unknown): SmsError {
  if (err instanceof SmsError && err.code === 'store_unavailable') return err;
  const e = err as NodeJS.ErrnoException;
  const why = e && e.code ? `${e.code}: ${e.message}` : String((e && e.message) || e);
  return new SmsError('store_unavailable', `The message store is unavailable (${why})`, { retryable: true });
}
