/**
 * Simulated Genesys Cloud notification service: channels, subscriptions and the websocket, independent of
 * the package's client (it shares no request or response code with src/notifications).
 *
 * What it models (notification service docs, SDK NotificationsApi and notificationMappings):
 * - `POST /api/v2/notifications/channels` -> `{connectUri, id, expires}`; `GET` lists them; at most 20
 *   channels per client: creating a 21st removes the oldest (and closes its socket);
 * - `PUT` / `POST` / `GET` / `DELETE .../channels/{id}/subscriptions` with `[{id: topic}]`, at most 1,000
 *   topics per channel; a topic it does not know answers 400 (as the platform does without ignoreErrors);
 * - one websocket per channel (a second connection closes the first); frames
 *   `{topicName, version, eventBody, metadata}`; a `channel.metadata` heartbeat every `heartbeatMs`;
 *   `{"message":"ping"}` answered by a `channel.metadata` pong;
 * - a channel lives `channelTtlSeconds` (24 h by default) and is then closed and forgotten;
 * - queue-mode conversations publish `v2.routing.queues.{queueId}.conversations.messages` events on every
 *   status change and reply: the conversation with its participants, the agent side listing our messages
 *   as `{message: {id}, messageStatus, messageTime, messageSegmentCount, errorInfo?}` and the customer
 *   side listing replies as `received`. (Which participant lists an outbound message is not documented;
 *   the agent side is this simulator's choice, and the package reads both.)
 *
 * On /sandbox/control `{notifications: {...}}`: `drop` (close every socket without a close frame),
 * `socketClosing` (send `v2.system.socket_closing`, then close after `closeAfterMs`), `expire` (end every
 * channel now), `heartbeatMs`, `channelTtlSeconds`, `silent` (stop heartbeats), `frames` (raw frames
 * to send on every socket) and `flood: {count, bytes, topicName?}` (that many frames at once), for tests and
 * measurements of a hostile peer.
 */
import { randomUUID } from 'crypto';
import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { Route, RouteContext } from './server';
import type { QueueConversation } from './genesys-api';
import type { SandboxMessage } from './state';

export const TOPIC_LIMIT = 1000;
export const CHANNEL_LIMIT = 20;
const KNOWN_TOPIC = /^v2\.(routing\.queues|users)\.[A-Za-z0-9-]+\.conversations\.messages$/;

interface Channel {
  id: string;
  createdAt: number;
  expiresAt: number;
  topics: Set<string>;
  ws: WebSocket | null;
  timer: NodeJS.Timeout;
}

/** What the notification service needs to know about a queue conversation (the sandbox's own record). */
export type QueueConversationView = QueueConversation;

export interface NotificationHost {
  url: string;
  queueConversationOf(messageId: string): QueueConversationView | undefined;
  message(id: string): SandboxMessage | undefined;
}

export interface NotificationSettings {
  heartbeatMs: number;
  channelTtlSeconds: number;
  silent: boolean;
}

export class SandboxNotifications {
  readonly channels = new Map<string, Channel>();
  readonly settings: NotificationSettings = { heartbeatMs: 30_000, channelTtlSeconds: 86_400, silent: false };
  /** Frames sent, by topic (tests read it). */
  readonly published: { channelId: string; topicName: string; at: number }[] = [];
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly host: NotificationHost) {}

  routes(): Route[] {
    return [
      { method: 'POST', pattern: /^\/api\/v2\/notifications\/channels$/, auth: 'bearer', api: true, handle: (c) => this.create(c) },
      { method: 'GET', pattern: /^\/api\/v2\/notifications\/channels$/, auth: 'bearer', api: true, handle: (c) => this.list(c) },
      ...(['PUT', 'POST', 'GET', 'DELETE'] as const).map((method) => ({
        method,
        pattern: /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/,
        auth: 'bearer' as const,
        api: true,
        handle: (c: RouteContext) => this.subscriptions(c, method, decodeURIComponent(c.params[0])),
      })),
    ];
  }

  private create(ctx: RouteContext): void {
    // The 21st channel removes the oldest, as the platform does.
    while (this.channels.size >= CHANNEL_LIMIT) this.end(this.channels.keys().next().value as string, 'removed');
    const id = 'streaming-' + randomUUID().replace(/-/g, '').slice(0, 26);
    const now = Date.now();
    const ttl = this.settings.channelTtlSeconds * 1000;
    const timer = setTimeout(() => this.end(id, 'expired'), ttl);
    timer.unref();
    const ch: Channel = { id, createdAt: now, expiresAt: now + ttl, topics: new Set(), ws: null, timer };
    this.channels.set(id, ch);
    this.armHeartbeat();
    ctx.reply(200, { connectUri: `${this.host.url.replace(/^http/, 'ws')}/channels/${id}`, id, expires: new Date(ch.expiresAt).toISOString() });
  }

  private list(ctx: RouteContext): void {
    ctx.reply(200, {
      entities: [...this.channels.values()].map((c) => ({ connectUri: `${this.host.url.replace(/^http/, 'ws')}/channels/${c.id}`, id: c.id, expires: new Date(c.expiresAt).toISOString() })),
    });
  }

  private subscriptions(ctx: RouteContext, method: string, channelId: string): void {
    const ch = this.channels.get(channelId);
    if (!ch) return ctx.reply(404, platformError(404, 'not.found', `Channel ${channelId} not found`));
    const listing = () => ({ entities: [...ch.topics].map((id) => ({ id, state: 'Permitted' })) });
    if (method === 'GET') return ctx.reply(200, listing());
    if (method === 'DELETE') {
      ch.topics.clear();
      return ctx.reply(200, listing());
    }
    let body: unknown;
    try {
      body = JSON.parse(ctx.body.toString('utf8'));
    } catch {
      return ctx.reply(400, platformError(400, 'bad.request', 'The request could not be understood by the server due to malformed syntax.'));
    }
    if (!Array.isArray(body)) return ctx.reply(400, platformError(400, 'bad.request', 'The body must be a list of topics'));
    const topics = body.map((t) => (t && typeof t === 'object' ? (t as { id?: unknown }).id : undefined));
    for (const t of topics) {
      if (typeof t !== 'string' || !KNOWN_TOPIC.test(t)) {
        return ctx.reply(400, platformError(400, 'notification.subscription.invalid.topic', `Topic ${String(t)} is not a valid topic`));
      }
    }
    const next = method === 'PUT' ? new Set(topics as string[]) : new Set([...ch.topics, ...(topics as string[])]);
    if (next.size > TOPIC_LIMIT) return ctx.reply(400, platformError(400, 'notification.subscription.limit', `A channel can have at most ${TOPIC_LIMIT} topics`));
    ch.topics = next;
    ctx.reply(200, listing());
  }

  /** The http server's 'upgrade' event: `/channels/{id}` of a live channel, else 404. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const m = /^\/channels\/([^/?]+)$/.exec(new URL(req.url ?? '/', 'http://sandbox').pathname);
    const ch = m ? this.channels.get(m[1]) : undefined;
    if (!ch || ch.expiresAt <= Date.now()) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // One websocket per channel: a second connection closes the first.
      if (ch.ws && ch.ws.readyState === WebSocket.OPEN) ch.ws.close(1000, 'another socket connected');
      ch.ws = ws;
      ws.on('message', (data) => {
        let v: unknown;
        try {
          v = JSON.parse(data.toString());
        } catch {
          return;
        }
        if (v && typeof v === 'object' && (v as { message?: unknown }).message === 'ping') {
          this.sendFrame(ch, { topicName: 'channel.metadata', eventBody: { message: 'pong' } });
        }
      });
      ws.on('close', () => {
        if (ch.ws === ws) ch.ws = null;
      });
      ws.on('error', () => {});
    });
  }

  /** A message changed: publish its queue conversation to every channel subscribed to the queue's topic. */
  onStatus(m: SandboxMessage): void {
    const conv = this.host.queueConversationOf(m.id);
    if (!conv) return;
    this.publishConversation(conv);
  }

  publishConversation(conv: QueueConversationView): void {
    const topicName = `v2.routing.queues.${conv.queueId}.conversations.messages`;
    const subscribed = [...this.channels.values()].filter((c) => c.topics.has(topicName) && c.ws);
    if (!subscribed.length) return;
    const details = (ids: string[]) =>
      ids
        .map((id) => this.host.message(id))
        .filter((x): x is SandboxMessage => x !== undefined)
        .map((x) => {
          const failed = x.status === 'delivery-failed' || x.status === 'failed';
          const reason = failed ? firstReason(x.normalizedReceipts) : undefined;
          return {
            message: { id: x.id },
            messageTime: x.timestamp,
            messageSegmentCount: 1,
            messageStatus: x.status,
            ...(reason ? { errorInfo: { status: 400, code: reason.code, message: reason.message, messageWithParams: reason.message, messageParams: {}, contextId: randomUUID(), uri: '' } } : {}),
          };
        });
    const frame = {
      topicName,
      version: '2',
      eventBody: {
        id: conv.id,
        participants: [
          {
            id: conv.agentParticipantId,
            purpose: 'agent',
            address: conv.fromAddress,
            state: 'connected',
            direction: 'outbound',
            queue: { id: conv.queueId },
            messages: details(conv.messageIds),
          },
          {
            id: conv.customerParticipantId,
            purpose: 'customer',
            address: conv.toAddress,
            state: 'connected',
            direction: 'outbound',
            peer: conv.communicationId,
            messages: details(conv.replyIds ?? []),
          },
        ],
      },
      metadata: { CorrelationId: randomUUID() },
    };
    for (const ch of subscribed) this.sendFrame(ch, frame);
  }

  control(c: Record<string, unknown>): void {
    if (typeof c.heartbeatMs === 'number' && c.heartbeatMs > 0) {
      this.settings.heartbeatMs = c.heartbeatMs;
      this.armHeartbeat(true);
    }
    if (typeof c.channelTtlSeconds === 'number' && c.channelTtlSeconds > 0) this.settings.channelTtlSeconds = c.channelTtlSeconds;
    if (typeof c.silent === 'boolean') this.settings.silent = c.silent;
    if (c.drop) for (const ch of this.channels.values()) ch.ws?.terminate();
    if (c.socketClosing) {
      const after = typeof c.closeAfterMs === 'number' ? c.closeAfterMs : 1000;
      for (const ch of this.channels.values()) {
        const ws = ch.ws;
        if (!ws) continue;
        this.sendFrame(ch, { topicName: 'v2.system.socket_closing', eventBody: { message: 'Socket closing for maintenance', channelId: ch.id, systemTopicType: 'socket_closing' } });
        setTimeout(() => ws.terminate(), after).unref();
      }
    }
    if (c.expire) for (const id of [...this.channels.keys()]) this.end(id, 'expired');
    if (c.flood && typeof c.flood === 'object') {
      // A peer that sends as fast as the socket takes it: `count` topic frames of about `bytes` each.
      const f = c.flood as { count?: unknown; bytes?: unknown; topicName?: unknown };
      const count = Math.min(1_000_000, Math.max(0, Number(f.count) || 0));
      const pad = 'x'.repeat(Math.min(1024 * 1024, Math.max(0, Number(f.bytes) || 0)));
      const topicName = typeof f.topicName === 'string' ? f.topicName : 'v2.routing.queues.flood.conversations.messages';
      for (const ch of this.channels.values()) {
        const ws = ch.ws;
        if (!ws || ws.readyState !== WebSocket.OPEN) continue;
        for (let i = 0; i < count; i++) ws.send(`{"topicName":"${topicName}","version":"2","eventBody":{"id":"flood-${i}","pad":"${pad}"},"metadata":{"CorrelationId":"flood-${i}"}}`);
      }
    }
    if (Array.isArray(c.frames)) {
      for (const ch of this.channels.values()) {
        const ws = ch.ws;
        if (!ws || ws.readyState !== WebSocket.OPEN) continue;
        for (const f of c.frames) ws.send(typeof f === 'string' ? f : JSON.stringify(f));
      }
    }
  }

  private end(id: string, why: string): void {
    const ch = this.channels.get(id);
    if (!ch) return;
    clearTimeout(ch.timer);
    this.channels.delete(id);
    ch.ws?.close(1000, why);
  }

  private sendFrame(ch: Channel, frame: Record<string, unknown>): void {
    const ws = ch.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(frame));
    if (typeof frame.topicName === 'string' && frame.topicName !== 'channel.metadata') {
      this.published.push({ channelId: ch.id, topicName: frame.topicName, at: Date.now() });
      if (this.published.length > 10_000) this.published.splice(0, 5000);
    }
  }

  private armHeartbeat(restart = false): void {
    if (this.heartbeat && !restart) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.settings.silent) return;
      for (const ch of this.channels.values()) this.sendFrame(ch, { topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } });
    }, this.settings.heartbeatMs);
    this.heartbeat.unref();
  }

  reset(): void {
    for (const id of [...this.channels.keys()]) this.end(id, 'reset');
    this.published.length = 0;
    this.settings.silent = false;
  }

  close(): void {
    this.reset();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

function firstReason(receipts: unknown[] | undefined): { code: string; message: string } | undefined {
  for (const r of receipts ?? []) {
    const reasons = (r as { reasons?: unknown }).reasons;
    if (!Array.isArray(reasons)) continue;
    for (const x of reasons) if (x && typeof x.code === 'string') return { code: x.code, message: String(x.message ?? x.code) };
  }
  return undefined;
}

function platformError(status: number, code: string, message: string): Record<string, unknown> {
  return { message, code, status, messageParams: {}, contextId: randomUUID(), details: [], errors: [] };
}
