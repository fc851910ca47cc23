/**
 * Per-sender pacing: a token bucket refilled at `ratePerSecond`, holding at most `burst` whole tokens.
 *
 * Timers fire late (a 50 ms timer typically runs after 51 ms, more on a busy machine). A bucket capped
 * at exactly `burst` would throw that lateness away on every wait and run measurably slow (2 % at
 * 20/s). So the cap keeps up to half a token more: the lateness is carried into the next wait and the
 * long-run rate stays exact. Over any interval of length t (ms) a sender takes at most
 * `floor(ratePerSecond * t / 1000 + burst + 0.5)` tokens, so a 1 s window at an integer rate still
 * never holds more than `rate + burst`.
 */
import type { Clock } from '../util/clock';

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Fraction of a token kept above `burst` to absorb timer lateness (see above). */
  static readonly SLACK = 0.5;
  private tokens: number;
  private last: number;

  constructor(
    ratePerSecond: number,
    burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    }
    this.ratePerSecond = ratePerSecond;
    // A burst below one token could never send anything.
    this.burst = Math.max(1, Math.floor(Number.isFinite(burst) ? burst : 1));
    this.tokens = this.burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps backwards must not mint tokens or lose them.
    if (now > this.last) {
      this.tokens = Math.min(this.burst + TokenBucket.SLACK, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** 0 when a token is available now, else the wait in ms (rounded up) until one is. */
  msUntilToken(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
  }

  available(): number {
    this.refill();
    return this.tokens;
  }
}
