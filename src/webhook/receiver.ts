/**
 * The webhook request pipeline, independent of Node-RED: read bounded raw bytes, authenticate them,
 * parse safely, normalize, claim the event durably, acknowledge, and only then hand the outcome to the
 * flow (asynchronously, so the sender never waits on what the flow does).
 *
 * Answers: 200 taken (or a duplicate of something taken), 400/422 authenticated but unusable (also sent
 * to the invalid output), 401 not authenticated, 408/413/415 transport limits, 500 only when the event
 * could not be recorded (the sender should retry).
 */
import { createHash } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { systemClock, type Clock } from '../util/clock';
import { silentLogger, type Logger } from '../util/logger';
import type { MsgError } from '../util/errors';
import { discardRest, isAcceptableJsonRequest, readBoundedBody } from './raw-body';
import { parseBodySafely } from './safe-json';
import { verifyRequest, type AuthConfig } from './signature';
import { normalizeEvent, type InboundMessage, type MessageRef, type StatusUpdate } from './normalize';
import type { EventClaimStore } from './event-store';

export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
export const DEFAULT_MAX_DEPTH = 32;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** Outputs of the receiver node, 1-based as users see them. */
export const OUTPUT = { delivered: 1, failed: 2, other: 3, invalid: 4, reply: 5 } as const;
export type OutputNumber = (typeof OUTPUT)[keyof typeof OUTPUT];

export interface ReceiverConfig extends AuthConfig {
  path: string;
  /** The platform named in msg.sms.provider of events that name none (invalid ones): the account's, or 'unknown'. */
  provider?: string;
  bodyLimitBytes?: number;
  maxDepth?: number;
  bodyTimeoutMs?: number;
}

export interface WebhookMsg {
  /** The body exactly as received (UTF-8 text; a Buffer when it was not valid UTF-8). */
  payload: string | Buffer;
  sms: Partial<StatusUpdate> | InboundSms;
  error?: MsgError;
  webhook: { eventId?: string; path: string; receivedAt: string; body?: unknown; reason?: string; source?: EventSource; topicName?: string };
}

/** Where an event came in: a POST to the receiver's path, or a frame of the account's notification channel. */
export type EventSource = 'http' | 'genesys-notifications';

/** One parsed event, whatever carried it. */
export interface EventInput {
  value: unknown;
  /** What msg.payload carries for status and invalid outputs: the body or frame as received. */
  payload: string | Buffer;
  /** An id the transport gave the event (the `webhook-id` header). */
  transportId?: string;
  /** The exact bytes: events without any id are deduplicated by their hash. */
  raw: Buffer | string;
  source: EventSource;
  /**
   * Asked before an unusable event is dead-lettered (output 4); false counts it as invalid and drops it.
   * The channel uses it to bound what a flooding peer can push to output 4.
   */
  mayDeadLetter?: () => boolean;
}

/**
 * msg.sms of an inbound message (output 5): what was said, what it did to the opt-out list, and the last
 * message we sent to that number (`inReplyTo`) when it is known.
 */
export type InboundSms = InboundMessage & { direction: 'inbound'; keyword?: string; optedOut?: boolean; [k: string]: unknown };

/**
 * Handles inbound messages before the request is acknowledged (e.g. records a STOP durably); returns
 * what to add to each message's msg.sms. A throw answers 500 so the platform retries.
 */
export type InboundHandler = (messages: InboundMessage[], receivedAt: number) => Promise<(Record<string, unknown> | null)[]>;

export interface Emission {
  output: OutputNumber;
  msg: WebhookMsg;
}

export interface ReceiverStats {
  delivered: number;
  failed: number;
  other: number;
  invalid: number;
  replies: number;
  /** Channel events about messages this account did not send (another sender or an agent on the queue). */
  ignored: number;
  duplicates: number;
  stale: number;
  rejected: number;
  lastError?: string;
}

export interface ReceiverDeps {
  /** Resolves to the durable store; requests wait for it (and get 500 if it cannot be opened). */
  store: Promise<EventClaimStore>;
  emit: (e: Emission) => void;
  clock?: Clock;
  logger?: Logger;
  /** Called after each request that changed the counters (the node updates its status). */
  onActivity?: (stats: ReceiverStats) => void;
  onInbound?: InboundHandler;
  /** Each status that moved a message forward (get-status waits on the same account settle from it). */
  onUpdate?: (u: StatusUpdate) => void;
  /**
   * When set, status updates of messages it does not know are ignored (counted as `ignored`): the
   * notification channel reports every message conversation of a queue, not only ours.
   */
  isKnownMessage?: (messageId: string) => boolean;
  /** Replies a conversation event lists by id only (the notification channel reads their text). */
  onReceived?: (refs: MessageRef[]) => void;
}

type Sendable = { status: number; body: Record<string, unknown>; failure?: string };

export class WebhookReceiver {
  readonly stats: ReceiverStats = { delivered: 0, failed: 0, other: 0, invalid: 0, replies: 0, ignored: 0, duplicates: 0, stale: 0, rejected: 0 };
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;

  constructor(
    readonly config: ReceiverConfig,
    private readonly deps: ReceiverDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
  }

  get bodyLimitBytes(): number {
    return this.config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  }

  /**
   * Check the declared type and read the raw body. On failure the response has been sent and null is
   * returned. Used by the early capture middleware (before any body parser) and by `handle`.
   */
  async readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    let status: number;
    let reason: string;
    if (!isAcceptableJsonRequest(req.headers)) [status, reason] = [415, 'unsupported_media_type'];
    else {
      const r = await readBoundedBody(req, { limitBytes: this.bodyLimitBytes, timeoutMs: this.config.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS }, this.clock);
      if (r.ok) return r.body;
      if (r.reason === 'aborted') {
        this.note('aborted');
        return null;
      }
      [status, reason] = [r.status, r.reason];
    }
    // Answered before the body was read: the rest is dropped, so that the sender gets the answer.
    this.reject(res, { status, body: { error: reason } }, reason);
    discardRest(req, this.clock);
    return null;
  }

  /** The whole pipeline for a plain http server. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await this.readBody(req, res);
    if (raw) await this.process(req, res, raw);
  }

  /** Everything after the raw bytes are in hand. Never throws. */
  async process(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    try {
      await this.processUnsafe(req, res, raw);
    } catch (err) {
      this.logger.error(`webhook receiver failed: ${(err as Error).message}`);
      if (!res.headersSent) this.reject(res, { status: 500, body: { error: 'internal_error' } }, 'internal_error');
    }
  }

  private async processUnsafe(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    if (this.closed) return this.reject(res, { status: 503, body: { error: 'closing' } }, 'closing');
    const auth = verifyRequest(this.config, req.headers, raw, this.clock.now());
    if (!auth.ok) return this.reject(res, { status: 401, body: { error: 'unauthorized' } }, auth.reason);

    // Standard Webhooks signs its webhook-id. hmac-sha256 and shared-secret do not: there a replayed
    // request with a fresh header would pass as new (and anyone could pre-claim a future id), so events
    // are deduplicated on the authenticated body instead (its own event id, or its hash).
    const headerId = this.config.mode === 'hmac-sha256' || this.config.mode === 'shared-secret' ? undefined : firstHeader(req.headers['webhook-id']);
    const parsed = parseBodySafely(raw, this.config.maxDepth ?? DEFAULT_MAX_DEPTH);
    const payload: string | Buffer = parsed.text ?? raw;
    const answer = (s: Sendable, failure = s.failure) => (failure ? this.reject(res, s, failure) : this.respond(res, s));
    if (!parsed.ok) {
      const eventId = headerId ?? bodyHash(raw);
      const receivedAt = new Date(this.clock.now()).toISOString();
      const msg: WebhookMsg = { payload, sms: {}, webhook: { eventId, path: this.config.path, receivedAt, source: 'http' } };
      return answer(await this.takeInvalid(eventId, 400, parsed.reason, msg));
    }
    const out = await this.ingestParsed({ value: parsed.value, payload, transportId: headerId, raw, source: 'http' });
    answer(out.answer, out.failure);
  }

  /**
   * An event from the notification channel (already parsed within the same depth bound): the same
   * normalize, claim, monotonic status and outputs as a POST. Resolves once it is recorded (or refused).
   */
  async ingest(input: EventInput): Promise<{ taken: boolean; reason?: string }> {
    if (this.closed) return { taken: false, reason: 'closing' };
    try {
      const out = await this.ingestParsed(input);
      if (out.failure) {
        this.stats.rejected++;
        this.stats.lastError = out.failure;
        this.activity();
      }
      return { taken: out.answer.status === 200, reason: out.failure };
    } catch (err) {
      this.logger.error(`notification event failed: ${(err as Error).message}`);
      return { taken: false, reason: 'internal_error' };
    }
  }

  private async ingestParsed(input: EventInput): Promise<{ answer: Sendable; failure?: string }> {
    const receivedAt = new Date(this.clock.now()).toISOString();
    const { payload, value } = input;
    const n = normalizeEvent(value);
    const eventId = input.transportId ?? n.eventId ?? bodyHash(input.raw);
    const topicName = n.ok ? n.topicName : isTopicEnvelope(value);
    const base = (body?: unknown) => ({
      eventId,
      path: this.config.path,
      receivedAt,
      source: input.source,
      ...(topicName ? { topicName } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    if (!n.ok) {
      if (input.mayDeadLetter && !input.mayDeadLetter()) {
        this.stats.invalid++;
        this.stats.lastError = n.reason;
        this.activity();
        return { answer: { status: 422, body: { error: n.reason } } };
      }
      const a = await this.takeInvalid(eventId, 422, n.reason, { payload, sms: {}, webhook: base(value) });
      return { answer: a, failure: a.failure };
    }

    // Messages another sender or an agent sent on the same queue are not ours to report.
    let updates = n.updates;
    const known = this.deps.isKnownMessage;
    if (known) {
      const mine = updates.filter((u) => known(u.id));
      this.stats.ignored += updates.length - mine.length;
      updates = mine;
      if (n.received?.length) this.handOverReceived(n.received);
      if (!updates.length && !n.inbound?.length) {
        this.activity();
        return { answer: { status: 200, body: { status: 'ignored' } } };
      }
    }

    if (!known && n.received?.length) this.handOverReceived(n.received);
    const inbound = n.inbound ?? [];
    let annotations: (Record<string, unknown> | null)[] = [];
    if (inbound.length && this.deps.onInbound) {
      // Before the claim: if recording an opt-out fails, the platform's retry must find it unclaimed.
      // (Re-applying a retried STOP is harmless: the opt-out list orders changes by their time.)
      try {
        annotations = await this.deps.onInbound(inbound, this.clock.now());
      } catch (err) {
        this.logger.error(`inbound message not recorded: ${(err as Error).message}`);
        return { answer: { status: 500, body: { error: 'not_recorded' } }, failure: 'store_unavailable' };
      }
    }

    const store = await this.deps.store;
    const found = store.claim(eventId, updates);
    // The local store decides synchronously; only a shared store is awaited.
    const claim = found instanceof Promise ? await found : found;
    if (claim.duplicate) {
      const ok = await claim.settled;
      if (!ok) return { answer: { status: 500, body: { error: 'not_recorded' } }, failure: 'store_unavailable' };
      this.stats.duplicates++;
      this.activity();
      return { answer: { status: 200, body: { status: 'duplicate' } } };
    }
    try {
      await claim.committed;
    } catch (err) {
      this.logger.error(`webhook event not recorded: ${(err as Error).message}`);
      return { answer: { status: 500, body: { error: 'not_recorded' } }, failure: 'store_unavailable' };
    }

    const emissions: Emission[] = [];
    updates.forEach((u, i) => {
      if (!claim.advanced[i]) {
        this.stats.stale++;
        return;
      }
      const output = u.status === 'delivered' ? OUTPUT.delivered : u.status === 'failed' ? OUTPUT.failed : OUTPUT.other;
      if (output === OUTPUT.delivered) this.stats.delivered++;
      else if (output === OUTPUT.failed) this.stats.failed++;
      else this.stats.other++;
      const msg: WebhookMsg = { payload, sms: { ...u }, webhook: base(value) };
      if (output === OUTPUT.failed) {
        msg.error = {
          code: 'delivery_failed',
          message: u.error?.message ?? u.error?.code ?? `message ${u.providerStatus}`,
          retryable: false,
          provider: u.provider,
          ...(u.error ? { details: u.error } : {}),
        };
      }
      emissions.push({ output, msg });
      try {
        this.deps.onUpdate?.(u);
      } catch (err) {
        this.logger.warn(`status hand-over failed: ${(err as Error).message}`);
      }
    });
    inbound.forEach((m, i) => {
      this.stats.replies++;
      const sms: InboundSms = { ...m, direction: 'inbound', ...(annotations[i] ?? {}) };
      // A reply's payload is what the person wrote; the body as received stays in msg.webhook.body.
      emissions.push({ output: OUTPUT.reply, msg: { payload: m.text, sms, webhook: base(value) } });
    });
    this.emitLater(emissions);
    this.activity();
    return { answer: { status: 200, body: { status: 'accepted' } } };
  }

  /** An authenticated body we cannot use: recorded (so retries are not re-reported), answered 4xx, dead-lettered. */
  private async takeInvalid(eventId: string, status: 400 | 422, reason: string, msg: WebhookMsg): Promise<Sendable> {
    const store = await this.deps.store;
    const found = store.claim(eventId, []);
    const claim = found instanceof Promise ? await found : found;
    if (claim.duplicate) {
      this.stats.duplicates++;
      this.activity();
      return { status: 200, body: { status: 'duplicate' } };
    }
    try {
      await claim.committed;
    } catch {
      return { status: 500, body: { error: 'not_recorded' }, failure: 'store_unavailable' };
    }
    this.stats.invalid++;
    this.stats.lastError = reason;
    msg.webhook.reason = reason;
    msg.sms = { provider: this.config.provider ?? 'unknown', ...msg.sms };
    msg.error = { code: 'invalid_webhook', message: reason, retryable: false };
    this.emitLater([{ output: OUTPUT.invalid, msg }]);
    this.activity();
    return { status, body: { error: reason } };
  }

  private handOverReceived(refs: MessageRef[]): void {
    try {
      this.deps.onReceived?.(refs);
    } catch (err) {
      this.logger.warn(`reply hand-over failed: ${(err as Error).message}`);
    }
  }

  private emitLater(emissions: Emission[]): void {
    if (!emissions.length) return;
    // After the response is on its way: the sender's latency must not depend on the flow.
    setImmediate(() => {
      for (const e of emissions) {
        try {
          this.deps.emit(e);
        } catch (err) {
          this.logger.error(`webhook emit failed: ${(err as Error).message}`);
        }
      }
    });
  }

  private reject(res: ServerResponse, s: Sendable, reason: string): void {
    this.stats.rejected++;
    this.stats.lastError = reason;
    this.respond(res, s);
    this.activity();
  }

  private note(reason: string): void {
    this.stats.lastError = reason;
    this.activity();
  }

  private respond(res: ServerResponse, s: Sendable): void {
    if (res.headersSent || res.writableEnded) return;
    const text = JSON.stringify(s.body);
    // writeHead with the headers at once (merged with any a middleware set) instead of a setHeader each.
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' };
    res.writeHead(s.status, headers);
    res.end(text);
  }

  private activity(): void {
    try {
      this.deps.onActivity?.(this.stats);
    } catch {
      /* status display must never break a request */
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const store = await this.deps.store.catch(() => null);
    await store?.close();
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length <= 256 ? s : undefined;
}

/** The topic of an envelope that did not normalize, for msg.webhook (bounded like every other field). */
function isTopicEnvelope(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const t = (v as { topicName?: unknown }).topicName;
  return typeof t === 'string' && t.length <= 256 ? t : undefined;
}

/** Events that carry no id are deduplicated by their exact bytes: a retry resends the same body. */
function bodyHash(raw: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(raw).digest('hex');
}
