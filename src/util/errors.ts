/**
 * The stable error contract of the package: every failure that reaches a flow is an SmsError and
 * leaves as `msg.error = { code, message, httpStatus?, retryable, provider? }`.
 * Codes are part of the public interface (README and node help list them): add, never rename.
 */
export const ERROR_CODES = [
  // rejected before sending
  'invalid_number',
  'invalid_sender',
  'empty_text',
  'text_too_long',
  'invalid_text',
  'invalid_template',
  'invalid_message_id',
  'invalid_request',
  'config_missing',
  // an account set to Redis coordination, without the Redis libraries (bullmq, ioredis) installed
  'dependency_missing',
  // dispatch
  'queue_full',
  'circuit_open',
  'rate_limited',
  'store_unavailable',
  'deadline_exceeded',
  'closed',
  // compliance gates (src/compliance): refused before the platform is asked
  'opted_out',
  'quiet_hours',
  'too_many_segments',
  'content_blocked',
  'missing_opt_out_text',
  // platform
  'auth_failed',
  'forbidden',
  'not_found',
  'provider_rejected',
  'payload_too_large',
  'conversation_active',
  // CCAI Platform: the consumer already has an active SMS session (one outbound SMS per number per day)
  'session_active',
  // the platform account does not have SMS / outbound SMS enabled
  'not_enabled',
  // the platform refuses this number (CCAI: non-US numbers)
  'number_not_allowed',
  // the platform has no such operation (status read on CCAI Platform and Avaamo)
  'provider_unavailable',
  'network_error',
  'ambiguous_send',
  'timeout',
  // status reads: the platform cannot report a message's status by id
  'status_unsupported',
  // webhook receiver: a delivery receipt saying the message failed; an authenticated but unusable event
  'delivery_failed',
  'invalid_webhook',
  'unknown_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MsgError {
  code: ErrorCode;
  message: string;
  httpStatus?: number;
  retryable: boolean;
  provider?: string;
  /** Platform-specific detail (error code, receipts); never contains credentials. */
  details?: unknown;
}

export interface SmsErrorOptions {
  httpStatus?: number;
  retryable?: boolean;
  provider?: string;
  details?: unknown;
  retryAfterMs?: number;
  sent?: 'no' | 'maybe' | 'yes';
}

export class SmsError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus?: number;
  readonly retryable: boolean;
  readonly provider?: string;
  readonly details?: unknown;
  /** For `rate_limited`: how long the platform asked us to wait (from Retry-After). */
  readonly retryAfterMs?: number;
  /**
   * Whether the platform may have received the request: `no` (failed before it was written, safe to
   * resend), `maybe` (timeout or reset after it was written: resending could text twice), `yes`.
   */
  readonly sent: 'no' | 'maybe' | 'yes';

  constructor(code: ErrorCode, message: string, opts: SmsErrorOptions = {}) {
    super(message);
    this.name = 'SmsError';
    this.code = code;
    this.httpStatus = opts.httpStatus;
    this.retryable = opts.retryable ?? false;
    this.provider = opts.provider;
    this.details = opts.details;
    this.retryAfterMs = opts.retryAfterMs;
    // An HTTP error answer means the platform refused the request: nothing was sent.
    this.sent = opts.sent ?? 'no';
  }

  toMsgError(): MsgError {
    const out: MsgError = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.httpStatus !== undefined) out.httpStatus = this.httpStatus;
    if (this.provider !== undefined) out.provider = this.provider;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

/** Anything thrown becomes an SmsError; unexpected errors keep their message but no stack or internals. */
export function toSmsError(err: unknown): SmsError {
  if (err instanceof SmsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SmsError('unknown_error', message);
}
