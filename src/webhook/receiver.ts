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
import { isAcceptableJsonRequest, readBoundedBody } from './raw-body';
import { parseBodySafely } from './safe-json';
import { verifyRequest, type AuthConfig } from './signature';
import { normalizeEvent, type InboundMessage, type StatusUpdate } from './normalize';
import type { EventClaimStore } from './event-store';

export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
export const DEFAULT_MAX_DEPTH = 32;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** Outputs of the receiver node, 1-based as users see them. */
export const OUTPUT = { delivered: 1, failed: 2, other: 3, invalid: 4 } as const;
export type OutputNumber = (typeof OUTPUT)[keyof typeof OUTPUT];

export interface ReceiverConfig extends AuthConfig {
  path: string;
  bodyLimitBytes?: number;
  maxDepth?: number;
  bodyTimeoutMs?: number;
}

export interface WebhookMsg {
  /** The body exactly as received (UTF-8 text; a Buffer when it was not valid UTF-8). */
  payload: string | Buffer;
  sms: Partial<StatusUpdate> | InboundSms;
  error?: MsgError;
  webhook: { eventId?: string; path: string; receivedAt: string; body?: unknown; reason?: string };
}

/** msg.sms of an inbound message (output 3): what was said, and what it did to the opt-out list. */
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
}

type Sendable = { status: number; body: Record<string, unknown> };

export class WebhookReceiver {
  readonly stats: ReceiverStats = { delivered: 0, failed: 0, other: 0, invalid: 0, duplicates: 0, stale: 0, rejected: 0 };
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
    if (!isAcceptableJsonRequest(req.headers)) {
      this.reject(res, { status: 415, body: { error: 'unsupported_media_type' } }, 'unsupported_media_type', true);
      return null;
    }
    const r = await readBoundedBody(req, { limitBytes: this.bodyLimitBytes, timeoutMs: this.config.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS }, this.clock);
    if (r.ok) return r.body;
    if (r.reason !== 'aborted') this.reject(res, { status: r.status, body: { error: r.reason } }, r.reason, true);
    else this.note('aborted');
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

    const receivedAt = new Date(this.clock.now()).toISOString();
    const headerId = firstHeader(req.headers['webhook-id']);
    const parsed = parseBodySafely(raw, this.config.maxDepth ?? DEFAULT_MAX_DEPTH);
    const payload: string | Buffer = parsed.text ?? raw;
    const base = (eventId: string | undefined, body?: unknown) => ({
      eventId,
      path: this.config.path,
      receivedAt,
      ...(body !== undefined ? { body } : {}),
    });

    if (!parsed.ok) {
      const eventId = headerId ?? bodyHash(raw);
      return this.takeInvalid(res, eventId, 400, parsed.reason, { payload, sms: {}, webhook: base(eventId) });
    }
    const n = normalizeEvent(parsed.value);
    const eventId = headerId ?? n.eventId ?? bodyHash(raw);
    if (!n.ok) {
      return this.takeInvalid(res, eventId, 422, n.reason, { payload, sms: {}, webhook: base(eventId, parsed.value) });
    }

    const inbound = n.inbound ?? [];
    let annotations: (Record<string, unknown> | null)[] = [];
    if (inbound.length && this.deps.onInbound) {
      // Before the claim: if recording an opt-out fails, the platform's retry must find it unclaimed.
      // (Re-applying a retried STOP is harmless: the opt-out list orders changes by their time.)
      try {
        annotations = await this.deps.onInbound(inbound, this.clock.now());
      } catch (err) {
        this.logger.error(`inbound message not recorded: ${(err as Error).message}`);
        return this.reject(res, { status: 500, body: { error: 'not_recorded' } }, 'store_unavailable');
      }
    }

    const store = await this.deps.store;
    const found = store.claim(eventId, n.updates);
    // The local store decides synchronously; only a shared store is awaited.
    const claim = found instanceof Promise ? await found : found;
    if (claim.duplicate) {
      const ok = await claim.settled;
      if (!ok) return this.reject(res, { status: 500, body: { error: 'not_recorded' } }, 'store_unavailable');
      this.stats.duplicates++;
      this.respond(res, { status: 200, body: { status: 'duplicate' } });
      return this.activity();
    }
    try {
      await claim.committed;
    } catch (err) {
      this.logger.error(`webhook event not recorded: ${(err as Error).message}`);
      return this.reject(res, { status: 500, body: { error: 'not_recorded' } }, 'store_unavailable');
    }
    this.respond(res, { status: 200, body: { status: 'accepted' } });

    const emissions: Emission[] = [];
    n.updates.forEach((u, i) => {
      if (!claim.advanced[i]) {
        this.stats.stale++;
        return;
      }
      const output = u.status === 'delivered' ? OUTPUT.delivered : u.status === 'failed' ? OUTPUT.failed : OUTPUT.other;
      if (output === OUTPUT.delivered) this.stats.delivered++;
      else if (output === OUTPUT.failed) this.stats.failed++;
      else this.stats.other++;
      const msg: WebhookMsg = { payload, sms: { ...u }, webhook: base(eventId, parsed.value) };
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
    });
    inbound.forEach((m, i) => {
      this.stats.other++;
      const sms: InboundSms = { ...m, direction: 'inbound', ...(annotations[i] ?? {}) };
      emissions.push({ output: OUTPUT.other, msg: { payload, sms, webhook: base(eventId, parsed.value) } });
    });
    this.emitLater(emissions);
    this.activity();
  }

  /** An authenticated body we cannot use: recorded (so retries are not re-reported), answered 4xx, dead-lettered. */
  private async takeInvalid(res: ServerResponse, eventId: string, status: 400 | 422, reason: string, msg: WebhookMsg): Promise<void> {
    const store = await this.deps.store;
    const found = store.claim(eventId, []);
    const claim = found instanceof Promise ? await found : found;
    if (claim.duplicate) {
      this.stats.duplicates++;
      this.respond(res, { status: 200, body: { status: 'duplicate' } });
      return this.activity();
    }
    try {
      await claim.committed;
    } catch {
      return this.reject(res, { status: 500, body: { error: 'not_recorded' } }, 'store_unavailable');
    }
    this.respond(res, { status, body: { error: reason } });
    this.stats.invalid++;
    this.stats.lastError = reason;
    msg.webhook.reason = reason;
    msg.error = { code: 'invalid_webhook', message: reason, retryable: false };
    this.emitLater([{ output: OUTPUT.invalid, msg }]);
    this.activity();
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

  private reject(res: ServerResponse, s: Sendable, reason: string, closeConnection = false): void {
    this.stats.rejected++;
    this.stats.lastError = reason;
    this.respond(res, s, closeConnection);
    this.activity();
  }

  private note(reason: string): void {
    this.stats.lastError = reason;
    this.activity();
  }

  private respond(res: ServerResponse, s: Sendable, closeConnection = false): void {
    if (res.headersSent || res.writableEnded) return;
    const text = JSON.stringify(s.body);
    res.statusCode = s.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.setHeader('Cache-Control', 'no-store');
    // The unread rest of a refused body is not drained: the connection is closed instead.
    if (closeConnection) res.setHeader('Connection', 'close');
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

/** Events that carry no id are deduplicated by their exact bytes: a retry resends the same body. */
function bodyHash(raw: Buffer): string {
  return 'sha256:' + createHash('sha256').update(raw).digest('hex');
}
