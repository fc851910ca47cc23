/** The unit of work of a sender and its final outcome, plus their on-disk form. */
import type { OutboundMessage, SendResult } from '../providers/types';
import { SmsError, type SerializedSmsError } from '../util/errors';

export interface SendJob {
  /** Unique per job (the node uses the message id plus a counter). */
  id: string;
  /** The send-sms node the outcome goes back to. */
  nodeId: string;
  message: OutboundMessage;
  /** The flow message; only its JSON-serializable properties survive a restart. */
  msg: Record<string, unknown>;
  idempotencyKey?: string;
  enqueuedAt: number;
  /** Requests made for this job so far. */
  attempts: number;
}

export type SendOutcome = { ok: true; result: SendResult; attempts: number; duplicate?: boolean } | { ok: false; error: SmsError; attempts: number };

/** An error as the store keeps it (SmsError.toJSON). */
export type StoredError = SerializedSmsError;

export type StoredOutcome = { ok: true; result: SendResult; attempts: number; duplicate?: boolean } | { ok: false; error: StoredError; attempts: number };

export function storeOutcome(o: SendOutcome): StoredOutcome {
  if (o.ok) return toStorable(o) as StoredOutcome;
  const error = o.error.toJSON();
  if (error.details !== undefined) error.details = toStorable(error.details);
  return { ok: false, error, attempts: o.attempts };
}

export function loadOutcome(s: StoredOutcome): SendOutcome {
  if (s.ok) return s;
  return { ok: false, attempts: s.attempts, error: SmsError.fromJSON(s.error) };
}

/**
 * A JSON copy that never throws: circular and repeated references, functions, symbols and
 * undefined are dropped, bigints become strings. A flow message may carry live objects (an HTTP
 * response, a socket); only what JSON can hold can outlive a restart.
 */
export function toStorable(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (v && typeof v === 'object') {
      if (seen.has(v)) return undefined;
      seen.add(v);
    }
    return v;
  });
  return text === undefined ? null : JSON.parse(text);
}
