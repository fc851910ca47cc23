/**
 * The stable error contract of the package: every failure that reaches a flow is an SmsError and
 * leaves as `msg.error = { code, message, httpStatus?, retryable, provider? }`.
 * Codes are part of the public interface (README and node help list them): add, never rename.
 */
/**
 * Every code, with the stage that raises it. `perMessage`: a rejection of the message itself, which
 * says nothing about the platform's health (the circuit breaker ignores it, a retry cannot help).
 */
export type ErrorGroup = 'input' | 'dispatch' | 'compliance' | 'platform' | 'status' | 'webhook' | 'other';

const ERROR_TABLE = {
  // rejected before sending
  invalid_number: { group: 'input', perMessage: true },
  invalid_sender: { group: 'input', perMessage: true },
  empty_text: { group: 'input', perMessage: true },
  text_too_long: { group: 'input', perMessage: true },
  invalid_text: { group: 'input', perMessage: true },
  invalid_template: { group: 'input', perMessage: true },
  invalid_message_id: { group: 'input', perMessage: true },
  invalid_request: { group: 'input' },
  config_missing: { group: 'input' },
  // an account set to Redis coordination, without the Redis libraries (bullmq, ioredis) installed
  dependency_missing: { group: 'input' },
  // the msg is too large to keep in the durable queue (its stored copy is capped by bytes)
  msg_too_large: { group: 'input', perMessage: true },
  // dispatch
  queue_full: { group: 'dispatch' },
  circuit_open: { group: 'dispatch' },
  rate_limited: { group: 'dispatch' },
  store_unavailable: { group: 'dispatch' },
  deadline_exceeded: { group: 'dispatch' },
  closed: { group: 'dispatch' },
  // compliance gates (src/compliance): refused before the platform is asked
  opted_out: { group: 'compliance' },
  quiet_hours: { group: 'compliance' },
  too_many_segments: { group: 'compliance' },
  content_blocked: { group: 'compliance' },
  missing_opt_out_text: { group: 'compliance' },
  // platform
  auth_failed: { group: 'platform' },
  forbidden: { group: 'platform' },
  not_found: { group: 'platform' },
  provider_rejected: { group: 'platform' },
  payload_too_large: { group: 'platform', perMessage: true },
  conversation_active: { group: 'platform', perMessage: true },
  // Genesys: the sender's mode needs the other sign-in (queue mode: a signed-in user; agentless: client
  // credentials), found in the configuration or answered by the platform ("requires a user context")
  grant_mismatch: { group: 'platform' },
  // CCAI Platform: the consumer already has an active SMS session (one outbound SMS per number per day)
  session_active: { group: 'platform' },
  // the platform account does not have SMS / outbound SMS enabled
  not_enabled: { group: 'platform' },
  // the platform refuses this number (CCAI: non-US numbers)
  number_not_allowed: { group: 'platform' },
  provider_unavailable: { group: 'platform' },
  network_error: { group: 'platform' },
  ambiguous_send: { group: 'platform' },
  timeout: { group: 'platform' },
  // status reads: the platform cannot report a message's status by id
  status_unsupported: { group: 'status' },
  // webhook receiver: a delivery receipt saying the message failed; an authenticated but unusable event
  delivery_failed: { group: 'webhook' },
  invalid_webhook: { group: 'webhook' },
  unknown_error: { group: 'other' },
} as const satisfies Record<string, { group: ErrorGroup; perMessage?: true }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** Every code, in table order. */
export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

/** The codes of one stage. */
export function codesOf(group: ErrorGroup): ReadonlySet<ErrorCode> {
  return new Set(ERROR_CODES.filter((c) => ERROR_TABLE[c].group === group));
}

/** Rejections of the message itself (see `perMessage` above). */
export const PER_MESSAGE_CODES: ReadonlySet<ErrorCode> = new Set(ERROR_CODES.filter((c) => 'perMessage' in ERROR_TABLE[c]));

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

  /** Everything needed to rebuild this error after a restart (the durable queue's result record). */
  toJSON(): SerializedSmsError {
    const out: SerializedSmsError = { code: this.code, message: this.message, retryable: this.retryable, sent: this.sent };
    if (this.httpStatus !== undefined) out.httpStatus = this.httpStatus;
    if (this.provider !== undefined) out.provider = this.provider;
    if (this.details !== undefined) out.details = this.details;
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    return out;
  }

  static fromJSON(e: SerializedSmsError): SmsError {
    return new SmsError(e.code, e.message, { httpStatus: e.httpStatus, retryable: e.retryable, provider: e.provider, details: e.details, retryAfterMs: e.retryAfterMs, sent: e.sent });
  }
}

/** An SmsError as JSON (SmsError.toJSON / fromJSON). */
export interface SerializedSmsError extends MsgError {
  retryAfterMs?: number;
  sent: 'no' | 'maybe' | 'yes';
}

/** Anything thrown becomes an SmsError; unexpected errors keep their message but no stack or internals. */
export function toSmsError(err: unknown): SmsError {
  if (err instanceof SmsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SmsError('unknown_error', message);
}
