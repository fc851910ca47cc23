/**
 * Per-sender circuit breaker over a rolling window of call outcomes.
 *
 * closed -> open: after a failure, when the window (last `windowMs`) holds at least `minimumCalls`
 * calls and failures / calls > `failureThreshold`.
 * open -> half-open: the first `allowRequest()` after `coolDownMs` is the single probe.
 * half-open -> closed on the probe's success (with a fresh window), -> open on its failure (a new
 * cool-down). An ignored result (429, validation error) frees the probe slot without deciding.
 * Callers never record 429s or validation errors as failures (see countsForBreaker).
 */
import type { Clock } from '../util/clock';

export interface BreakerOptions {
  windowMs: number;
  failureThreshold: number;
  minimumCalls: number;
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { windowMs: 5 * 60_000, failureThreshold: 0.15, minimumCalls: 20, coolDownMs: 30_000 };

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  readonly opts: BreakerOptions;
  private calls: { t: number; failed: boolean }[] = [];
  private head = 0;
  private failures = 0;
  private current: CircuitState = 'closed';
  private openedAt = 0;
  private probeOut = false;
  private listeners = new Set<(s: CircuitState) => void>();

  constructor(
    opts: Partial<BreakerOptions>,
    private readonly clock: Clock,
  ) {
    this.opts = { ...DEFAULT_BREAKER, ...opts };
  }

  get state(): CircuitState {
    return this.current;
  }

  /** 0 when a call may go now; the remaining cool-down when open; Infinity while a probe is out. */
  msUntilAllowed(): number {
    if (this.current === 'closed') return 0;
    if (this.current === 'half-open') return this.probeOut ? Infinity : 0;
    return Math.max(0, this.openedAt + this.opts.coolDownMs - this.clock.now());
  }

  /** Take permission for one call; in half-open (or open after the cool-down) only one probe. */
  allowRequest(): boolean {
    if (this.current === 'closed') return true;
    if (this.msUntilAllowed() > 0) return false;
    if (this.current === 'open') this.setState('half-open');
    this.probeOut = true;
    return true;
  }

  onSuccess(): void {
    if (this.current === 'half-open') {
      this.reset();
      this.setState('closed');
      return;
    }
    if (this.current === 'closed') this.record(false);
  }

  onFailure(): void {
    if (this.current === 'half-open') {
      this.trip();
      return;
    }
    if (this.current === 'open') return;
    this.record(true);
    const { calls, failures } = this.counts();
    if (calls >= this.opts.minimumCalls && failures / calls > this.opts.failureThreshold) this.trip();
  }

  /** A call whose outcome says nothing about health (429, validation): frees the probe slot. */
  onIgnored(): void {
    if (this.current === 'half-open' && this.probeOut) {
      this.probeOut = false;
      this.emit();
    }
  }

  counts(): { calls: number; failures: number } {
    this.prune();
    return { calls: this.calls.length - this.head, failures: this.failures };
  }

  onChange(fn: (s: CircuitState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private trip(): void {
    this.openedAt = this.clock.now();
    this.probeOut = false;
    this.setState('open');
  }

  private reset(): void {
    this.calls = [];
    this.head = 0;
    this.failures = 0;
    this.probeOut = false;
  }

  private record(failed: boolean): void {
    this.prune();
    this.calls.push({ t: this.clock.now(), failed });
    if (failed) this.failures++;
  }

  private prune(): void {
    const cutoff = this.clock.now() - this.opts.windowMs;
    while (this.head < this.calls.length && this.calls[this.head].t <= cutoff) {
      if (this.calls[this.head].failed) this.failures--;
      this.head++;
    }
    // Drop the consumed prefix now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.calls.length) {
      this.calls = this.calls.slice(this.head);
      this.head = 0;
    }
  }

  private setState(s: CircuitState): void {
    if (this.current === s) return;
    this.current = s;
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) {
      try {
        fn(this.current);
      } catch {
        /* a display callback must not break the breaker */
      }
    }
  }
}
