/**
 * Waits for messages to reach a final status by polling, for one account.
 *
 * Why one scheduler per account: a flow may wait on thousands of messages at once. One setTimeout per
 * waiting message would be a timer storm and would fire polls in bursts the account's request budget
 * then has to absorb. Here every wait sits in one min-heap keyed by its next due instant (next poll or
 * deadline), and exactly one clock timer is armed, for the earliest entry. Polls that fall due beyond
 * the in-flight cap wait in a FIFO until a slot frees, so the budget sees a steady trickle.
 *
 * Receipts are not guaranteed (a carrier may never report), so every wait has a deadline and ends as
 * `timeout` with the last status it saw. Transient read errors (429, 5xx, network) do not end a wait:
 * the account budget already pauses after a 429; the wait is simply rescheduled.
 */
import type { Clock, TimerHandle } from '../util/clock';
import { SmsError, toSmsError } from '../util/errors';
import type { StatusResult } from '../providers/types';

export type FetchStatus = (id: string, conversationId?: string) => Promise<StatusResult>;

export interface PollSchedulerOptions {
  clock: Clock;
  fetchStatus: FetchStatus;
  /** Status reads in flight at once for the whole account (default 8). */
  maxInFlight?: number;
  /** Each poll waits this much longer than the previous one (default 1.5). */
  backoffFactor?: number;
  /** Longest gap between two polls of one message (default 60 s; never below the wait's interval). */
  maxIntervalMs?: number;
}

export interface WaitRequest {
  id: string;
  conversationId?: string;
  /** Gap before the first poll and the base of the backoff. */
  intervalMs: number;
  /** How long to wait for a final status in all. */
  timeoutMs: number;
}

export type WaitOutcome =
  /** A final status (delivered, failed, read). */
  | { kind: 'final'; status: StatusResult; polls: number }
  /** The deadline passed; `last` is the most recent status read, `error` the last failed read, if any. */
  | { kind: 'timeout'; last?: StatusResult; error?: SmsError; polls: number }
  /** A read failed in a way retrying cannot fix (unknown id, refused credentials...). */
  | { kind: 'error'; error: SmsError; last?: StatusResult; polls: number }
  /** Cancelled, or the scheduler closed (redeploy, shutdown). */
  | { kind: 'closed'; last?: StatusResult; polls: number };

export interface PollWait {
  readonly promise: Promise<WaitOutcome>;
  /** End the wait now as `closed`; a poll in flight is ignored when it returns. */
  cancel(): void;
}

export interface PollSchedulerStats {
  waiting: number;
  inFlight: number;
  /** Clock timers armed by the scheduler: 0 or 1. */
  timersArmed: number;
}

/** Read errors worth another try later; anything else ends the wait. */
const TRANSIENT = new Set(['rate_limited', 'provider_unavailable', 'network_error', 'timeout']);

interface Wait {
  req: WaitRequest;
  resolve: (o: WaitOutcome) => void;
  state: 'scheduled' | 'ready' | 'polling' | 'settled';
  nextPollAt: number;
  deadline: number;
  gapMs: number;
  polls: number;
  last?: StatusResult;
  lastError?: SmsError;
  /** Bumped on every reschedule, so older heap entries of this wait are recognised as stale. */
  version: number;
}

interface Entry {
  at: number;
  seq: number;
  wait: Wait;
  version: number;
}

export class PollScheduler {
  private readonly clock: Clock;
  private readonly fetchStatus: FetchStatus;
  private readonly maxInFlight: number;
  private readonly factor: number;
  private readonly maxIntervalMs: number;
  private heap: Entry[] = [];
  private ready: Wait[] = [];
  private readonly live = new Set<Wait>();
  /** Live waits by message id, so a pushed status (webhook, notification channel) can settle them. */
  private readonly byId = new Map<string, Set<Wait>>();
  private inFlight = 0;
  private seq = 0;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private closed = false;

  constructor(opts: PollSchedulerOptions) {
    this.clock = opts.clock;
    this.fetchStatus = opts.fetchStatus;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 8);
    this.factor = Math.max(1, opts.backoffFactor ?? 1.5);
    this.maxIntervalMs = opts.maxIntervalMs ?? 60_000;
  }

  wait(req: WaitRequest): PollWait {
    let resolve!: (o: WaitOutcome) => void;
    const promise = new Promise<WaitOutcome>((r) => (resolve = r));
    const now = this.clock.now();
    const intervalMs = Math.max(1, req.intervalMs);
    const w: Wait = {
      req,
      resolve,
      state: 'scheduled',
      nextPollAt: now + intervalMs,
      deadline: now + Math.max(0, req.timeoutMs),
      gapMs: intervalMs,
      polls: 0,
      version: 0,
    };
    if (this.closed) {
      resolve({ kind: 'closed', polls: 0 });
      return { promise, cancel: () => {} };
    }
    this.live.add(w);
    let same = this.byId.get(req.id);
    if (!same) this.byId.set(req.id, (same = new Set()));
    same.add(w);
    this.push(w);
    this.arm();
    return {
      promise,
      cancel: () => {
        if (w.state === 'settled') return;
        this.settle(w, { kind: 'closed', last: w.last, polls: w.polls });
        this.arm();
      },
    };
  }

  /**
   * A status that arrived by push for `status.id`: a final one settles every wait on that message now
   * (a poll in flight is then ignored); an earlier one is remembered as the last status seen. Polling
   * stays the fallback for messages no push reports. Returns how many waits it settled.
   */
  offer(status: StatusResult): number {
    const same = this.byId.get(status.id);
    if (!same) return 0;
    let settled = 0;
    for (const w of [...same]) {
      if (status.final) {
        this.settle(w, { kind: 'final', status, polls: w.polls });
        settled++;
      } else {
        w.last = status;
      }
    }
    if (settled) this.arm();
    return settled;
  }

  stats(): PollSchedulerStats {
    return { waiting: this.live.size, inFlight: this.inFlight, timersArmed: this.timer ? 1 : 0 };
  }

  /** Settle every wait as `closed` and stop the timer; later waits settle as `closed` at once. */
  close(): void {
    this.closed = true;
    for (const w of [...this.live]) this.settle(w, { kind: 'closed', last: w.last, polls: w.polls });
    this.byId.clear();
    this.heap = [];
    this.ready = [];
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** The instant a wait next needs attention: its next poll while scheduled, else only its deadline. */
  private push(w: Wait): void {
    w.version++;
    const at = w.state === 'scheduled' ? Math.min(w.nextPollAt, w.deadline) : w.deadline;
    this.heapPush({ at, seq: this.seq++, wait: w, version: w.version });
    // Cancelled waits leave stale entries behind; rebuild before they outnumber the live ones.
    if (this.heap.length > 2 * this.live.size + 64) {
      this.heap = this.heap.filter((e) => e.version === e.wait.version && e.wait.state !== 'settled');
      this.heapify();
    }
  }

  private settle(w: Wait, outcome: WaitOutcome): void {
    if (w.state === 'settled') return;
    w.state = 'settled';
    w.version++;
    this.live.delete(w);
    const same = this.byId.get(w.req.id);
    same?.delete(w);
    if (same && !same.size) this.byId.delete(w.req.id);
    w.resolve(outcome);
  }

  private isStale(e: Entry): boolean {
    return e.version !== e.wait.version || e.wait.state === 'settled';
  }

  /** Keep exactly one timer, armed for the earliest live entry (or none). */
  private arm(): void {
    while (this.heap.length && this.isStale(this.heap[0])) this.heapPop();
    const next = this.heap.length ? this.heap[0].at : Infinity;
    if (next === this.timerAt && this.timer) return;
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = next;
    if (next === Infinity || this.closed) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.tick();
    }, next - this.clock.now());
  }

  private tick(): void {
    const now = this.clock.now();
    while (this.heap.length && this.heap[0].at <= now) {
      const e = this.heapPop()!;
      if (this.isStale(e)) continue;
      const w = e.wait;
      if (now >= w.deadline) {
        this.settle(w, { kind: 'timeout', last: w.last, error: w.lastError, polls: w.polls });
      } else if (w.state === 'scheduled') {
        w.state = 'ready';
        this.ready.push(w);
        this.push(w);
      }
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.ready.length) {
      const w = this.ready.shift()!;
      if (w.state !== 'ready') continue;
      this.poll(w);
    }
  }

  private poll(w: Wait): void {
    w.state = 'polling';
    w.polls++;
    this.inFlight++;
    let p: Promise<StatusResult>;
    try {
      p = this.fetchStatus(w.req.id, w.req.conversationId);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (status) => this.answered(w, status, undefined),
      (err) => this.answered(w, undefined, toSmsError(err)),
    );
  }

  private answered(w: Wait, status: StatusResult | undefined, error: SmsError | undefined): void {
    this.inFlight--;
    if (w.state === 'polling') {
      if (status) {
        w.last = status;
        w.lastError = undefined;
      } else {
        w.lastError = error;
      }
      if (status?.final) {
        this.settle(w, { kind: 'final', status, polls: w.polls });
      } else if (error && !TRANSIENT.has(error.code)) {
        this.settle(w, { kind: 'error', error, last: w.last, polls: w.polls });
      } else {
        const now = this.clock.now();
        w.gapMs = Math.min(w.gapMs * this.factor, Math.max(this.maxIntervalMs, w.req.intervalMs));
        // After a 429 the budget is paused anyway; polling before Retry-After would only queue up.
        const gap = Math.max(w.gapMs, error?.retryAfterMs ?? 0);
        w.nextPollAt = now + gap;
        w.state = 'scheduled';
        this.push(w);
      }
    }
    if (this.closed) return;
    this.pump();
    this.arm();
  }

  // A plain binary min-heap ordered by (at, seq).
  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private heapPush(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private heapPop(): Entry | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }

  private heapify(): void {
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
}
