/**
 * A sender's durable queue shared by every instance, on BullMQ (a Queue to add jobs, a Worker per
 * instance to claim them). How BullMQ's concepts map onto the dispatcher's:
 *
 * - Claim: a BullMQ worker moves a job to `active` under a lock (lease) that it renews while it holds
 *   the job; exactly one instance holds a job at a time. The job stays claimed from its first request
 *   until its outcome has been delivered to a send-sms node (`markDone`), so a crash at any point
 *   leaves it in Redis.
 * - Takeover: when an instance dies its lock expires (`leaseMs`); another instance's stalled-job check
 *   moves the job back to `wait` and a worker claims it. The job's data records `started` before every
 *   request (like the local `start` record), so a job taken over mid-request comes out as
 *   ambiguous_send unless resendAmbiguous is on; a job whose outcome was recorded is re-delivered,
 *   not re-sent. BullMQ's own stalled limit is set very high: that decision is ours, not BullMQ's.
 * - Order: jobs are claimed in FIFO order; each instance runs up to `concurrency` (the sender's
 *   maxInFlight, default 1) at a time, so N instances may have N jobs in flight.
 * - Pace: BullMQ's limiter (global across workers) spaces job starts at the sender's rate; retries
 *   within a job are paced by each instance's own token bucket. The account budget (src/coordination/
 *   redis-budget.ts) bounds every request of the account whatever the pace.
 * - Shutdown: jobs this instance holds go back to `wait` at once (not after the lease), keeping their
 *   `started` mark.
 */
import type { Queue, Worker, Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SmsError } from '../util/errors';
import type { Logger } from '../util/logger';
import { toStorable, type SendJob, type StoredOutcome } from '../dispatch/job';
import type { QueueEntry, SenderQueueStore } from '../dispatch/send-queue';
import { unavailable, type RedisLink } from './redis-connection';

interface JobData {
  job: SendJob;
  started: boolean;
  attempts: number;
  outcome?: StoredOutcome;
}

interface ClaimRec {
  bjob: Job<JobData>;
  token: string;
  data: JobData;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface RedisSendQueueOptions {
  /** BullMQ key prefix (the account's prefix). */
  prefix: string;
  /** Queue name (one per sender). */
  name: string;
  limit: number;
  concurrency: number;
  leaseMs: number;
  whenDown: 'fail' | 'hold';
  /** Job starts per interval, shared by all instances (from the sender's rate and burst). */
  pace?: { max: number; duration: number };
  logger: Logger;
}

export class RedisSendQueue implements SenderQueueStore {
  private readonly queue: Queue<JobData>;
  private worker: Worker<JobData> | null = null;
  private readonly entries = new Map<string, QueueEntry>();
  private readonly claims = new Map<string, ClaimRec>();
  private arrive: ((e: QueueEntry) => void) | null = null;
  private closed = false;
  private lastWorkerError = '';
  /** BullMQ 6 takes client instances; they are ours to close. */
  private readonly clients: Redis[] = [];

  constructor(
    private readonly link: RedisLink,
    private readonly o: RedisSendQueueOptions,
  ) {
    const client = new link.libraries.ioredis.Redis({ ...link.options, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => {
      /* seen through the account's connection status */
    });
    this.clients.push(client);
    this.queue = new link.libraries.bullmq.Queue<JobData>(o.name, { connection: client, prefix: o.prefix });
    this.queue.on('error', () => {
      /* seen through the account's connection status */
    });
  }

  async open(): Promise<QueueEntry[]> {
    if (this.worker || this.closed) return [];
    // Blocking commands need a connection that never gives up a request (BullMQ's requirement).
    const client = new this.link.libraries.ioredis.Redis({ ...this.link.options, maxRetriesPerRequest: null });
    client.on('error', () => {
      /* seen through the account's connection status */
    });
    this.clients.push(client);
    const worker = new this.link.libraries.bullmq.Worker<JobData>(this.o.name, (job, token) => this.process(job, token ?? ''), {
      connection: client,
      prefix: this.o.prefix,
      concurrency: Math.max(1, this.o.concurrency),
      lockDuration: this.o.leaseMs,
      stalledInterval: Math.max(1000, Math.floor(this.o.leaseMs / 2)),
      maxStalledCount: 1_000_000,
      drainDelay: 1,
      ...(this.o.pace ? { limiter: this.o.pace } : {}),
    });
    worker.on('error', (err: Error) => {
      if (err.message !== this.lastWorkerError) this.o.logger.warn(`shared queue: ${err.message}`);
      this.lastWorkerError = err.message;
    });
    this.worker = worker;
    // Jobs come in through the worker (including ones another instance left): none to resume here.
    return [];
  }

  get waiting(): number {
    let n = 0;
    for (const e of this.entries.values()) if (!e.outcome) n++;
    return n;
  }

  get ok(): boolean {
    return this.link.ok;
  }

  get(id: string): QueueEntry | undefined {
    return this.entries.get(id);
  }

  all(): IterableIterator<QueueEntry> {
    return this.entries.values();
  }

  onArrive(fn: (entry: QueueEntry) => void): void {
    this.arrive = fn;
  }

  onStatus(fn: () => void): () => void {
    return this.link.onStatus(fn);
  }

  async add(job: SendJob): Promise<void> {
    if (this.closed) throw new SmsError('closed', 'The sender is closed');
    if (!this.link.ok) {
      if (this.o.whenDown === 'fail') await this.link.ready();
      // Held: the message waits here (unacknowledged) until Redis is back.
      while (!this.link.ok) {
        if (this.closed) throw new SmsError('closed', 'The sender is closed');
        await this.link.ready(1000).catch(() => {});
      }
    }
    try {
      const count = await this.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized');
      if (count >= this.o.limit) throw new SmsError('queue_full', `The send queue is full (${this.o.limit} messages)`, { retryable: true });
      const data: JobData = { job: toStorable(job) as SendJob, started: false, attempts: job.attempts };
      await this.queue.add('send', data, { jobId: job.id, removeOnComplete: true, removeOnFail: true });
    } catch (err) {
      if (err instanceof SmsError) throw err;
      throw unavailable((err as Error).message);
    }
  }

  markStarted(id: string, attempts: number): Promise<void> {
    return this.update(id, (d, e) => {
      d.started = e.started = true;
      d.attempts = e.job.attempts = attempts;
    });
  }

  markRetry(id: string, attempts: number): Promise<void> {
    return this.update(id, (d, e) => {
      d.started = e.started = false;
      d.attempts = e.job.attempts = attempts;
    });
  }

  markResult(id: string, outcome: StoredOutcome): Promise<void> {
    return this.update(id, (d, e) => {
      d.started = e.started = false;
      d.outcome = e.outcome = outcome;
    });
  }

  /** Delivered: the job completes (and is removed) in Redis. */
  async markDone(id: string): Promise<void> {
    this.entries.delete(id);
    const c = this.claims.get(id);
    this.claims.delete(id);
    c?.resolve();
  }

  /** Back to `wait` for any instance (its data as last recorded); retried until Redis takes it. */
  release(id: string): void {
    this.entries.delete(id);
    const c = this.claims.get(id);
    if (!c) return;
    this.claims.delete(id);
    void (async () => {
      for (;;) {
        try {
          await c.bjob.moveToWait(c.token);
          break;
        } catch {
          // Closing with Redis away: the lock expires and the stalled check returns the job.
          if (this.closed) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      c.reject(new this.link.libraries.bullmq.WaitingError());
    })();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.claims.keys()]) this.release(id);
    const worker = this.worker;
    if (worker) {
      // With Redis away BullMQ may wait for it: bounded, then the connections are dropped.
      const t = new Promise<void>((r) => setTimeout(r, 3000).unref());
      await Promise.race([worker.close().catch(() => {}), t]);
      await worker.disconnect().catch(() => {});
    }
    await Promise.race([this.queue.close().catch(() => {}), new Promise<void>((r) => setTimeout(r, 1000).unref())]);
    await this.queue.disconnect().catch(() => {});
    for (const c of this.clients.splice(0)) c.disconnect();
  }

  /** The worker's processor: the job is this instance's until `markDone` or `release`. */
  private process(bjob: Job<JobData>, token: string): Promise<void> {
    const data = bjob.data;
    const job = { ...data.job, attempts: data.attempts };
    const entry: QueueEntry = { job, started: data.started, ...(data.outcome ? { outcome: data.outcome } : {}) };
    return new Promise<void>((resolve, reject) => {
      if (this.closed) {
        // Claimed while closing: hand it straight back.
        bjob.moveToWait(token).then(
          () => reject(new this.link.libraries.bullmq.WaitingError()),
          () => reject(new this.link.libraries.bullmq.WaitingError()),
        );
        return;
      }
      this.entries.set(job.id, entry);
      this.claims.set(job.id, { bjob, token, data, resolve, reject });
      this.arrive?.(entry);
    });
  }

  private async update(id: string, change: (d: JobData, e: QueueEntry) => void): Promise<void> {
    const c = this.claims.get(id);
    const e = this.entries.get(id);
    if (!c || !e) return;
    change(c.data, e);
    if (!this.link.ok) throw unavailable(this.link.error);
    try {
      await c.bjob.updateData(c.data);
    } catch (err) {
      throw unavailable((err as Error).message);
    }
  }
}
