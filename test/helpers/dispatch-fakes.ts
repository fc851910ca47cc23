/** Shared fakes for the dispatch tests: a scripted provider and helpers to let promises settle. */
import type { OutboundMessage, Provider, RequestBudget, SendOptions, SendResult } from '../../src/providers/types';
import type { Clock } from '../../src/util/clock';
import { SmsError } from '../../src/util/errors';
import type { DispatcherOptions, SendJob } from '../../src/dispatch/dispatcher';
import { silentLogger } from '../../src/util/logger';

export type Reply = SendResult | SmsError | 'hang';

/** What every test provider has besides `send`: it reads no status and always connects. */
export abstract class TestProvider implements Provider {
  readonly name = 'sandbox' as const;
  readonly capabilities = { status: true, textRequired: true, maxTextLength: 1600, defaultRequestsPerMinute: 300 };
  abstract send(message: OutboundMessage, opts?: SendOptions): Promise<SendResult>;
  getStatus(): never {
    throw new Error('not used');
  }
  testConnection(): Promise<{ ok: boolean; message: string }> {
    return Promise.resolve({ ok: true, message: 'ok' });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class FakeProvider extends TestProvider {
  calls: { to: string; at: number }[] = [];
  private n = 0;

  /**
   * `script(message, callIndex)` decides each reply; the budget, when given, is acquired like the HTTP
   * layer does, and the request "leaves" (`opts.leaving`) once it is, as the transport's write does.
   */
  constructor(
    private readonly clock: Clock,
    private readonly script: (m: OutboundMessage, i: number) => Reply = (m, i) => ok(`id-${i}`),
    private readonly budget?: RequestBudget,
  ) {
    super();
  }

  async send(message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    if (this.budget) await this.budget.acquire();
    opts.leaving?.();
    this.calls.push({ to: message.to, at: this.clock.now() });
    const reply = this.script(message, this.n++);
    if (reply === 'hang') return new Promise<SendResult>(() => {});
    if (reply instanceof SmsError) {
      if (reply.httpStatus === 429 && this.budget) this.budget.onRateLimited(reply.retryAfterMs ?? 0);
      throw reply;
    }
    return reply;
  }
}

/** The options the dispatcher tests start from: in memory, no deadline, no jitter, nothing logged, no fsync. */
export function dispatchOptions(clock: Clock, extra: Partial<DispatcherOptions> = {}): DispatcherOptions {
  return {
    storeDir: null,
    ratePerSecond: 100,
    burst: 10,
    queueLimit: 100,
    maxAttempts: 5,
    deadlineMs: 0,
    retryAfterCapMs: 180_000,
    resendAmbiguous: false,
    breaker: {},
    breakerFailFast: false,
    idempotencyRetentionMs: 24 * 3600_000,
    clock,
    random: () => 0.5,
    logger: silentLogger,
    fsync: false,
    ...extra,
  };
}

export function ok(id: string): SendResult {
  return { id, status: 'queued', providerStatus: 'queued' };
}

export function httpError(status: number, extra: { retryAfterMs?: number } = {}): SmsError {
  const code = status === 429 ? 'rate_limited' : status >= 500 ? 'provider_unavailable' : 'provider_rejected';
  return new SmsError(code, `HTTP ${status}`, { httpStatus: status, retryable: status >= 500 || status === 429, ...extra });
}

let seq = 0;
export function job(nodeId: string, to: string, clock: Clock, extra: Partial<SendJob> = {}): SendJob {
  return { id: `job-${++seq}`, nodeId, message: { to, text: 'hello' }, msg: { payload: 'hello', to }, enqueuedAt: clock.now(), attempts: 0, ...extra };
}

/** Let pending promise chains run (no file system involved). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Poll until `cond` holds (for work that waits on real file I/O); fails after `ms` real time. */
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A deterministic random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
