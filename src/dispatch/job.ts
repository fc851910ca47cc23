/** The unit of work of a sender and its final outcome, plus their on-disk form. */
import type { OutboundMessage, SendResult } from '../providers/types';
import { SmsError, type SerializedSmsError } from '../util/errors';
import { jsonSizeWithin } from '../store/json-size';

/**
 * The largest msg copy a queued job may carry (its JSON, in bytes). Every queued msg lives in memory
 * and in the store until its outcome is delivered, and is serialized on the event loop: with the
 * default queue of 1000 messages this bounds the queue's msg copies to 256 MB.
 */
export const MAX_STORED_MSG_BYTES = 256 * 1024;

/** Refuse (msg_too_large) a job whose msg copy would exceed MAX_STORED_MSG_BYTES, before copying it. */
export function checkStoredSize(job: SendJob): void {
  const { bytes, over } = jsonSizeWithin(job.msg, MAX_STORED_MSG_BYTES);
  if (!over) return;
  throw new SmsError(
    'msg_too_large',
    `The msg is over ${MAX_STORED_MSG_BYTES / 1024} KB as stored (at least ${Math.ceil(bytes / 1024)} KB): move large properties (buffers, files, big objects) out of msg before send-sms`,
  );
}

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
  if (o.ok) {
    // A result is a few strings from our own adapters: copied field by field, no JSON round trip.
    const r = o.result;
    const result: SendResult = { id: r.id, status: r.status, providerStatus: r.providerStatus };
    if (r.conversationId !== undefined) result.conversationId = r.conversationId;
    if (r.communicationId !== undefined) result.communicationId = r.communicationId;
    if (r.timestamp !== undefined) result.timestamp = r.timestamp;
    return o.duplicate ? { ok: true, result, attempts: o.attempts, duplicate: true } : { ok: true, result, attempts: o.attempts };
  }
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
  const text = storableJson(value);
  return text === undefined ? null : JSON.parse(text);
}

/** The JSON text `toStorable` parses: what the store writes, serialized once. */
export function storableJson(value: unknown): string | undefined {
  // Most msgs are plain data; for them JSON's own serializer writes the same text, without a call back
  // into JavaScript for every value.
  return isPlainTree(value) ? JSON.stringify(value) : replacerJson(value);
}

/** The general path of `storableJson`, a replacer on every value (exported for the test that the fast path writes the same text). */
export function replacerJson(value: unknown): string | undefined {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (v && typeof v === 'object') {
      if (seen.has(v)) return undefined;
      seen.add(v);
    }
    return v;
  });
}

/**
 * An object literal's kind: Object's prototype, of this realm or another (a function node's sandbox
 * makes its msgs in a context of its own), or none; no toJSON of its own or inherited.
 */
function isPlainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    if (Object.getPrototypeOf(proto) !== null) return false;
    const ctor = Object.prototype.hasOwnProperty.call(proto, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
    if (typeof ctor !== 'function' || ctor.name !== 'Object') return false;
  }
  return typeof (o as { toJSON?: unknown }).toJSON !== 'function';
}

/** Objects a plain tree may hold before the check gives up (the replacer handles the rest). */
const PLAIN_TREE_MAX_OBJECTS = 64;

/**
 * Whether JSON.stringify alone writes what the replacer of `storableJson` would: only strings, numbers,
 * booleans, null and undefined, in arrays and objects of Object's (or no) prototype, each object met
 * once (a repeated one the replacer drops), and few enough of them to check cheaply. Anything else
 * (a Buffer, a Date, a bigint, a function, a class instance, a shared or circular reference) takes the
 * replacer's path.
 */
function isPlainTree(value: unknown): boolean {
  const seen: object[] = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean') continue;
    if (t !== 'object') return false;
    const o = v as object;
    if (seen.length >= PLAIN_TREE_MAX_OBJECTS || seen.includes(o)) return false;
    seen.push(o);
    if (Array.isArray(o)) {
      // A hole or an undefined item is written as null by both.
      for (let i = 0; i < o.length; i++) stack.push(o[i]);
      continue;
    }
    if (!isPlainObject(o)) return false;
    for (const k in o) stack.push((o as Record<string, unknown>)[k]);
  }
  return true;
}
