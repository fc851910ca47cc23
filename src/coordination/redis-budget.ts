/**
 * The account's request budget shared by every instance through Redis, with the same rules as the
 * in-process `AccountBudget` (src/dispatch/request-budget.ts):
 *
 * - Sliding window: a grant at time t only if fewer than `budget` grants lie in (t - windowMs, t].
 *   The window is a sorted set of grant times; the check and the grant are one Lua script, so grants
 *   of all instances are serialized by Redis and timed by Redis's clock (instance clocks may differ).
 * - 429 pause: a key with PX expiry; every grant first checks it, so no instance sends inside another
 *   instance's Retry-After window. When it has expired, exactly one grant is the probe (a probe key
 *   taken inside the same script); the others wait until the probe's answer (`onResponse` deletes
 *   the probe key) or until the probe key expires (`probeTimeoutMs`: a lost answer cannot stall the
 *   account).
 *
 * No library fits the window: BullMQ's limiter counts jobs started per fixed interval, while the
 * budget counts HTTP requests (sends, retries and status reads) in a true sliding window.
 * Waiters of one instance are served in FIFO order; instances poll Redis for their next grant with the
 * wait the script returns, so the pause's end is seen at most one poll late. Pauses are published so
 * the other instances' dispatchers show and honour them without a round trip.
 */
import type Redis from 'ioredis';
import type { Clock, TimerHandle } from '../util/clock';
import { SmsError, toSmsError } from '../util/errors';
import type { SharedBudget } from '../dispatch/request-budget';
import type { RedisLink } from './redis-connection';

/** KEYS: window, pause, needProbe, probe. ARGV: budget, windowMs, probeTimeoutMs, member. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local budget = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local p = redis.call('PTTL', KEYS[2])
if p > 0 then return {0, p, 1} end
local probing = redis.call('EXISTS', KEYS[3]) == 1
if not probing then
  local pp = redis.call('PTTL', KEYS[4])
  if pp > 0 then return {0, pp, 2} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
if redis.call('ZCARD', KEYS[1]) >= budget then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + windowMs - now), 3}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], windowMs + 1000)
if probing then
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], ARGV[4], 'PX', tonumber(ARGV[3]))
  return {1, 0, 4}
end
return {1, 0, 0}
`;

/** KEYS: pause, needProbe, probe, channel. ARGV: ms. Returns the pause left (ms). */
const PAUSE = `
local ms = tonumber(ARGV[1])
local cur = redis.call('PTTL', KEYS[1])
if ms > cur then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
  cur = ms
end
redis.call('SET', KEYS[2], '1', 'PX', cur + 86400000)
redis.call('DEL', KEYS[3])
redis.call('PUBLISH', KEYS[4], 'pause:' .. cur)
return cur
`;

/** KEYS: probe, channel. Any answer but 429 ends the probe and reopens the budget for all. */
const RESPONSE = `
if redis.call('DEL', KEYS[1]) == 1 then redis.call('PUBLISH', KEYS[2], 'open') end
return 0
`;

export interface RedisBudgetOptions {
  requestsPerMinute: number;
  /** Key prefix of this account, e.g. 'agentless-sms:<accountId>:'. */
  keys: string;
  clock: Clock;
  random?: () => number;
  maxJitterMs?: number;
  probeTimeoutMs?: number;
  windowMs?: number;
  /** Longest single wait between polls (default 250 ms). */
  pollMs?: number;
  /** How long a request waits for Redis to come back before it fails store_unavailable (default 5 s). */
  outageWaitMs?: number;
}

export class RedisBudget implements SharedBudget {
  readonly requestsPerMinute: number;
  private readonly k: { win: string; pause: string; need: string; probe: string; channel: string };
  private readonly waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly listeners = new Set<() => void>();
  private pumping = false;
  private closed = false;
  private pauseUntil = 0;
  private pauseTimer: TimerHandle | null = null;
  private sub: Redis | null = null;
  private seq = 0;
  private readonly opts: Required<Omit<RedisBudgetOptions, 'keys' | 'clock' | 'random' | 'requestsPerMinute'>>;
  private readonly random: () => number;

  constructor(
    private readonly link: RedisLink,
    private readonly o: RedisBudgetOptions,
  ) {
    if (!(o.requestsPerMinute >= 1) || !Number.isFinite(o.requestsPerMinute)) throw new RangeError(`requestsPerMinute must be at least 1, got ${o.requestsPerMinute}`);
    this.requestsPerMinute = Math.floor(o.requestsPerMinute);
    this.random = o.random ?? Math.random;
    this.opts = {
      maxJitterMs: o.maxJitterMs ?? 1000,
      probeTimeoutMs: o.probeTimeoutMs ?? 15_000,
      windowMs: o.windowMs ?? 60_000,
      pollMs: o.pollMs ?? 250,
      outageWaitMs: o.outageWaitMs ?? 5000,
    };
    const b = `${o.keys}budget:`;
    this.k = { win: `${b}window`, pause: `${b}pause`, need: `${b}need-probe`, probe: `${b}probe`, channel: `${b}events` };
    this.subscribe();
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new SmsError('closed', 'The account is closed'));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      void this.pump();
    });
  }

  onRateLimited(retryAfterMs: number): void {
    if (this.closed) return;
    const wait = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
    const ms = Math.max(1, Math.floor(wait + Math.min(Math.max(this.random(), 0), 1) * this.opts.maxJitterMs));
    // Known here at once; Redis makes it known to the others (and the grant script enforces it).
    this.setPause(ms);
    this.link
      .ready()
      .then((c) => c.eval(PAUSE, 4, this.k.pause, this.k.need, this.k.probe, this.k.channel, String(ms)))
      .catch(() => {
        /* Redis is down: nothing is granted anywhere until it is back */
      });
  }

  onResponse(): void {
    if (this.closed) return;
    this.link
      .ready()
      .then((c) => c.eval(RESPONSE, 2, this.k.probe, this.k.channel))
      .catch(() => {
        /* the probe key expires by itself */
      });
  }

  pausedUntil(): number | undefined {
    return this.pauseUntil > this.o.clock.now() ? this.pauseUntil : undefined;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pauseTimer?.cancel();
    for (const w of this.waiters.splice(0)) w.reject(new SmsError('closed', 'The account is closed'));
    this.sub?.disconnect();
    this.sub = null;
  }

  /** Grants in FIFO order; one loop per instance asks Redis and sleeps for the wait it answers. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length && !this.closed) {
        let r: [number, number, number];
        try {
          const c = await this.link.ready(this.opts.outageWaitMs);
          r = (await c.eval(
            ACQUIRE,
            4,
            this.k.win,
            this.k.pause,
            this.k.need,
            this.k.probe,
            String(this.requestsPerMinute),
            String(this.opts.windowMs),
            String(this.opts.probeTimeoutMs),
            `${process.pid}-${++this.seq}-${Math.random()}`,
          )) as [number, number, number];
        } catch (err) {
          if (this.closed) break;
          // Not knowing the budget is no licence to send: this request fails without being sent.
          const e = toSmsError(err);
          const error = e.code === 'store_unavailable' ? e : new SmsError('store_unavailable', `Redis is unavailable (${e.message})`, { retryable: true, sent: 'no' });
          this.waiters.shift()?.reject(error);
          continue;
        }
        if (this.closed) break;
        const [granted, wait, why] = r;
        if (granted === 1) {
          this.waiters.shift()?.resolve();
          continue;
        }
        if (why === 1) this.setPause(wait);
        await this.sleep(Math.min(Math.max(1, wait), this.opts.pollMs));
      }
    } finally {
      this.pumping = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimer(resolve, ms));
  }

  /** Cache a pause of `ms` from now (local clock) for the dispatcher's synchronous reads. */
  private setPause(ms: number): void {
    const until = this.o.clock.now() + ms;
    if (until <= this.pauseUntil) return;
    this.pauseUntil = until;
    this.pauseTimer?.cancel();
    this.pauseTimer = this.o.clock.setTimer(() => {
      this.pauseTimer = null;
      this.changed();
    }, ms);
    this.changed();
  }

  private subscribe(): void {
    const sub = this.link.duplicate();
    this.sub = sub;
    sub.subscribe(this.k.channel).catch(() => {
      /* resubscribed by ioredis on reconnect */
    });
    sub.on('message', (_ch: string, text: string) => {
      if (this.closed) return;
      if (text.startsWith('pause:')) this.setPause(Number(text.slice(6)) || 0);
      else if (text === 'open' && this.pauseUntil > 0) {
        this.pauseUntil = 0;
        this.changed();
      }
    });
  }

  private changed(): void {
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch {
        /* a display callback must not break the budget */
      }
    }
  }
}
