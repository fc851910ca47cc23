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
 *
 * Writes are group-committed by the log: records issued in the same tick share one write and one
 * fdatasync. `done` records are not urgent (a crash before one is on disk re-delivers the stored
 * outcome, as it always could between delivery and that write), so they wait for the next urgent
 * write, or at most DONE_DELAY_MS, instead of costing an fsync of their own.
 *
 * A long queue does not live in memory: once more than HOT_JOBS jobs wait ahead of it, a job's line
 * (the same text that went into the log) is copied to a spill file next to the log and memory keeps
 * only its id and place there; the job is read back when it nears the front. The spill file is a
 * cache, never the record: the log stays the only thing a restart reads.
 */
import { readFileSync } from 'fs';
import path from 'path';
import { AppendLog } from '../store/append-log';
import { SpillFile } from '../store/spill-file';
import { SmsError } from '../util/errors';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import { SNAPSHOT_SLICE, nextTurn } from '../util/next-turn';
import { OldestFirst } from '../util/oldest-first';
import { storableJson, type SendJob, type StoredOutcome } from './job';

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

/** Longest a `done` record waits for company before it is written alone. */
const DONE_DELAY_MS = 20;

/** Jobs kept in memory at the front of the queue; the ones behind them wait in the spill file. */
export const HOT_JOBS = 1000;

/** A queue entry whose job may be waiting in the spill file (read back on first use). */
class Entry implements QueueEntry {
  started = false;
  outcome?: StoredOutcome;
  /** Handed out (the job object is in use): it stays in memory from now on. */
  pinned = false;
  /** Place of the job's line in the spill file while `held` is null. */
  at = -1;
  len = 0;

  constructor(
    readonly id: string,
    private held: SendJob | null,
    private readonly owner: SendQueue,
  ) {}

  get job(): SendJob {
    this.pinned = true;
    if (!this.held) this.held = this.stored();
    return this.held;
  }

  /** The job without keeping it in memory. */
  stored(): SendJob {
    return this.held ?? this.owner.readSpilled(this.id, this.at, this.len);
  }

  /**
   * The job's `add` line for a snapshot of the whole queue. A spilled job's line is taken as the spill
   * file has it (the text that went into the log), neither parsed into memory nor serialized again.
   */
  addLine(): string {
    const spilled = this.held ? null : this.owner.spilledLine(this.id, this.at, this.len);
    return spilled ?? storableJson({ op: 'add', job: this.stored() })!;
  }

  /** Let the job go from memory once its line is in the spill file (not if it is in use). */
  spilled(at: number, len: number): void {
    if (this.pinned || this.started || this.outcome) return;
    this.at = at;
    this.len = len;
    this.held = null;
  }
}

export class SendQueue implements SenderQueueStore {
  private readonly entries = new Map<string, Entry>();
  /** The entries in queue order. */
  private readonly order = new OldestFirst(this.entries);
  private spill: SpillFile | null = null;
  private readonly doneLater: { id: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  private doneTimer: NodeJS.Timeout | null = null;
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
      this.spill?.close();
      this.spill = SpillFile.open(this.file + '.spill');
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
    // In order, from the first job not yet done: the map itself would walk the slots of every job done
    // since it was last rehashed (pump and armNext look at the front on every response).
    return this.order.values();
  }

  /** Resolves once the job is on disk. Rejects queue_full (nothing written) or store_unavailable. */
  async add(job: SendJob): Promise<void> {
    if (this.closed) throw new SmsError('closed', 'The sender is closed');
    if (this.entries.has(job.id)) throw new SmsError('unknown_error', `Duplicate job id ${job.id}`);
    if (this.waitingCount >= this.opts.limit) {
      throw new SmsError('queue_full', `The send queue is full (${this.opts.limit} messages)`, { retryable: true });
    }
    // Reserve the slot synchronously so concurrent adds cannot overshoot the limit.
    const entry = new Entry(job.id, job, this);
    this.order.set(job.id, entry);
    this.waitingCount++;
    const behind = this.waitingCount > HOT_JOBS;
    try {
      // The job is serialized once, straight into its log line (live objects dropped, see toStorable).
      const line = storableJson({ op: 'add', job })!;
      await this.write({ op: 'add', job }, line);
      // On disk now; far enough back, the same line also goes to the spill file and memory lets go.
      if (behind && this.spill) this.spill.append(line, (at, len) => entry.spilled(at, len));
    } catch (err) {
      if (this.entries.get(job.id) === entry) {
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
    // Everything the spill file held has been taken back or finished: start it afresh.
    if (this.spill && this.entries.size === 0) this.spill.clear();
    const p = new Promise<void>((resolve, reject) => this.doneLater.push({ id, resolve, reject }));
    if (!this.doneTimer) {
      this.doneTimer = setTimeout(() => this.writeDone(), DONE_DELAY_MS);
      this.doneTimer.unref?.();
    }
    this.maybeCompact();
    return p;
  }

  /** Issue the waiting `done` records (in the tick of an urgent write, they share its commit). */
  private writeDone(): void {
    if (this.doneTimer) clearTimeout(this.doneTimer);
    this.doneTimer = null;
    for (const d of this.doneLater.splice(0)) this.write({ op: 'done', id: d.id }).then(d.resolve, d.reject);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.writeDone();
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    try {
      if (this.maintenance) await this.maintenance;
      await this.log?.close();
    } catch (err) {
      this.opts.logger.warn(`send queue: close failed: ${(err as Error).message}`);
    }
    this.spill?.close();
  }

  /**
   * A spilled job's `add` line, if the spill file holds it at its place; null sends the caller to
   * `readSpilled`, which knows what to do when it does not. The line starts with the job's id (jobs
   * are made with it first), so the check needs no parse; any other line is parsed to be sure.
   */
  spilledLine(id: string, at: number, len: number): string | null {
    try {
      const line = this.spill!.read(at, len);
      if (line.startsWith(`{"op":"add","job":{"id":${JSON.stringify(id)},`)) return line;
      const r = JSON.parse(line) as { op?: unknown; job?: { id?: unknown } };
      return r.op === 'add' && r.job?.id === id ? line : null;
    } catch {
      return null;
    }
  }

  /** A job back from the spill file (or, should that fail, from the log itself). */
  readSpilled(id: string, at: number, len: number): SendJob {
    try {
      const job = (JSON.parse(this.spill!.read(at, len)) as { job: SendJob }).job;
      if (job.id === id) return job;
      throw new Error('another job at its place');
    } catch (err) {
      this.opts.logger.warn(`send queue: spill file unreadable (${(err as Error).message}); reading the log`);
    }
    const needle = JSON.stringify(id);
    for (const line of readFileSync(this.file!, 'utf8').split('\n')) {
      if (!line.includes(needle)) continue;
      try {
        const r = JSON.parse(line) as QueueRecord;
        if (r.op === 'add' && r.job.id === id) return r.job;
      } catch {
        /* a torn line */
      }
    }
    throw storeError(new Error(`queued job ${id} could not be read back`));
  }

  private apply(r: QueueRecord): void {
    switch (r.op) {
      case 'add':
        if (!this.entries.has(r.job.id)) {
          this.order.set(r.job.id, new Entry(r.job.id, r.job, this));
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

  /**
   * The log lines of memory's state; each job serialized once, as in `add`. Built in slices of
   * SNAPSHOT_SLICE jobs with a turn of the event loop between them: a queue of 100,000 took 70 ms in one
   * piece. Writes issued meanwhile wait for the maintenance and go to the new file after the snapshot,
   * and every record replays idempotently (an `add` of a known job is ignored, the others set state), so
   * a job that changes while the snapshot is built ends up as memory has it.
   */
  private async snapshot(): Promise<string[]> {
    const out: string[] = [];
    let n = 0;
    for (const [id, e] of this.entries) {
      out.push(e.addLine());
      if (e.started) out.push(JSON.stringify({ op: 'start', id, attempts: e.stored().attempts }));
      if (e.outcome) out.push(JSON.stringify({ op: 'result', id, outcome: e.outcome }));
      if (++n % SNAPSHOT_SLICE === 0) await nextTurn();
    }
    return out;
  }

  /**
   * Memory was already updated by the caller. Decide synchronously whether to wait for maintenance:
   * a record appended before a compaction starts is drained into the old file and covered by the
   * snapshot; one issued during it goes to the new file after.
   */
  private write(rec: QueueRecord, line?: string): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.closed) return Promise.reject(new SmsError('store_unavailable', 'The send queue store is closed'));
    if (rec.op !== 'done' && this.doneLater.length) this.writeDone();
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
        await (line !== undefined ? this.log.appendLine(line) : this.log.append(rec));
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
      await log.compactLines(await this.snapshot());
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
    // Set before the snapshot starts: every write issued from now on waits for it.
    this.maintenance = (async () => log.compactLines(await this.snapshot()))()
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
