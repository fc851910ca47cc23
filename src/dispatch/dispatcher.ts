/**
 * The dispatch engine of one sender: durable queue -> gates (deadline, 429 pause, circuit breaker,
 * token bucket) -> provider -> retry policy -> exactly one outcome per job, delivered to the
 * send-sms node that submitted it (held, in order, until that node registers).
 *
 * Jobs start in FIFO order, at most `maxInFlight` at a time (default 1: strict order, and a job in
 * backoff holds back the ones behind it, which is what a sick platform needs anyway).
 * The account's API budget is acquired by the provider's HTTP layer, not here; the dispatcher only
 * reads its pause to hold jobs back and reports 429s to it (reports are idempotent: the pause is a max).
 */
import type { Provider, RequestBudget, SendResult } from '../providers/types';
import type { Clock, TimerHandle } from '../util/clock';
import { SmsError, toSmsError } from '../util/errors';
import type { Logger } from '../util/logger';
import { CircuitBreaker, type BreakerOptions, type CircuitState } from './circuit-breaker';
import { IdempotencyStore, type IdempotencyKeys, type KeyClaim } from './idempotency-store';
import { checkStoredSize, type SendJob, type SendOutcome } from './job';
import { OutcomeDelivery, type OutcomeListener } from './outcome-delivery';
import { AccountBudget, isSharedBudget, type SharedBudget } from './request-budget';
import { DEFAULT_BACKOFF, backoffMs, classify, countsForBreaker, type BackoffOptions } from './retry-policy';
import { SendQueue, type QueueEntry, type SenderQueueStore } from './send-queue';
import { TokenBucket } from './token-bucket';

export type { SendJob, SendOutcome } from './job';

export interface DispatcherOptions {
  /** Directory for the durable stores (inside the Node-RED user directory); null = memory only. */
  storeDir: string | null;
  ratePerSecond: number;
  burst: number;
  queueLimit: number;
  /** Requests per job, first attempt included. */
  maxAttempts: number;
  /** Give up on a job this long after it was enqueued (<= 0 or Infinity: no deadline). */
  deadlineMs: number;
  /** A 429 asking to wait longer than this fails the job with rate_limited. */
  retryAfterCapMs: number;
  /** Resend after a timeout/reset once the request was written (at-least-once). */
  resendAmbiguous: boolean;
  breaker: Partial<BreakerOptions>;
  /** When open, reject (circuit_open) instead of holding jobs until the probe. */
  breakerFailFast: boolean;
  idempotencyRetentionMs: number;
  clock: Clock;
  random?: () => number;
  logger: Logger;
  backoff?: BackoffOptions;
  maxInFlight?: number;
  /** How long close() waits for requests in flight (default 8000 ms). */
  closeTimeoutMs?: number;
  /** fsync store writes (default true); tests may turn it off. */
  fsync?: boolean;
  /** Store file name prefix, so several senders can share one directory (default 'sender'). */
  storeName?: string;
  /**
   * Asked right before every request of a job (compliance: opt-outs, quiet hours): null to go on, an
   * SmsError to fail the job without sending, or `{ holdUntil }` (a time on `clock`) to keep it in the
   * durable queue and ask again then. Time spent held does not count against the deadline.
   */
  gate?: (job: SendJob) => GateDecision | Promise<GateDecision>;
  /** A shared queue store (Redis coordination) instead of the local one in `storeDir`. */
  queueStore?: SenderQueueStore;
  /** A shared idempotency store instead of the local one in `storeDir`. */
  idempotencyStore?: IdempotencyKeys;
  /** Whether submissions need the store open (default: a `storeDir` or a given queue store). */
  persistent?: boolean;
}

export type GateDecision = SmsError | null | { holdUntil: number };

/** How often a job waits to re-check a key another job holds (its result may come from another instance). */
const CLAIM_POLL_MS = 250;

/**
 * How many jobs may be armed at once (see Dispatcher.armNext). Two, because the commit of an armed
 * job's start record has to fit in the round trips ahead of it: with one, a start record issued as
 * request N leaves must be on disk by the time response N comes, and an fsync here takes about as long
 * as a loopback round trip, so the next request still waited for the disk most of the time.
 */
const ARM_DEPTH = 2;

/** A hold longer than this is re-asked in steps (the wall clock may jump; the answer may change). */
const MAX_HOLD_SLEEP_MS = 5 * 60_000;

export interface DispatcherStats {
  queued: number;
  inFlight: number;
  sent: number;
  failed: number;
  circuit: CircuitState;
  rateLimitedUntil?: number;
  /** The gate holds a job until then (e.g. quiet hours). */
  heldUntil?: number;
  lastError?: string;
  storeOk: boolean;
}

export type { OutcomeListener } from './outcome-delivery';

interface Run {
  job: SendJob;
  /** Set while a provider request is in progress. */
  request: Promise<unknown> | null;
  /** The outcome is known (its record may still be on its way to disk): the slot is free. */
  settled?: boolean;
  done: Promise<void>;
  /** When the gate last released the job after holding it: the deadline counts from there. */
  releasedAt?: number;
  heldUntil?: number;
  /** The pacing take that let this attempt through: its request counts in the window from when it leaves. */
  paceTicket?: number;
}

type Gate = { go: true } | { fail: SmsError } | { duplicate: SendOutcome } | { stop: true };

/**
 * The start record of the next job, written while the request ahead of it is in flight (see
 * `armNext`): when that request ends, this job's request may go at once instead of waiting for a
 * commit of its own.
 */
interface Arm {
  id: string;
  /** The attempt count in the start record (the job's count before it, plus one). */
  attempts: number;
  /** Resolves once the start record is on disk. */
  written: Promise<void>;
}

export class Dispatcher {
  private readonly opts: DispatcherOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly bucket: TokenBucket;
  private readonly breaker: CircuitBreaker;
  private readonly queue: SenderQueueStore;
  private readonly idem: IdempotencyKeys;
  /** Submissions need a working store (a local directory or a shared store). */
  private readonly persistent: boolean;
  private readonly shared: SharedBudget | null;
  private readonly delivery: OutcomeDelivery;
  private readonly runs = new Map<string, Run>();
  /** The armed jobs, in queue order: the first waiting ones, while every slot is taken (at most ARM_DEPTH). */
  private readonly arms = new Map<string, Arm>();
  /** Only the local store arms (a shared queue's started jobs are adopted by other instances). */
  private readonly canArm: boolean;
  private readonly sleepers = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private starting: Promise<void> | null = null;
  private ready = false;
  private storeOpen = false;
  private closing = false;
  private closed = false;
  private localPauseUntil = 0;
  private sent = 0;
  private failed = 0;
  private lastError?: string;

  constructor(
    private readonly getProvider: () => Promise<Provider>,
    private readonly budget: AccountBudget | SharedBudget | RequestBudget,
    opts: DispatcherOptions,
  ) {
    this.opts = opts;
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.bucket = new TokenBucket(opts.ratePerSecond, opts.burst, opts.clock);
    this.breaker = new CircuitBreaker(opts.breaker, opts.clock);
    const prefix = opts.storeName ?? 'sender';
    this.persistent = opts.persistent ?? (opts.storeDir !== null || opts.queueStore !== undefined);
    this.shared = isSharedBudget(budget) ? budget : null;
    this.queue = opts.queueStore ?? new SendQueue(opts.storeDir, { limit: opts.queueLimit, fileName: `${prefix}-queue.jsonl`, fsync: opts.fsync, logger: opts.logger });
    this.canArm = this.queue instanceof SendQueue;
    this.delivery = new OutcomeDelivery({ queue: this.queue, logger: opts.logger, storeFailed: (err) => this.storeFailed(err), changed: () => this.changed() });
    this.idem =
      opts.idempotencyStore ??
      new IdempotencyStore(opts.storeDir, {
        retentionMs: opts.idempotencyRetentionMs,
        clock: opts.clock,
        fileName: `${prefix}-idempotency.jsonl`,
        fsync: opts.fsync,
        logger: opts.logger,
      });
    this.unsubscribe.push(
      this.breaker.onChange(() => {
        this.kick();
        this.changed();
      }),
    );
    if (this.shared) {
      this.unsubscribe.push(
        this.shared.onChange(() => {
          this.kick();
          this.changed();
        }),
      );
    }
    if (this.queue.onStatus) this.unsubscribe.push(this.queue.onStatus(() => this.changed()));
    // A shared queue hands over jobs claimed after start (including ones an instance that died left).
    this.queue.onArrive?.((entry) => {
      if (this.closing) return;
      this.adopt(entry);
      this.delivery.flush(entry.job.nodeId);
      this.pump();
      this.changed();
    });
  }

  /** Open the stores and resume stored jobs. Never rejects: a broken store shows in stats().storeOk. */
  start(): Promise<void> {
    if (!this.starting) this.starting = this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    await this.openStores();
    this.ready = true;
    this.resume();
  }

  /** The store is usable (or first tried): held outcomes go out and waiting jobs start. */
  private resume(): void {
    this.delivery.start();
    this.pump();
    this.changed();
  }

  /**
   * Open the queue and the idempotency keys. When that fails (the directory is not writable yet, the
   * disk is full), try again by itself, backing off from 1 s to 30 s: the status clears when the disk
   * comes back, without waiting for the next message or a redeploy.
   */
  private async openStores(): Promise<void> {
    try {
      const entries = await this.queue.open();
      await this.idem.open();
      this.storeOpen = true;
      this.openRetryMs = 1000;
      for (const e of entries) this.adopt(e);
    } catch (err) {
      this.storeFailed(err);
      if (this.closing) return;
      const delay = this.openRetryMs;
      this.openRetryMs = Math.min(30_000, delay * 2);
      this.openTimer = this.clock.setTimer(() => {
        this.openTimer = null;
        if (this.closing) return;
        void this.openStores().then(() => {
          if (this.storeOpen) this.resume();
        });
      }, delay);
    }
  }

  private openRetryMs = 1000;
  private openTimer: TimerHandle | null = null;

  /** A stored entry to resume: deliver its outcome, or report it ambiguous if it was being sent. */
  private adopt(e: QueueEntry): void {
    if (e.outcome) {
      this.delivery.hold(e.job);
    } else if (e.started && !this.opts.resendAmbiguous) {
      // It was being sent when the process stopped: it may have gone out, so it is not resent.
      const error = new SmsError('ambiguous_send', 'The sender stopped while this message was being sent; it may have been sent', { sent: 'maybe' });
      void this.finish(e.job, { ok: false, error, attempts: e.job.attempts });
      // Its key claim (shared stores keep it across the crash) ends with it, as for any ambiguous end.
      if (e.job.idempotencyKey) void Promise.resolve(this.idem.release(e.job.idempotencyKey, e.job.id)).catch(() => {});
    }
  }

  register(nodeId: string, listener: OutcomeListener): void {
    this.delivery.register(nodeId, listener);
  }

  unregister(nodeId: string): void {
    this.delivery.unregister(nodeId);
  }

  /** Queue a job. A refusal (thrown SmsError) is answered on output 2 by the caller and counted as failed. */
  async submit(job: SendJob): Promise<void> {
    try {
      if (this.closing) throw new SmsError('closed', 'The sender is closed');
      await this.start();
      if (this.closing) throw new SmsError('closed', 'The sender is closed');
      checkStoredSize(job);
      if (this.persistent && !this.storeOpen) {
        throw new SmsError('store_unavailable', this.lastError ?? 'The message store is unavailable', { retryable: true });
      }
      if (this.opts.breakerFailFast && this.breaker.state !== 'closed' && this.breaker.msUntilAllowed() > 0) {
        throw new SmsError('circuit_open', 'The circuit breaker is open: the platform is failing', { retryable: true });
      }
      await this.queue.add(job);
    } catch (err) {
      const e = toSmsError(err);
      if (e.code === 'store_unavailable') this.storeFailed(e);
      this.countRefused(e);
      throw e;
    }
    this.pump();
    this.changed();
  }

  /**
   * Count a message answered on output 2 without becoming a job (refused by submit, or by the node
   * before it: invalid input, a compliance gate): the failed counter counts every output-2 answer.
   */
  countRefused(err: SmsError): void {
    this.failed++;
    this.lastError = `${err.code}: ${err.message}`;
    this.changed();
  }

  stats(): DispatcherStats {
    let inFlight = 0;
    for (const r of this.runs.values()) if (r.request) inFlight++;
    const s: DispatcherStats = {
      queued: Math.max(0, this.queue.waiting - inFlight),
      inFlight,
      sent: this.sent,
      failed: this.failed,
      circuit: this.breaker.state,
      storeOk: !this.persistent || (this.storeOpen && this.queue.ok),
    };
    const pause = this.pauseUntil();
    if (pause > this.clock.now()) s.rateLimitedUntil = pause;
    for (const r of this.runs.values()) if (r.heldUntil !== undefined) s.heldUntil = Math.min(s.heldUntil ?? Infinity, r.heldUntil);
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /**
   * Stop dispatching. Waits (bounded) for requests in flight so their outcome is recorded; queued
   * jobs stay in the store for the next start. A request still running at the bound stays marked
   * as started (ambiguous after restart unless resend is on).
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.openTimer?.cancel();
    // Armed jobs, whose requests never left, go back to waiting, so a clean restart sends them instead
    // of reporting them ambiguous.
    this.disarm();
    this.kick();
    if (this.starting) await this.starting;
    const pending = [...this.runs.values()].map((r) => r.done);
    if (pending.length) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        Promise.allSettled(pending),
        new Promise<void>((resolve) => {
          timer = this.clock.setTimer(resolve, this.opts.closeTimeoutMs ?? 8000);
        }),
      ]);
      timer?.cancel();
    }
    this.closed = true;
    this.delivery.close();
    for (const u of this.unsubscribe) u();
    await this.queue.close();
    await this.idem.close();
    this.changed();
  }

  // ---- internals ----

  private pauseUntil(): number {
    const shared = this.shared ? (this.shared.pausedUntil() ?? 0) : 0;
    return Math.max(shared, this.localPauseUntil);
  }

  private deadlineOf(job: SendJob, run?: Run): number {
    const d = this.opts.deadlineMs;
    return d > 0 && Number.isFinite(d) ? Math.max(job.enqueuedAt, run?.releasedAt ?? 0) + d : Infinity;
  }

  private pump(): void {
    if (!this.ready || this.closing) return;
    const max = Math.max(1, this.opts.maxInFlight ?? 1);
    let active = 0;
    for (const r of this.runs.values()) if (!r.settled) active++;
    if (active >= max) return this.armNext();
    for (const e of this.queue.all()) {
      if (active >= max) break;
      if (e.outcome || this.runs.has(e.job.id)) continue;
      const run: Run = { job: e.job, request: null, done: Promise.resolve() };
      this.runs.set(e.job.id, run);
      active++;
      run.done = this.runJob(run)
        .catch((err) => this.opts.logger.error(`dispatch: unexpected error: ${(err as Error).message}`))
        .finally(() => {
          this.runs.delete(e.job.id);
          // A claim that did not become a result is let go, so the next message with the key may send.
          if (e.job.idempotencyKey) void Promise.resolve(this.idem.release(e.job.idempotencyKey, e.job.id)).catch(() => {});
          this.kick();
          this.pump();
          this.changed();
        });
    }
    this.armNext();
  }

  /**
   * Write the start records of the next jobs ahead of their turn, while the requests before them are
   * in flight, so the fsync they need overlaps those round trips instead of following them. In strict
   * order (1 in flight) that takes the one commit per message off the critical path: when response N
   * comes, request N+1 goes out at once (its start record went to disk during N's round trip, or
   * N-1's), and N's result record is committed, with N+3's start, while N+1 is in flight; N's msg
   * still leaves only once that commit is done.
   *
   * Strict order is unchanged: an armed job gets its slot, and asks every gate again, only once the job
   * ahead of it has its outcome; only its start record is early. The price is the crash window: a job
   * armed when the process dies was never requested but has a start record, so after a restart it is
   * reported `ambiguous_send` (conservative; never a silent resend). That window is kept small: jobs
   * are armed only when they would go the moment a slot frees (no 429 pause, breaker closed, tokens
   * and account-budget slots free for each, deadline ahead, no idempotency key to claim), at most
   * ARM_DEPTH of them, only from the head of the queue, and the arms are undone (a `retry` record each)
   * as soon as they would wait after all: the request ahead ends in a retry or a pause, a gate holds
   * the head, or the sender closes. A kill -9 while sending flat out therefore reports at most
   * ARM_DEPTH + 1 messages per sender ambiguous in strict order (the one in flight and the armed ones)
   * instead of 1; a paced sender (the rate or budget binding) arms nothing.
   */
  private armNext(): void {
    if (this.arms.size >= ARM_DEPTH || !this.canArm || !this.ready || this.closing || !this.storeOpen || !this.queue.ok) return;
    const max = Math.max(1, this.opts.maxInFlight ?? 1);
    let active = 0;
    let inFlight = 0;
    for (const r of this.runs.values()) {
      if (r.settled) continue;
      active++;
      if (r.request) inFlight++;
    }
    // A free slot starts the job itself; with nothing in flight there is no round trip to overlap.
    if (active < max || inFlight === 0) return;
    for (const e of this.queue.all()) {
      if (e.outcome || this.runs.has(e.job.id)) continue;
      if (this.arms.has(e.job.id)) continue;
      // Only the jobs at the head of the queue, in order: one that cannot be armed stops the arming.
      if (e.started) return;
      const job = e.job;
      if (job.idempotencyKey || !this.wouldGoNow(job, this.arms.size + 1)) return;
      const attempts = job.attempts + 1;
      const written = this.queue.markStarted(job.id, attempts);
      // A start record that did not make it (the disk failed) is no arm: the job's own run writes it
      // again when its turn comes, once the store is back. Never an unhandled rejection meanwhile.
      written.catch(() => this.disarm(job.id));
      this.arms.set(job.id, { id: job.id, attempts, written });
      if (this.arms.size >= ARM_DEPTH) return;
    }
  }

  /**
   * Whether a job would be requested the moment its turn comes (the cheap, synchronous gates); `nth`
   * is its place among the armed jobs: the sender's pacing must let that many through at once.
   */
  private wouldGoNow(job: SendJob, nth: number): boolean {
    const now = this.clock.now();
    if (this.pauseUntil() > now || this.breaker.state !== 'closed' || !this.bucket.wouldTake(nth)) return false;
    if (now >= this.deadlineOf(job)) return false;
    // The request ahead may not have taken its budget slot yet: one more must be free.
    if (this.budget instanceof AccountBudget) return this.budget.grantsNow(nth + 1);
    return this.shared === null;
  }

  /** Undo the arm of `id` (of every armed job when not given): back to waiting, on disk too. */
  private disarm(id?: string): void {
    for (const a of id === undefined ? [...this.arms.values()] : [this.arms.get(id)]) {
      if (!a) continue;
      this.arms.delete(a.id);
      // Issued after the start record, so it lands after it in the log; the job's count is restored.
      void this.queue.markRetry(a.id, a.attempts - 1).catch((err) => this.storeFailed(err));
    }
  }

  private async runJob(run: Run): Promise<void> {
    const job = run.job;
    let last: SmsError | undefined;
    for (;;) {
      const gate = await this.waitForTurn(run, last);
      if (!('go' in gate)) this.disarm(job.id);
      if ('stop' in gate) return;
      if ('duplicate' in gate) return this.finish(job, gate.duplicate);
      if ('fail' in gate) return this.finish(job, { ok: false, error: gate.fail, attempts: job.attempts });

      // Armed while the job ahead was in flight: its start record is (nearly always) on disk already.
      const arm = this.arms.get(job.id);
      if (arm) this.arms.delete(job.id);
      const attempts = arm ? arm.attempts : job.attempts + 1;
      try {
        await (arm ? arm.written : this.queue.markStarted(job.id, attempts));
      } catch (err) {
        this.breaker.onIgnored();
        this.storeFailed(err);
        if (this.queue.release) {
          // A shared queue keeps the job (not sent, no outcome) for whichever instance can record it.
          this.queue.release(job.id);
          return;
        }
        return this.finish(job, { ok: false, error: toSmsError(err), attempts: job.attempts });
      }
      job.attempts = attempts;

      let result: SendResult | undefined;
      let error: SmsError | undefined;
      // The window counts the request from when it is written (after the account's budget let it go),
      // not from here: what lies between (the budget, a token, building the request) would otherwise
      // come out of the window's margin.
      const ticket = run.paceTicket;
      let left = false;
      const leaving = () => {
        if (left) return;
        left = true;
        if (ticket) this.bucket.departed(ticket);
      };
      run.request = (async () => (await this.getProvider()).send(job.message, { leaving }))();
      this.armNext();
      this.changed();
      try {
        result = (await run.request) as SendResult;
      } catch (err) {
        error = toSmsError(err);
      }
      run.request = null;
      // close() gave up waiting and closed the store: the job stays 'started' on disk.
      if (this.closed) return;
      // Shutting down and the request never left (the account closed its budget first): the job
      // goes back to waiting in the store instead of failing, and resumes after the restart.
      if (error && this.closing && error.code === 'closed' && error.sent === 'no') {
        this.disarm();
        job.attempts -= 1;
        await this.queue.markRetry(job.id, job.attempts).catch((err) => this.storeFailed(err));
        return;
      }

      if (!error) {
        this.breaker.onSuccess();
        this.shared?.onResponse();
        const outcome: SendOutcome = { ok: true, result: result!, attempts: job.attempts };
        // The key and the result are written side by side (two files, two commits at once); the
        // outcome leaves only when both are on disk.
        const keyWritten = job.idempotencyKey ? this.idem.put(job.idempotencyKey, result!).catch((err) => this.storeFailed(err)) : undefined;
        return this.finish(job, outcome, keyWritten);
      }

      last = error;
      if (countsForBreaker(error)) this.breaker.onFailure();
      else this.breaker.onIgnored();
      const decision = classify(error, { resendAmbiguous: this.opts.resendAmbiguous, retryAfterCapMs: this.opts.retryAfterCapMs });
      if (decision === 'rate_limited' || (decision === 'fail' && error.code === 'rate_limited')) {
        this.rateLimited(error);
      } else if (this.shared && error.httpStatus !== undefined) {
        this.shared.onResponse();
      }

      if (decision === 'fail') return this.finish(job, { ok: false, error: asRateLimited(error), attempts: job.attempts });
      if (decision === 'ambiguous') {
        const amb =
          error.code === 'ambiguous_send'
            ? error
            : new SmsError('ambiguous_send', `The request may have reached the platform (${error.message}); not resent`, {
                sent: 'maybe',
                provider: error.provider,
                details: error.toMsgError(),
              });
        return this.finish(job, { ok: false, error: amb, attempts: job.attempts });
      }
      // A 429 is the platform pacing us, not a failure of this message: it does not use up attempts.
      // The Retry-After cap and the message deadline bound how long a storm can hold it.
      if (decision !== 'rate_limited' && job.attempts >= this.opts.maxAttempts) {
        return this.finish(job, { ok: false, error: asRateLimited(error), attempts: job.attempts });
      }

      // This job goes again (after a backoff or a pause) before the armed ones behind it: they would
      // not go at once any more, so their arms are undone (and made again while this job is in flight).
      this.disarm();
      try {
        await this.queue.markRetry(job.id, job.attempts);
      } catch (err) {
        this.storeFailed(err);
        return this.finish(job, { ok: false, error: toSmsError(err), attempts: job.attempts });
      }
      if (decision === 'retry') {
        const delay = backoffMs(job.attempts, this.opts.backoff ?? DEFAULT_BACKOFF, this.random);
        if (this.clock.now() + delay >= this.deadlineOf(job, run)) {
          return this.finish(job, { ok: false, error: deadlineError(job, error), attempts: job.attempts });
        }
        await this.sleep(delay, true);
        if (this.closing) return;
      }
      // rate_limited: the gate waits for the pause (or fails the job when it exceeds the cap).
    }
  }

  private rateLimited(error: SmsError): void {
    const ms = error.retryAfterMs ?? backoffMs(1, this.opts.backoff ?? DEFAULT_BACKOFF, this.random);
    this.budget.onRateLimited(ms);
    if (!this.shared) {
      // A plain budget does not tell us its pause: keep our own, with the same small jitter.
      this.localPauseUntil = Math.max(this.localPauseUntil, this.clock.now() + ms + Math.floor(this.random() * 1000));
    }
    this.changed();
  }

  /** Wait until this job may make a request; take the breaker permit and a token atomically. */
  private async waitForTurn(run: Run, last: SmsError | undefined): Promise<Gate> {
    const job = run.job;
    // A job that has to wait after all: the armed jobs (it, and those behind it) go back to waiting
    // on disk too (see armNext); they are armed again once a request is in flight.
    const wait = (ms: number): Promise<void> => {
      this.disarm();
      return this.sleep(ms, false);
    };
    for (;;) {
      if (this.closing) return { stop: true };
      if (this.opts.gate) {
        let decision: GateDecision;
        try {
          decision = await this.opts.gate(job);
        } catch (err) {
          decision = toSmsError(err);
        }
        if (this.closing) return { stop: true };
        if (decision instanceof SmsError) return { fail: decision };
        if (decision && decision.holdUntil > this.clock.now()) {
          const wasHeld = run.heldUntil !== undefined;
          run.heldUntil = decision.holdUntil;
          if (!wasHeld) this.changed();
          await wait(Math.min(decision.holdUntil - this.clock.now(), MAX_HOLD_SLEEP_MS));
          continue;
        }
        if (run.heldUntil !== undefined) {
          run.heldUntil = undefined;
          run.releasedAt = this.clock.now();
          this.changed();
        }
      }
      const now = this.clock.now();
      const deadline = this.deadlineOf(job, run);
      if (now >= deadline) return { fail: deadlineError(job, last) };
      const left = deadline - now;

      const key = job.idempotencyKey;
      if (key) {
        // Claimed atomically before the request (held until the job ends): of two messages with one
        // key, in this process or on two instances, only one is sent; the other answers as a duplicate.
        let claim: KeyClaim;
        try {
          const found = this.idem.claim(key, job.id);
          // Only a shared store answers asynchronously; the local one stays synchronous.
          claim = found instanceof Promise ? await found : found;
        } catch {
          // Not knowing whether it was sent is no licence to send: ask again shortly.
          claim = { busy: true };
        }
        if (this.closing) return { stop: true };
        if ('result' in claim) return { duplicate: { ok: true, result: claim.result, attempts: job.attempts, duplicate: true } };
        if ('busy' in claim) {
          // Its holder's result decides whether this one is a duplicate (a local holder kicks when it ends).
          await wait(Math.min(CLAIM_POLL_MS, left));
          continue;
        }
      }

      const pause = this.pauseUntil();
      if (pause > now) {
        if (pause - now > this.opts.retryAfterCapMs) {
          return {
            fail: new SmsError('rate_limited', `The account is rate limited for ${Math.ceil((pause - now) / 1000)} s, longer than the ${Math.round(this.opts.retryAfterCapMs / 1000)} s cap`, {
              httpStatus: last?.httpStatus === 429 ? 429 : undefined,
              retryable: true,
              retryAfterMs: pause - now,
              sent: 'no',
            }),
          };
        }
        await wait(Math.min(pause - now, left));
        continue;
      }

      const bw = this.breaker.msUntilAllowed();
      if (bw > 0) {
        if (this.opts.breakerFailFast) return { fail: new SmsError('circuit_open', 'The circuit breaker is open: the platform is failing', { retryable: true }) };
        await wait(Math.min(bw, left));
        continue;
      }
      const tw = this.bucket.msUntilToken();
      if (tw > 0) {
        await wait(Math.min(tw, left));
        continue;
      }
      if (!this.breaker.allowRequest()) continue;
      this.bucket.tryTake();
      run.paceTicket = this.bucket.lastTake;
      return { go: true };
    }
  }

  /**
   * Sleep on the clock; `kick()` (state changes, close) wakes every sleeper early so it re-checks
   * its gates. A backoff sleep ignores kicks other than close.
   */
  private sleep(ms: number, backoff: boolean): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const wake = (): void => {
        if (backoff && !this.closing) return;
        this.sleepers.delete(wake);
        timer?.cancel();
        resolve();
      };
      this.sleepers.add(wake);
      if (Number.isFinite(ms)) {
        timer = this.clock.setTimer(
          () => {
            this.sleepers.delete(wake);
            resolve();
          },
          Math.max(0, ms),
        );
      }
    });
  }

  private kick(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Count and record a final outcome, then deliver it once durable (or hold it for its node). */
  private finish(job: SendJob, outcome: SendOutcome, alsoWritten?: Promise<void>): Promise<void> {
    if (outcome.ok) this.sent++;
    else {
      this.failed++;
      this.lastError = `${outcome.error.code}: ${outcome.error.message}`;
    }
    return this.delivery.record(job, outcome, {
      alsoWritten,
      // The slot is free as soon as the result record is issued, not when it is on disk: the next
      // job's start record joins the same group commit, so one fsync covers "N finished" and "N+1
      // starts" and strict order (1 in flight) costs one disk round trip per message, not two. N+1's
      // request still waits for its own start record, and N's outcome for its result record.
      issued: () => {
        const run = this.runs.get(job.id);
        if (run && !run.settled) {
          run.settled = true;
          this.pump();
        }
      },
    });
  }

  private storeFailed(err: unknown): void {
    const e = toSmsError(err);
    this.lastError = `${e.code}: ${e.message}`;
    this.opts.logger.error(`dispatch: ${e.message}`);
    this.changed();
  }

  private changed(): void {
    for (const fn of this.changeListeners) {
      try {
        fn();
      } catch {
        /* a status callback must not break dispatch */
      }
    }
  }
}

function asRateLimited(err: SmsError): SmsError {
  if (err.httpStatus !== 429 || err.code === 'rate_limited') return err;
  return new SmsError('rate_limited', err.message, {
    httpStatus: 429,
    retryable: true,
    provider: err.provider,
    details: err.details,
    retryAfterMs: err.retryAfterMs,
    sent: 'no',
  });
}

function deadlineError(job: SendJob, last: SmsError | undefined): SmsError {
  const why = last ? `; last error ${last.code}: ${last.message}` : '';
  return new SmsError('deadline_exceeded', `Gave up after ${job.attempts} attempt(s): the message deadline passed${why}`, {
    retryable: true,
    provider: last?.provider,
    details: last ? last.toMsgError() : undefined,
    sent: last?.sent === 'maybe' ? 'maybe' : 'no',
  });
}
