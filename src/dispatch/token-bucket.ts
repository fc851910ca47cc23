/**
 * Per-sender pacing: a token bucket refilled at `ratePerSecond`, holding at most `burst` tokens.
 * Over any interval of length t (ms) a sender takes at most `ratePerSecond * t / 1000 + burst` tokens.
 */
import type { Clock } from '../util/clock';

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private tokens: number;
  private last: number;

  constructor(ratePerSecond: number, burst: number, private readonly clock: Clock) {
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
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
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
