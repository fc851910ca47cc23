/**
 * What to do after a failed send, and how long to wait before the next attempt.
 * Exactly one layer retries (the dispatcher, using this policy); the HTTP client never does.
 */
import { PER_MESSAGE_CODES, type ErrorCode, type SmsError } from '../util/errors';

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 60_000 };

/**
 * Capped full-jitter exponential backoff: uniform in [0, min(cap, base * 2^(n-1))) after the n-th
 * failed attempt. Full jitter spreads the retries of many senders instead of synchronizing them.
 */
export function backoffMs(failedAttempts: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(n - 1, 40));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * - `retry`: try again after a backoff (not sent, or resend of an ambiguous send was allowed).
 * - `rate_limited`: 429 within the cap: wait for the account pause to end, then try again.
 * - `ambiguous`: the platform may have received it; report `ambiguous_send`, do not resend.
 * - `fail`: final; report the error as it is (includes a 429 whose Retry-After exceeds the cap).
 */
export type RetryDecision = 'retry' | 'fail' | 'ambiguous' | 'rate_limited';

export interface ClassifyOptions {
  resendAmbiguous: boolean;
  retryAfterCapMs: number;
}

/** Answers that say the request was not processed (a 504 to a send arrives as ambiguous_send instead). */
const RETRY_STATUSES = new Set([502, 503, 504]);

/** Errors raised before a request is written: nothing reached the platform, so a resend is safe. */
const PRE_SEND_TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['network_error', 'timeout', 'provider_unavailable']);

export function isRateLimit(err: SmsError): boolean {
  return err.code === 'rate_limited' || err.httpStatus === 429;
}

export function classify(err: SmsError, opts: ClassifyOptions): RetryDecision {
  if (isRateLimit(err)) {
    if (err.retryAfterMs !== undefined && err.retryAfterMs > opts.retryAfterCapMs) return 'fail';
    return 'rate_limited';
  }
  if (err.sent === 'yes') return 'fail';
  // Before the status check: a gateway's 504 after the request was sent is an answer that says nothing
  // about whether the platform took the message.
  if (err.code === 'ambiguous_send' || err.sent === 'maybe') return opts.resendAmbiguous ? 'retry' : 'ambiguous';
  if (err.httpStatus !== undefined) {
    if (RETRY_STATUSES.has(err.httpStatus)) return 'retry';
    // Any other answer from the platform (4xx, other 5xx) is final: resending would get the same.
    return 'fail';
  }
  if (err.retryable || PRE_SEND_TRANSIENT.has(err.code)) return 'retry';
  return 'fail';
}

/**
 * Whether a failure counts toward the circuit breaker. 429s (the account is busy, handled by the
 * pause) and validation errors (one bad message, not a sick platform) never count; neither do
 * per-message 4xx such as 400/404/409/413/422. Outages, network errors, timeouts and account-wide
 * failures (401, 403) do.
 */
export function countsForBreaker(err: SmsError): boolean {
  if (isRateLimit(err) || PER_MESSAGE_CODES.has(err.code)) return false;
  const s = err.httpStatus;
  if (s !== undefined && s >= 400 && s < 500) return s === 401 || s === 403;
  return true;
}
