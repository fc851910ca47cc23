/**
 * Interim in-memory dispatcher with a token-bucket pace: same API as the durable dispatch engine that
 * replaces it, so the nodes do not change when it lands.
 */
import { SmsError, toSmsError } from '../util/errors';
import type { Clock } from '../util/clock';
import type { Provider, OutboundMessage, SendResult, RequestBudget } from '../providers/types';

export interface SendJob {
  id: string;
  nodeId: string;
  message: OutboundMessage;
  msg: Record<string, unknown>;
  idempotencyKey?: string;
  enqueuedAt: number;
  attempts: number;
}

export type SendOutcome = { ok: true; result: SendResult; attempts: number; duplicate?: boolean } | { ok: false; error: SmsError; attempts: number };
export type OutcomeListener = (job: SendJob, outcome: SendOutcome) => void;

export interface SimpleDispatcherOptions {
  ratePerSecond: number;
  burst: number;
  queueLimit: number;
  clock: Clock;
}

export class Dispatcher {
  private queue: SendJob[] = [];
  private listeners = new Map<string, OutcomeListener>();
  private tokens: number;
  private last: number;
  private timer: { cancel(): void } | null = null;
  private busy = false;
  private closed = false;
  private counts = { sent: 0, failed: 0 };
  private changeFns: (() => void)[] = [];

  constructor(private readonly getProvider: () => Promise<Provider>, private readonly budget: RequestBudget, private readonly opts: SimpleDispatcherOptions) {
    this.tokens = opts.burst;
    this.last = opts.clock.now();
  }

  async start(): Promise<void> {}

  register(nodeId: string, fn: OutcomeListener): void {
    this.listeners.set(nodeId, fn);
  }

  unregister(nodeId: string): void {
    this.listeners.delete(nodeId);
  }

  onChange(fn: () => void): () => void {
    this.changeFns.push(fn);
    return () => {
      this.changeFns = this.changeFns.filter((f) => f !== fn);
    };
  }

  stats() {
    return { queued: this.queue.length, inFlight: this.busy ? 1 : 0, sent: this.counts.sent, failed: this.counts.failed, circuit: 'closed' as const, storeOk: true };
  }

  async submit(job: SendJob): Promise<void> {
    if (this.closed) throw new SmsError('closed', 'the sender is closing');
    if (this.queue.length >= this.opts.queueLimit) throw new SmsError('queue_full', `the sender's queue is full (${this.opts.queueLimit} messages)`);
    this.queue.push(job);
    this.changed();
    this.pump();
  }

  private changed(): void {
    for (const f of this.changeFns) f();
  }

  private refill(): void {
    const now = this.opts.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) / 1000) * this.opts.ratePerSecond);
    this.last = now;
  }

  private pump(): void {
    if (this.busy || this.closed || this.timer || !this.queue.length) return;
    this.refill();
    if (this.tokens < 1) {
      const wait = ((1 - this.tokens) / this.opts.ratePerSecond) * 1000;
      this.timer = this.opts.clock.setTimer(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    this.tokens -= 1;
    const job = this.queue.shift()!;
    this.busy = true;
    void this.run(job).finally(() => {
      this.busy = false;
      this.changed();
      this.pump();
    });
  }

  private async run(job: SendJob): Promise<void> {
    job.attempts++;
    let outcome: SendOutcome;
    try {
      const provider = await this.getProvider();
      const result = await provider.send(job.message);
      outcome = { ok: true, result, attempts: job.attempts };
      this.counts.sent++;
    } catch (err) {
      const e = toSmsError(err);
      outcome = { ok: false, error: e.sent === 'maybe' ? new SmsError('ambiguous_send', e.message, { provider: e.provider, sent: 'maybe' }) : e, attempts: job.attempts };
      this.counts.failed++;
    }
    this.listeners.get(job.nodeId)?.(job, outcome);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    const left = this.queue.splice(0);
    for (const job of left) this.listeners.get(job.nodeId)?.(job, { ok: false, error: new SmsError('closed', 'the sender was closed before this message was sent'), attempts: job.attempts });
  }
}
