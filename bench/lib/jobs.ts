/** Jobs as send-sms submits them, and a sender's dispatcher, for the measures that drive them directly. */
import { Dispatcher } from '../../src/dispatch/dispatcher';
import type { SendJob } from '../../src/dispatch/job';
import { AccountBudget } from '../../src/dispatch/request-budget';
import type { Provider } from '../../src/providers/types';
import { DISPATCH_DEFAULTS as D } from '../../src/send/sender';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';

/** Job `i`: a 70-character text and the JSON snapshot of a small flow message, as send-sms submits it. */
export function benchJob(i: number, enqueuedAt = Date.now()): SendJob {
  const text = `Your appointment is confirmed for tomorrow at 10:00. Ref ${100000 + i}`;
  const to = `+1202555${String(i % 10000).padStart(4, '0')}`;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    nodeId: 'a1b2c3d4e5f60718',
    message: { to, from: '+12025550100', text, mode: 'agentless' },
    msg: { _msgid: `m${i.toString(16).padStart(15, '0')}`, payload: text, to, sms: { to, from: '+12025550100', segments: 1, encoding: 'GSM-7' } },
    enqueuedAt,
    attempts: 0,
  };
}

/** A dispatcher with a sender's defaults, an account budget far above the load, and the given pace. */
export function benchDispatcher(provider: () => Promise<Provider>, o: { storeDir: string | null; ratePerSecond: number; burst: number; queueLimit: number; maxInFlight?: number }): Dispatcher {
  return new Dispatcher(provider, new AccountBudget({ requestsPerMinute: 1e9, clock: systemClock }), {
    ...o,
    maxAttempts: D.maxAttempts,
    deadlineMs: D.deadlineMs,
    retryAfterCapMs: D.retryAfterCapMs,
    resendAmbiguous: false,
    breaker: {},
    breakerFailFast: false,
    idempotencyRetentionMs: D.idempotencyRetentionMs,
    clock: systemClock,
    logger: silentLogger,
  });
}
