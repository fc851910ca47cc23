/**
 * The API request budget of one account (tenant / OAuth client), shared by every sender and every
 * status poll on it.
 *
 * Sliding window: a request is granted at time t only if the budget-th most recent grant is at least
 * `windowMs` before t. Hence any `budget + 1` consecutive grants span at least `windowMs`, and any
 * half-open window [s, s + windowMs) holds at most `budget` grants. Only the last `budget` grant times
 * are kept (a ring), so memory is bounded by the budget.
 *
 * 429 pause, precisely: `onRateLimited(ms)` at time t sets pausedUntil = max(pausedUntil,
 * t + ms + jitter), jitter uniform in [0, maxJitterMs). Inside [t, pausedUntil) nothing is granted.
 * At pausedUntil exactly one waiter (the probe) is granted; every other waiter keeps waiting until
 * the probe's answer is known: `onResponse()` (any non-429 answer) reopens the budget, another
 * `onRateLimited` starts a new pause. If neither is reported within `probeTimeoutMs` (say the probe
 * died of a network error), the budget reopens, so a lost report can never stall the account.
 * Waiters are served in FIFO order.
 */
import type { Clock, TimerHandle } from '../util/clock';
import { SmsError } from '../util/errors';
import type { RequestBudget } from '../providers/types';

export interface AccountBudgetOptions {
  requestsPerMinute: number;
  clock: Clock;
  random?: () => number;
  /** Upper bound of the jitter added after Retry-After (default 1000 ms). */
  maxJitterMs?: number;
  /** How long the probe may stay unanswered before the budget reopens (default 15 s). */
  probeTimeoutMs?: number;
  /** Window length (default 60 000 ms); only tests change it. */
  windowMs?: number;
}

export interface BudgetState {
  requestsPerMinute: number;
  /** Set while the account is paused after a 429 (epoch ms). */
  pausedUntil?: number;
  /** A probe was granted after a pause and its answer is not known yet. */
  probing: boolean;
  waiting: number;
  usedInWindow: number;
}

/**
 * An account budget whose 429 pause the dispatcher can read: `AccountBudget` in-process, or the Redis
 * budget (src/coordination) shared by every instance of the account.
 */
export interface SharedBudget extends RequestBudget {
  onResponse(): void;
  pausedUntil(): number | undefined;
  onChange(fn: () => void): () => void;
  close(): void;
}

export function isSharedBudget(b: RequestBudget): b is SharedBudget {
  return b instanceof AccountBudget || (typeof (b as Partial<SharedBudget>).pausedUntil === 'function' && typeof (b as Partial<SharedBudget>).onChange === 'function');
}

type Phase = 'open' | 'paused' | 'probing';

export class AccountBudget implements SharedBudget {
  readonly requestsPerMinute: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxJitterMs: number;
  private readonly probeTimeoutMs: number;
  private readonly windowMs: number;
  private readonly ring: number[] = [];
  private next = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private phase: Phase = 'open';
  private pauseUntil = 0;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private probeTimer: TimerHandle | null = null;
  private closed = false;
  private listeners = new Set<() => void>();

  constructor(opts: AccountBudgetOptions) {
    if (!(opts.requestsPerMinute >= 1) || !Number.isFinite(opts.requestsPerMinute)) {
      throw new RangeError(`requestsPerMinute must be at least 1, got ${opts.requestsPerMinute}`);
    }
    this.requestsPerMinute = Math.floor(opts.requestsPerMinute);
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.maxJitterMs = opts.maxJitterMs ?? 1000;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 15_000;
    this.windowMs = opts.windowMs ?? 60_000;
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new SmsError('closed', 'The account is closed'));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  onRateLimited(retryAfterMs: number): void {
    if (this.closed) return;
    const now = this.clock.now();
    const wait = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
    const jitter = Math.floor(Math.min(Math.max(this.random(), 0), 1) * this.maxJitterMs);
    this.pauseUntil = Math.max(this.pauseUntil, now + wait + jitter);
    this.phase = 'paused';
    this.clearProbeTimer();
    this.pump();
    this.changed();
  }

  /** Any non-429 answer from the platform: after a pause it ends the probe and reopens the budget. */
  onResponse(): void {
    if (this.phase !== 'probing') return;
    this.reopen();
  }

  /**
   * Whether `n` more requests would be granted at once (not paused or probing, nobody waiting, `n`
   * free slots in the window). The dispatcher writes a job's start record ahead of its turn only then.
   */
  grantsNow(n = 1): boolean {
    if (this.closed || this.phase !== 'open' || this.waiters.length) return false;
    const free = this.requestsPerMinute - this.ring.length;
    if (n <= free) return true;
    // The window is (nearly) full: the (n - free)th oldest grant must have left it. While the ring is
    // filling up the oldest grant is ring[0]; once full it is ring[next].
    const expired = n - free;
    if (expired > this.ring.length) return false;
    const oldest = this.ring.length === this.requestsPerMinute ? this.next : 0;
    const at = this.ring[(oldest + expired - 1) % this.ring.length];
    return at + this.windowMs <= this.clock.now();
  }

  /** When the account is paused by a 429, the instant the pause ends; otherwise undefined. */
  pausedUntil(): number | undefined {
    return this.phase === 'paused' && this.pauseUntil > this.clock.now() ? this.pauseUntil : undefined;
  }

  state(): BudgetState {
    const now = this.clock.now();
    let used = 0;
    for (const t of this.ring) if (t > now - this.windowMs) used++;
    const s: BudgetState = { requestsPerMinute: this.requestsPerMinute, probing: this.phase === 'probing', waiting: this.waiters.length, usedInWindow: used };
    const p = this.pausedUntil();
    if (p !== undefined) s.pausedUntil = p;
    return s;
  }

  /** Called on pause start/end, so status displays can refresh. Returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Reject every waiter (nothing hangs on a closed account) and cancel timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.clearProbeTimer();
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.reject(new SmsError('closed', 'The account is closed'));
  }

  private reopen(): void {
    this.phase = 'open';
    this.pauseUntil = 0;
    this.clearProbeTimer();
    this.pump();
    this.changed();
  }

  private clearProbeTimer(): void {
    this.probeTimer?.cancel();
    this.probeTimer = null;
  }

  private changed(): void {
    for (const fn of this.listeners) {
      try {
        fn();
      } catch {
        /* a display callback must not break the budget */
      }
    }
  }

  /** Earliest time the window has a free slot (now if it has one). */
  private slotFreeAt(now: number): number {
    if (this.ring.length < this.requestsPerMinute) return now;
    const oldest = this.ring[this.next];
    return Math.max(now, oldest + this.windowMs);
  }

  /** Protected so tests can observe the exact instant of each grant. */
  protected grant(now: number): void {
    if (this.ring.length < this.requestsPerMinute) this.ring.push(now);
    else this.ring[this.next] = now;
    this.next = (this.next + 1) % this.requestsPerMinute;
    this.waiters.shift()!.resolve();
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, at - this.clock.now());
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (this.phase === 'paused' && now < this.pauseUntil) {
      this.wakeAt(this.pauseUntil);
      return;
    }
    if (this.phase === 'probing') return;
    while (this.waiters.length) {
      const free = this.slotFreeAt(now);
      if (free > now) {
        this.wakeAt(free);
        return;
      }
      this.grant(now);
      if (this.phase === 'paused') {
        // The pause is over: this grant is the single probe; the rest wait for its answer.
        this.phase = 'probing';
        this.probeTimer = this.clock.setTimer(() => {
          this.probeTimer = null;
          if (this.phase === 'probing') this.reopen();
        }, this.probeTimeoutMs);
        this.changed();
        return;
      }
    }
  }
}
