/**
 * Per-sender pacing: a token bucket refilled at `ratePerSecond`, holding at most `burst` whole tokens,
 * and a sliding window that holds at most N = `max(ceil(ratePerSecond), burst)` requests, N being what
 * the rate allows in the window's length (a second at an integer rate with a burst up to the rate).
 *
 * Timers fire late (a 50 ms timer typically runs after 51 ms, more on a busy machine). A bucket capped
 * at exactly `burst` would throw that lateness away on every wait and run measurably slow (2 % at
 * 20/s). So the cap keeps up to half a token more: the lateness is carried into the next wait and the
 * long-run rate stays exact.
 *
 * A bucket alone lets `rate + burst` (plus the slack) through in a one-second window: 21 or 22 at
 * 20/s with a burst of 1, where a platform limit of "20 per second" means 20. The window is what
 * makes the rate a ceiling the platform can count on: it remembers the last requests' times and holds
 * the next one until the oldest is a full window old. A request's time is when it leaves (`departed`,
 * called as its request is written to the socket: after its start record is on disk and the account's
 * budget let it go), not when it was let through: a slow commit or a budget wait in between must not
 * bring two requests closer together at the platform than the window. Counted where the dispatcher
 * handed the request over instead, the steps up to the write (the budget, the token, building the
 * request) took 0.4 ms at the median and up to 5 ms at 20/s, out of the margin below; from the write to
 * the sandbox's arrival stamp took up to 6 ms (timestamps put into a build for three runs of 400
 * messages, not part of the tests). The window is 1 % longer than
 * N requests take at the rate, so that the few milliseconds between our clock and the platform's
 * receipt (scheduling, the request on the wire) cannot squeeze one more into the platform's second;
 * that costs 1 % of the rate.
 * Counting from departure also means a slow commit delays every request a window behind it, so a
 * loaded machine runs a little more than 1 % under. Letting a request through up to 20 ms before its
 * slot opens, and holding it after its commit until the slot is open, was tried and not kept: at 20/s
 * it gave 19.73-19.84/s against 19.72-19.80 without it (commits here are short), and requests then
 * leave at the very edge of the window, so only the 1 % margin is left against the trip to the
 * platform, which varied by up to 16 ms then, counted from the hand-over to the sandbox's answer (the
 * sandbox counted 21 in one second in 3 of 10 runs with it, 1 of 7 without).
 * Above 1,000 per window (1,000/s) the window is not kept (each take scans it, and platform limits are
 * far below that); the bucket alone paces there.
 */
import type { Clock } from '../util/clock';

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Fraction of a token kept above `burst` to absorb timer lateness (see above). */
  static readonly SLACK = 0.5;
  /** The window is this much longer than N requests take at the rate: 1 % for the trip to the platform. */
  static readonly WINDOW_MARGIN = 1.01;
  /** The most requests a window is kept for (each take looks at all of them). */
  static readonly WINDOW_CAP = 1000;
  /** The most requests in any window of `windowMs`, or 0 when the window is not kept. */
  readonly perWindow: number;
  readonly windowMs: number;
  private tokens: number;
  private last: number;
  /** Times of the last `perWindow` requests (a new one replaces the earliest once all are in use). */
  private readonly times: Float64Array;
  /** Which take each slot holds, for `departed`. */
  private readonly tickets: Float64Array;
  private count = 0;
  private taken = 0;

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
    const perWindow = Math.max(Math.ceil(ratePerSecond), this.burst);
    this.perWindow = perWindow <= TokenBucket.WINDOW_CAP ? perWindow : 0;
    this.windowMs = (TokenBucket.WINDOW_MARGIN * 1000 * perWindow) / ratePerSecond;
    this.times = new Float64Array(this.perWindow);
    this.tickets = new Float64Array(this.perWindow);
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps backwards must not mint tokens or lose them.
    if (now > this.last) {
      this.tokens = Math.min(this.burst + TokenBucket.SLACK, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }

  /** 0 when the window has room now, else the wait in ms (rounded up) until its oldest request leaves it. */
  private msUntilWindow(): number {
    if (this.perWindow === 0 || this.count < this.perWindow) return 0;
    // Requests may leave in another order than they were let through: the oldest is the earliest time.
    let oldest = Infinity;
    for (let i = 0; i < this.perWindow; i++) if (this.times[i] < oldest) oldest = this.times[i];
    const wait = oldest + this.windowMs - this.clock.now();
    return wait > 0 ? Math.ceil(wait) : 0;
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1 || this.msUntilWindow() > 0) return false;
    this.tokens -= 1;
    this.taken++;
    if (this.perWindow > 0) {
      let slot = this.count;
      if (this.count === this.perWindow) {
        // The slot of the earliest time is the one that has left the window.
        slot = 0;
        for (let i = 1; i < this.perWindow; i++) if (this.times[i] < this.times[slot]) slot = i;
      } else this.count++;
      this.times[slot] = this.clock.now();
      this.tickets[slot] = this.taken;
    }
    return true;
  }

  /** The ticket of the last successful `tryTake`, for `departed`. */
  get lastTake(): number {
    return this.taken;
  }

  /** The request of take `ticket` leaves now: the window counts it from now. */
  departed(ticket: number): void {
    if (this.perWindow === 0 || ticket <= 0 || this.taken - ticket >= this.perWindow) return;
    const now = this.clock.now();
    for (let i = 0; i < this.perWindow; i++) {
      if (this.tickets[i] === ticket) {
        if (now > this.times[i]) this.times[i] = now;
        return;
      }
    }
  }

  /** 0 when a request may go now, else the wait in ms (rounded up) until one may. */
  msUntilToken(): number {
    this.refill();
    const forToken = this.tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
    return Math.max(forToken, this.msUntilWindow());
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  /**
   * Whether `n` more requests would be let through now: the tokens are there and the window has room
   * for all of them without waiting for any request to leave it (the dispatcher writes the start
   * records of the next jobs ahead of their turn only then).
   */
  wouldTake(n: number): boolean {
    this.refill();
    if (this.tokens < n) return false;
    if (this.perWindow === 0) return true;
    let room = this.perWindow - this.count;
    const edge = this.clock.now() - this.windowMs;
    for (let i = 0; i < this.count && room < n; i++) if (this.times[i] <= edge) room++;
    return room >= n;
  }
}
