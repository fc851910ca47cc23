/**
 * The sandbox: an independent simulator of the platforms' APIs on loopback (Genesys Cloud agentless and
 * queue-based, CCAI Platform `/apps/api/v1/sms`, Avaamo `/sms/{channel}/send.json`), so a flow works with no
 * account and tests, the demo and benchmarks exercise the real HTTP code path of the adapters.
 *
 * Besides the platform routes it serves:
 *   GET  /sandbox/phone            the "sandbox phone": an HTML page of what it received
 *   GET  /sandbox/messages         the same as JSON
 *   GET  /sandbox/requests         every API request it answered (method, path, status, when it arrived)
 *   POST /sandbox/control          change behaviour at run time (rate, faults, timings, webhook; `reply`
 *                                  {from, text, to?}: the recipient texts back; `notifications`: drop
 *                                  sockets, send socket_closing, expire channels, see genesys-notifications.ts)
 *   ws   /channels/{id}            the notification channel websocket (connectUri of POST /api/v2/notifications/channels)
 *   GET  /sandbox/oauth            sign-in counters (codes, refreshes, refusals), never tokens
 *   POST /sandbox/reset            forget messages, requests and faults
 *   GET  /oauth/authorize          the Authorization Code sign-in page (src/sandbox/genesys-oauth.ts)
 */
import http, { IncomingMessage, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { readFileSync } from 'fs';
import path from 'path';
import { SandboxState } from './state';
import { readBody, sendJson, sendText } from './http-util';
import { genesysRoutes, genesysError, QueueConversation } from './genesys-api';
import { oauthRoutes, SandboxOAuth, USER_CONTEXT_REQUIRED, CLIENT_GRANT_REQUIRED, type SandboxToken } from './genesys-oauth';
import { ccaiRoutes, CcaiTenant, defaultCcaiTenant } from './ccai-api';
import { avaamoRoutes } from './avaamo-api';
import { postEvent, WebhookTarget } from './webhook-sender';
import { RULES_TEXT } from './rules';
import { SandboxNotifications } from './genesys-notifications';

export interface Fault {
  /** HTTP status to answer, or 0 to reset the connection without an answer. */
  status: number;
  count: number;
  retryAfter?: number | string;
  /** Only requests whose path matches this regular expression. */
  path?: string;
  /** Delay the answer (milliseconds); with `status: 0` the socket is destroyed after the delay. */
  delayMs?: number;
  /**
   * Process the request (the message is accepted and recorded) before failing the answer: with
   * `status: 0` the connection is reset, otherwise the fault's status is answered (e.g. 504: a gateway
   * that gave up waiting after the platform took the message).
   */
  process?: boolean;
  /**
   * Time-based instead of count-based: answer every matching request with this fault for `forMs`
   * milliseconds from when it was added (a rate-limit storm of known length); `count` is then ignored.
   */
  forMs?: number;
}

type ActiveFault = Fault & { until?: number };

export interface SandboxOptions {
  /** API requests per minute before it answers 429 (0 = unlimited). */
  requestsPerMinute?: number;
  tokenTtlSeconds?: number;
  queuedToSentMs?: number;
  sentToFinalMs?: number;
  /** When set, only these client credentials get a token. */
  credentials?: { clientId: string; clientSecret: string };
  webhook?: WebhookTarget;
  /** Artificial latency on every API answer (milliseconds). */
  latencyMs?: number;
  /** CCAI Platform: when set, only this Basic-auth pair is accepted (otherwise any non-empty pair). */
  ccaiCredentials?: { username: string; password: string };
  /** Avaamo: when set, the `access-token` header must carry it. */
  avaamoAccessToken?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /**
   * When the request arrived (its head was read), not when it was answered: a request is counted against
   * the rate as it comes in, so the sandbox's own time reading the body and answering must not move it
   * into a later second of the count.
   */
  at: number;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  params: string[];
  body: Buffer;
  server: SandboxServer;
  /** The bearer token's holder, on routes with `auth: 'bearer'`. */
  token?: SandboxToken;
  /** Answer and record the status. */
  reply(status: number, body: unknown, headers?: Record<string, string>): void;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** Route needs a valid bearer token (Genesys API). */
  auth?: 'bearer' | 'none';
  /**
   * Whose token the route takes: `user` (a signed-in user: the queue-based flow; a client token gets the
   * platform's 400 "requires a user context"), `client` (client credentials: the agentless route).
   */
  context?: 'user' | 'client';
  /** Counted against the API rate limit. */
  api?: boolean;
  handle(ctx: RouteContext): void | Promise<void>;
}

const MAX_REQUEST_LOG = 20_000;

export class SandboxServer {
  readonly state: SandboxState;
  readonly options: Required<Omit<SandboxOptions, 'credentials' | 'webhook' | 'ccaiCredentials' | 'avaamoAccessToken'>> &
    Pick<SandboxOptions, 'credentials' | 'webhook' | 'ccaiCredentials' | 'avaamoAccessToken'>;
  /** CCAI Platform tenant switches (SMS enabled, known outbound numbers). */
  ccai: CcaiTenant = defaultCcaiTenant();
  ccaiChatSeq = 0;
  /** Genesys queue-based conversations by id. */
  readonly queueConversations = new Map<string, QueueConversation>();
  /** Genesys notification channels, subscriptions and their websockets. */
  readonly notifications: SandboxNotifications;
  readonly requests: RequestRecord[] = [];
  readonly tokens = new Map<string, SandboxToken>();
  /** The login service: codes, refresh tokens, sign-in page (src/sandbox/genesys-oauth.ts). */
  readonly oauth = new SandboxOAuth();
  readonly webhookResults: (number | string)[] = [];
  /** API requests open right now, and the most ever open at once since the last reset. */
  inFlight = 0;
  peakInFlight = 0;
  private faults: ActiveFault[] = [];
  private apiTimes: number[] = [];
  private server: http.Server | null = null;
  private readonly routes: Route[];
  url = '';

  constructor(opts: SandboxOptions = {}) {
    this.options = {
      requestsPerMinute: opts.requestsPerMinute ?? 0,
      tokenTtlSeconds: opts.tokenTtlSeconds ?? 86_400,
      queuedToSentMs: opts.queuedToSentMs ?? 300,
      sentToFinalMs: opts.sentToFinalMs ?? 700,
      latencyMs: opts.latencyMs ?? 0,
      credentials: opts.credentials,
      webhook: opts.webhook,
      ccaiCredentials: opts.ccaiCredentials,
      avaamoAccessToken: opts.avaamoAccessToken,
    };
    this.state = new SandboxState({ queuedToSentMs: this.options.queuedToSentMs, sentToFinalMs: this.options.sentToFinalMs });
    this.state.onStatus((m) => {
      if (this.options.webhook) postEvent(this.options.webhook, m, (r) => this.webhookResults.push(r));
    });
    const urlOf = () => this.url;
    this.notifications = new SandboxNotifications({
      get url() {
        return urlOf();
      },
      queueConversationOf: (id) => this.queueConversationOf(id),
      message: (id) => this.state.get(id),
    });
    // After the conversation has recorded the message id (the first status is emitted while it is added).
    this.state.onStatus((m) => {
      if (m.request.mode === 'queue') setImmediate(() => this.notifications.onStatus(m));
    });
    // One sandbox serves every platform, each on its own paths.
    this.routes = [...oauthRoutes(), ...genesysRoutes(), ...ccaiRoutes(), ...avaamoRoutes(), ...this.notifications.routes()];
  }

  private queueConversationOf(messageId: string): QueueConversation | undefined {
    for (const c of this.queueConversations.values()) if (c.messageIds.includes(messageId) || c.replyIds?.includes(messageId)) return c;
    return undefined;
  }

  /**
   * The recipient `from` texts back (sandbox control `reply`): posted to the webhook as `message.inbound`
   * and, when it answers a queue conversation, published on its queue topic (listed as `received`).
   */
  reply(from: string, text: string, to?: string): { id: string; conversationId: string } {
    const conv = [...this.queueConversations.values()].reverse().find((c) => c.toAddress === from && (!to || c.fromAddress === to));
    const last = [...this.state.messages].reverse().find((m) => m.toAddress === from && m.direction !== 'inbound' && (!to || m.fromAddress === to));
    const ourNumber = to ?? conv?.fromAddress ?? last?.fromAddress ?? '+12025550100';
    const m = this.state.addInbound(from, ourNumber, text, conv?.id ?? last?.conversationId);
    if (this.options.webhook) postEvent(this.options.webhook, m, (r) => this.webhookResults.push(r));
    if (conv) {
      (conv.replyIds ??= []).push(m.id);
      this.notifications.publishConversation(conv);
    }
    return { id: m.id, conversationId: m.conversationId };
  }

  /** Add the routes of another simulated platform. */
  addRoutes(routes: Route[]): void {
    this.routes.push(...routes);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { message: String(err?.message ?? err) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.server.on('upgrade', (req, socket, head) => this.notifications.upgrade(req, socket, head));
    const addr = this.server.address() as AddressInfo;
    this.url = `http://${host}:${addr.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.state.clear();
    this.notifications.close();
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  reset(): void {
    this.state.clear();
    this.requests.length = 0;
    this.faults = [];
    this.apiTimes = [];
    this.webhookResults.length = 0;
    this.peakInFlight = this.inFlight;
    this.queueConversations.clear();
    this.notifications.reset();
    this.ccai = defaultCcaiTenant();
    this.ccaiChatSeq = 0;
    this.oauth.reset();
  }

  control(body: Record<string, unknown>): void {
    const o = this.options;
    if (typeof body.requestsPerMinute === 'number') o.requestsPerMinute = body.requestsPerMinute;
    if (typeof body.tokenTtlSeconds === 'number') o.tokenTtlSeconds = body.tokenTtlSeconds;
    if (typeof body.latencyMs === 'number') o.latencyMs = body.latencyMs;
    if (typeof body.queuedToSentMs === 'number') this.state.times.queuedToSentMs = o.queuedToSentMs = body.queuedToSentMs;
    if (typeof body.sentToFinalMs === 'number') this.state.times.sentToFinalMs = o.sentToFinalMs = body.sentToFinalMs;
    if (body.credentials === null) o.credentials = undefined;
    else if (body.credentials && typeof body.credentials === 'object') o.credentials = body.credentials as SandboxOptions['credentials'];
    if (body.webhook === null) o.webhook = undefined;
    else if (body.webhook && typeof body.webhook === 'object') o.webhook = body.webhook as WebhookTarget;
    if (Array.isArray(body.faults)) {
      const now = Date.now();
      for (const f of body.faults as Fault[]) this.faults.push(typeof f.forMs === 'number' ? { ...f, until: now + f.forMs } : f);
    }
    if (body.clearFaults) this.faults = [];
    if (body.revokeTokens) this.tokens.clear();
    this.oauth.control(body, this.tokens);
    if (body.notifications && typeof body.notifications === 'object') this.notifications.control(body.notifications as Record<string, unknown>);
    if (body.reply && typeof body.reply === 'object') {
      const r = body.reply as Record<string, unknown>;
      if (typeof r.from === 'string' && typeof r.text === 'string') this.reply(r.from, r.text, typeof r.to === 'string' ? r.to : undefined);
    }
    if (body.ccai && typeof body.ccai === 'object') {
      const c = body.ccai as Record<string, unknown>;
      if (typeof c.smsEnabled === 'boolean') this.ccai.smsEnabled = c.smsEnabled;
      if (typeof c.outboundSmsEnabled === 'boolean') this.ccai.outboundSmsEnabled = c.outboundSmsEnabled;
      if (c.outboundNumbers === null) this.ccai.outboundNumbers = null;
      else if (Array.isArray(c.outboundNumbers)) this.ccai.outboundNumbers = c.outboundNumbers.map(String);
    }
    if (body.ccaiCredentials === null) o.ccaiCredentials = undefined;
    else if (body.ccaiCredentials && typeof body.ccaiCredentials === 'object') o.ccaiCredentials = body.ccaiCredentials as SandboxOptions['ccaiCredentials'];
    if (body.avaamoAccessToken === null) o.avaamoAccessToken = undefined;
    else if (typeof body.avaamoAccessToken === 'string') o.avaamoAccessToken = body.avaamoAccessToken;
  }

  /** Issue a bearer token that expires after the configured lifetime. */
  issueToken(token: string, holder: Omit<SandboxToken, 'expiresAt'> = { kind: 'client', clientId: '' }): void {
    this.tokens.set(token, { ...holder, expiresAt: Date.now() + this.options.tokenTtlSeconds * 1000 });
    this.oauth.remember(token);
    if (this.tokens.size > 50_000) this.tokens.delete(this.tokens.keys().next().value as string);
  }

  tokenValid(token: string): boolean {
    return this.tokenInfo(token) !== undefined;
  }

  tokenInfo(token: string): SandboxToken | undefined {
    const t = this.tokens.get(token);
    return t && t.expiresAt > Date.now() ? t : undefined;
  }

  private record(method: string, p: string, status: number, at: number): void {
    this.requests.push({ method, path: p, status, at });
    if (this.requests.length > MAX_REQUEST_LOG) this.requests.splice(0, this.requests.length - MAX_REQUEST_LOG);
  }

  private takeFault(p: string): Fault | undefined {
    const now = Date.now();
    this.faults = this.faults.filter((f) => f.until === undefined || f.until > now);
    const i = this.faults.findIndex((f) => (f.until !== undefined || f.count > 0) && (!f.path || new RegExp(f.path).test(p)));
    if (i < 0) return undefined;
    const f = this.faults[i];
    if (f.until !== undefined) return f;
    f.count--;
    if (f.count <= 0) this.faults.splice(i, 1);
    return f;
  }

  /** Sliding 60 s window over API requests: answers how long until one more fits, or 0. */
  private rateWait(now: number): number {
    const limit = this.options.requestsPerMinute;
    if (!limit) return 0;
    while (this.apiTimes.length && this.apiTimes[0] <= now - 60_000) this.apiTimes.shift();
    if (this.apiTimes.length < limit) return 0;
    return this.apiTimes[0] + 60_000 - now;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const p = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' && (p === '/' || p === '/sandbox' || p === '/sandbox/')) {
      res.writeHead(302, { Location: '/sandbox/phone' });
      res.end();
      return;
    }
    if (p.startsWith('/sandbox/')) return this.handleSandbox(method, p, req, res);

    const match = this.routes.map((r) => ({ r, m: r.method === method ? r.pattern.exec(p) : null })).find((x) => x.m);
    // Decided as the request comes in, in arrival order: its fault, or its place in the rate window. A
    // slow body does not let a later request take its place.
    const api = match?.r.api === true;
    const fault = api ? this.takeFault(p) : undefined;
    const wait = api && !fault ? this.rateWait(arrivedAt) : 0;
    if (api && !fault && wait === 0) this.apiTimes.push(arrivedAt);
    const body = (await readBody(req)) ?? Buffer.alloc(0);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      this.record(method, p, status, arrivedAt);
      const write = () => {
        if (res.destroyed) return;
        // The sign-in pages are HTML; everything else answers JSON.
        const type = headers['Content-Type'];
        if (typeof payload === 'string' && type && type.startsWith('text/')) {
          res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(payload) });
          res.end(payload);
        } else sendJson(res, status, payload, headers);
      };
      if (this.options.latencyMs > 0) setTimeout(write, this.options.latencyMs);
      else write();
    };
    if (!match) {
      reply(404, genesysError(404, 'not.found', `No route for ${method} ${p}`));
      return;
    }
    const route = match.r;
    if (route.api) {
      // How many API requests are open at once: shows a client's real concurrency.
      this.inFlight++;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      res.once('close', () => this.inFlight--);
    }
    const ctx: RouteContext = { req, res, path: p, params: match.m!.slice(1), body, server: this, reply };

    if (route.api) {
      if (fault) {
        const run = async () => {
          if (fault.status === 0) {
            if (fault.process) await route.handle({ ...ctx, reply: (s) => this.record(method, p, s, arrivedAt) });
            this.record(method, p, 0, arrivedAt);
            req.socket.destroy();
            return;
          }
          // A gateway that times out after the platform took the request (a 504 that still sent the SMS).
          // Its own answer is dropped: the request log shows what the client got.
          if (fault.process) await route.handle({ ...ctx, reply: () => {} });
          const headers: Record<string, string> = {};
          if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
          const code = fault.status === 429 ? 'too.many.requests.retry.after' : fault.status >= 500 ? 'service.unavailable' : 'bad.request';
          reply(fault.status, genesysError(fault.status, code, `Sandbox fault: HTTP ${fault.status}`), headers);
        };
        if (fault.delayMs) setTimeout(() => void run(), fault.delayMs);
        else await run();
        return;
      }
      if (wait > 0) {
        const secs = Math.max(1, Math.ceil(wait / 1000));
        reply(429, genesysError(429, 'too.many.requests.retry.after', `Rate limit exceeded the maximum. Retry the request in [${secs}] seconds`), { 'Retry-After': String(secs) });
        return;
      }
    }
    if (route.auth === 'bearer') {
      const auth = String(req.headers.authorization ?? '');
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      const info = token ? this.tokenInfo(token) : undefined;
      if (!info) {
        reply(401, genesysError(401, 'bad.credentials', 'Invalid login credentials.'));
        return;
      }
      if (route.context === 'user' && info.kind !== 'user') {
        reply(400, genesysError(400, 'bad.request', USER_CONTEXT_REQUIRED));
        return;
      }
      if (route.context === 'client' && info.kind !== 'client') {
        reply(400, genesysError(400, 'bad.request', CLIENT_GRANT_REQUIRED));
        return;
      }
      ctx.token = info;
    }
    await route.handle(ctx);
  }

  private async handleSandbox(method: string, p: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (method === 'GET' && p === '/sandbox/phone') {
      return sendText(res, 200, 'text/html; charset=utf-8', phonePage());
    }
    if (method === 'GET' && p === '/sandbox/messages') {
      return sendJson(res, 200, { messages: this.state.messages, rules: RULES_TEXT, webhookDeliveries: this.webhookResults });
    }
    if (method === 'GET' && p === '/sandbox/requests') {
      return sendJson(res, 200, { requests: this.requests });
    }
    if (method === 'GET' && p === '/sandbox/oauth') {
      // Counters and options only: the sandbox never hands out a token outside the token endpoint.
      return sendJson(res, 200, { stats: this.oauth.stats, options: this.oauth.options });
    }
    if (method === 'POST' && (p === '/sandbox/control' || p === '/sandbox/reset')) {
      // These change what the sandbox does (and where it posts receipts): only a local client may ask.
      // A browser page on another site can post text/plain without a preflight, and DNS rebinding
      // brings a foreign Host name to a loopback port; both are refused.
      const refusal = controlRefusal(req);
      if (refusal) return sendJson(res, refusal.status, { message: refusal.message });
      const raw = await readBody(req);
      let body: Record<string, unknown> = {};
      try {
        body = raw && raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        return sendJson(res, 400, { message: 'control body must be JSON' });
      }
      if (p === '/sandbox/reset') this.reset();
      else this.control(body);
      return sendJson(res, 200, { ok: true });
    }
    sendJson(res, 404, { message: 'unknown sandbox route' });
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function loopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/:\d+$/, '');
  return LOOPBACK_HOSTS.has(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

/** Why a control request is refused, or null: it must be JSON, addressed to loopback, from a loopback page (if any). */
export function controlRefusal(req: IncomingMessage): { status: number; message: string } | null {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/json') return { status: 415, message: 'control requests must be application/json' };
  if (!loopbackHost(String(req.headers.host ?? ''))) return { status: 403, message: 'control requests must be addressed to a loopback host' };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host = '';
    try {
      const u = new URL(String(origin));
      host = u.protocol === 'http:' || u.protocol === 'https:' ? u.host : '';
    } catch {
      /* "null" or garbage: not a loopback page */
    }
    if (!host || !loopbackHost(host)) return { status: 403, message: 'control requests from other sites are refused' };
  }
  return null;
}

let pageCache: string | null = null;
function phonePage(): string {
  if (pageCache === null) pageCache = readFileSync(path.join(__dirname, 'static', 'phone.html'), 'utf8');
  return pageCache;
}
