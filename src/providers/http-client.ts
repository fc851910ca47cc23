/**
 * The one HTTP path every adapter uses. It draws each API request from the account's budget, never
 * retries on its own (our dispatch layer is the only one that retries), turns a 429 into an account-wide
 * pause, and classifies transport failures by whether the platform may have received the request.
 */
import http from 'http';
import https from 'https';
import { SmsError, type ErrorCode } from '../util/errors';
import { parseRetryAfter } from '../util/retry-after';
import type { Clock } from '../util/clock';
import type { ProviderName, RequestBudget } from './types';
import { exchange, type TransportOptions } from './http-transport';
import { readBody } from './body';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  data?: unknown;
  /** Token requests go to the login service, which has its own limits: they skip the API budget. */
  skipBudget?: boolean;
  /** Called right before the request is written, after the budget let it go (SendOptions.leaving). */
  onWrite?: () => void;
}

export interface HttpResponse {
  status: number;
  /** The request's method: whether an answer can come after the platform acted on it depends on it. */
  method?: HttpRequest['method'];
  headers: Record<string, string>;
  data: unknown;
}

export interface HttpClientOptions {
  provider: ProviderName;
  budget: RequestBudget;
  clock: Clock;
  timeoutMs?: number;
}

/** Errors raised before a connection existed: the request never left, so a resend cannot duplicate it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED']);

export class HttpClient {
  private readonly transport: TransportOptions;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: HttpClientOptions) {
    // Keep-alive, but let idle sockets go before a typical server's 5 s keep-alive timeout, so a reused
    // socket is rarely reset under us (that reset would look like an ambiguous send).
    this.agents = {
      http: new http.Agent({ keepAlive: true, timeout: 4000, maxSockets: 16 }),
      https: new https.Agent({ keepAlive: true, timeout: 4000, maxSockets: 16 }),
    };
    // No redirects, no proxy, every status answered (see http-transport); platform answers are small,
    // so a runaway body must not exhaust memory.
    this.transport = { agents: this.agents, timeoutMs: opts.timeoutMs ?? 30_000, maxBodyBytes: 5 * 1024 * 1024 };
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (!req.skipBudget) await this.opts.budget.acquire();
    let res;
    const call = exchange({ method: req.method, url: req.url, headers: req.headers, data: req.data, onWrite: req.onWrite }, this.transport);
    this.inFlight.add(call);
    try {
      res = await call;
    } catch (err) {
      throw this.transportError(err);
    } finally {
      this.inFlight.delete(call);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    if (res.status === 429) {
      const retryAfterMs = parseRetryAfter(headers['retry-after'], this.opts.clock.now());
      this.opts.budget.onRateLimited(retryAfterMs ?? 1000);
      throw new SmsError('rate_limited', `${this.opts.provider} answered 429 Too Many Requests` + (retryAfterMs !== undefined ? `; retry after ${Math.ceil(retryAfterMs / 1000)} s` : ''), {
        httpStatus: 429,
        retryable: true,
        retryAfterMs: retryAfterMs ?? 1000,
        provider: this.opts.provider,
        details: pickErrorDetails(res.data),
      });
    }
    if (!req.skipBudget) this.opts.budget.onResponse?.();
    return { status: res.status, method: req.method, headers, data: res.data };
  }

  private transportError(err: unknown): SmsError {
    const e = err as { code?: string; message?: string };
    const code = e.code ?? '';
    if (NOT_SENT_CODES.has(code)) {
      return new SmsError('network_error', `cannot reach ${this.opts.provider}: ${code}`, { retryable: true, sent: 'no', provider: this.opts.provider });
    }
    if (TIMEOUT_CODES.has(code)) {
      return new SmsError('timeout', `${this.opts.provider} did not answer in time`, { retryable: true, sent: 'maybe', provider: this.opts.provider });
    }
    return new SmsError('network_error', `connection to ${this.opts.provider} failed: ${code || e.message || 'unknown error'}`, {
      retryable: true,
      sent: 'maybe',
      provider: this.opts.provider,
    });
  }

  /**
   * Let requests already on the wire finish (bounded) before the sockets go: cutting one off would turn
   * a message the platform accepted into an ambiguous send.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.inFlight.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** Keep the diagnostic fields of an error body, nothing else (bodies could echo request content). */
export function pickErrorDetails(data: unknown): Record<string, unknown> | undefined {
  return readBody(data).pick(['code', 'status', 'message', 'contextId', 'messageParams', 'details', 'errors']);
}

/** An API origin as configured, without trailing slashes (paths are appended with a leading one). */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export interface StatusErrorParts {
  provider: ProviderName;
  /** What the platform said, prefixed with its name. */
  text: string;
  details?: Record<string, unknown>;
  /** A platform-specific reading of this answer (e.g. a 400 that names an active conversation); wins over the ladder. */
  code?: ErrorCode;
  /** What to check, added to the text of a 401 or 404 (the credential or the id that is wrong on this platform). */
  hints?: { 401?: string; 404?: string };
  /** The request's method (HttpResponse.method): a 504 to a POST may come after the platform acted on it. */
  method?: HttpRequest['method'];
}

/**
 * The one HTTP status -> code ladder of every adapter. Only 502/503/504 are retryable: the platform
 * said it could not take the request at all; another 5xx may have done part of the work.
 * A 504 to a POST is the exception: a gateway stopped waiting, and the platform may have taken the
 * message after all. With no idempotency key (Genesys has none) a resend could text twice, so it is
 * `ambiguous_send` (sent: maybe), resent only when the sender allows ambiguous resends.
 */
export function errorForStatus(status: number, parts: StatusErrorParts): SmsError {
  const opts = { httpStatus: status, provider: parts.provider, details: parts.details };
  const hinted = (hint: string | undefined) => (hint ? `${parts.text} (${hint})` : parts.text);
  if (parts.code) return new SmsError(parts.code, parts.text, opts);
  if (status === 401) return new SmsError('auth_failed', hinted(parts.hints?.[401]), opts);
  if (status === 403) return new SmsError('forbidden', parts.text, opts);
  if (status === 404) return new SmsError('not_found', hinted(parts.hints?.[404]), opts);
  if (status === 413) return new SmsError('payload_too_large', parts.text, opts);
  if (status === 504 && parts.method === 'POST') {
    return new SmsError('ambiguous_send', `${parts.text} (gateway timeout after the request was sent: it may have been processed, so it is not resent)`, { ...opts, sent: 'maybe' });
  }
  if (status === 502 || status === 503 || status === 504) return new SmsError('provider_unavailable', parts.text, { ...opts, retryable: true });
  if (status >= 500) return new SmsError('provider_unavailable', parts.text, opts);
  return new SmsError('provider_rejected', parts.text, opts);
}
