/**
 * One Genesys notification channel per account, shared by every receiver that follows it (as core
 * `10-mqtt` shares one broker connection: users `register` and `deregister`, the last one out closes it).
 *
 * The platform's rules this follows (notification service docs; SDK NotificationsApi, notificationMappings):
 * - `POST /api/v2/notifications/channels` answers `{id, connectUri, expires}`; topics are set with
 *   `PUT .../channels/{id}/subscriptions`; at most 1,000 topics per channel and 20 channels per user and
 *   app (a 21st removes the oldest), so one account keeps exactly one.
 * - One websocket per channel. Frames are `{topicName, version, eventBody, metadata}`. A heartbeat
 *   (`channel.metadata`) comes about every 30 s; a client may send `{"message":"ping"}` and gets a
 *   `channel.metadata` pong. `v2.system.socket_closing` warns that the server will close this socket soon
 *   (about a minute).
 * - A channel lives 24 h. It is renewed before its end by creating the next one, subscribing it, and
 *   connecting it before the old socket is closed: events seen on both during the overlap are removed by
 *   the receiver's dedupe and monotonic status. The same roll-over answers `socket_closing`.
 * - Notifications are not durable: what happens while no socket is open is not replayed. After such a
 *   gap the users are told (`onResumed`) so they can ask by polling about what they were waiting for.
 *
 * A hostile or broken peer is bounded: frames over `maxFrameBytes` close the socket (the `ws` library's
 * maxPayload, checked before the frame is buffered), invalid JSON and over-deep JSON are counted and
 * dropped, and a flood is paced: at most `maxFramesPerSecond` frames are handled per second and at most
 * `maxInFlight` events wait for their users; beyond either the socket is paused (TCP backpressure) until
 * there is room, so memory and CPU stay bounded whatever the peer sends.
 */
import WebSocket from 'ws';
import type { Clock, TimerHandle } from '../util/clock';
import type { Logger } from '../util/logger';
import type { NotificationsApi } from '../providers/types';
import { parseBodySafely } from '../webhook/safe-json';

export const MAX_TOPICS_PER_CHANNEL = 1000;
const DAY_MS = 24 * 3600 * 1000;
const MIN_ROLL_GAP_MS = 500;
const SOCKET_CLOSING_GAP_MS = 5000;

export type ChannelState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** A frame that is not a heartbeat or a system message: handed to the users whose topic it is. */
export interface ChannelEvent {
  topicName?: string;
  value: unknown;
  text: string;
}

export interface ChannelUser {
  /** The topics this user needs (e.g. `v2.routing.queues.{id}.conversations.messages`). */
  topics(): string[];
  /** Resolves when the event is recorded; the hub paces the socket on these. Must not throw. */
  onEvent(e: ChannelEvent): Promise<unknown>;
  onState(state: ChannelState, detail?: { error?: string; rejected?: string[] }): void;
  /** The socket was down since `since` (ms); events in between were not delivered. */
  onResumed?(since: number): void;
}

export interface HubOptions {
  api: () => Promise<NotificationsApi>;
  clock: Clock;
  logger: Logger;
  /** Close and reconnect when nothing (not even a heartbeat) came for this long (default 90 s: three heartbeats). */
  heartbeatTimeoutMs?: number;
  /** Renew this long before the channel's end (default 10 min, at most a tenth of its lifetime). */
  renewLeadMs?: number;
  /** Reconnect backoff: first delay and cap (default 1 s, 60 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Largest frame accepted (default 1 MiB; a conversation event is a few KB). */
  maxFrameBytes?: number;
  maxDepth?: number;
  maxFramesPerSecond?: number;
  maxInFlight?: number;
  /** Consecutive failed attempts before the state reads `failed` (it keeps trying at the longest backoff). */
  failAfter?: number;
}

interface Live {
  channelId: string;
  connectUri: string;
  expiresAt: number;
  ws: WebSocket | null;
  topics: string[];
}

export interface HubStats {
  frames: number;
  heartbeats: number;
  events: number;
  invalidFrames: number;
  oversizeFrames: number;
  unknownTopics: number;
  connects: number;
  channelsCreated: number;
  renewals: number;
  pauses: number;
}

export class NotificationHub {
  private readonly users = new Set<ChannelUser>();
  private live: Live | null = null;
  private state: ChannelState = 'closed';
  private lastError: string | undefined;
  private rejected: string[] = [];
  private attempts = 0;
  private downSince: number | null = null;
  private everConnected = false;
  private lastFrameAt = 0;
  private pinged = false;
  private retryTimer: TimerHandle | null = null;
  private watchTimer: TimerHandle | null = null;
  private renewTimer: TimerHandle | null = null;
  private resubscribe: Promise<void> | null = null;
  private opening: Promise<void> | null = null;
  private rolling = false;
  private lastRollAt = -Infinity;
  private closed = false;
  private inFlight = 0;
  private windowStart = 0;
  private windowFrames = 0;
  private paused = false;
  private resumeTimer: TimerHandle | null = null;
  readonly stats: HubStats = { frames: 0, heartbeats: 0, events: 0, invalidFrames: 0, oversizeFrames: 0, unknownTopics: 0, connects: 0, channelsCreated: 0, renewals: 0, pauses: 0 };
  private readonly o: Required<Omit<HubOptions, 'api' | 'clock' | 'logger'>>;
  private lastInvalidLog = -Infinity;

  constructor(private readonly opts: HubOptions) {
    this.o = {
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 90_000,
      renewLeadMs: opts.renewLeadMs ?? 600_000,
      backoffMs: opts.backoffMs ?? 1000,
      maxBackoffMs: opts.maxBackoffMs ?? 60_000,
      maxFrameBytes: opts.maxFrameBytes ?? 1024 * 1024,
      maxDepth: opts.maxDepth ?? 32,
      maxFramesPerSecond: opts.maxFramesPerSecond ?? 2000,
      maxInFlight: opts.maxInFlight ?? 256,
      failAfter: opts.failAfter ?? 5,
    };
  }

  get currentState(): ChannelState {
    return this.state;
  }
  get channelId(): string | undefined {
    return this.live?.channelId;
  }

  /** Add a user; the channel opens with the first one and re-subscribes when the topic set changes. */
  register(user: ChannelUser): void {
    if (this.closed) {
      user.onState('closed');
      return;
    }
    this.users.add(user);
    user.onState(this.state === 'closed' ? 'connecting' : this.state, this.detail());
    if (!this.live && !this.opening && !this.retryTimer) this.open();
    else this.topicsChanged();
  }

  /** Remove a user; the last one out closes the socket (the channel then expires on its own). */
  async deregister(user: ChannelUser): Promise<void> {
    if (!this.users.delete(user)) return;
    if (this.users.size === 0) this.shutdown();
    else this.topicsChanged();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.shutdown();
    this.setState('closed');
    this.users.clear();
  }

  private detail(): { error?: string; rejected?: string[] } {
    return { ...(this.lastError ? { error: this.lastError } : {}), ...(this.rejected.length ? { rejected: [...this.rejected] } : {}) };
  }

  private setState(s: ChannelState): void {
    this.state = s;
    for (const u of this.users) {
      try {
        u.onState(s, this.detail());
      } catch {
        /* a user's status display must not break the channel */
      }
    }
  }

  private wantedTopics(): string[] {
    const all = new Set<string>();
    for (const u of this.users) for (const t of u.topics()) all.add(t);
    return [...all].sort().slice(0, MAX_TOPICS_PER_CHANNEL);
  }

  private topicsChanged(): void {
    const live = this.live;
    if (!live || this.rolling) return;
    const wanted = this.wantedTopics();
    if (wanted.join('\n') === live.topics.join('\n') || this.resubscribe) return;
    this.resubscribe = (async () => {
      try {
        const api = await this.opts.api();
        await this.subscribe(api, live.channelId, wanted);
        live.topics = wanted;
      } catch (err) {
        this.lastError = (err as Error).message;
        this.opts.logger.warn(`notification channel: subscriptions not updated: ${this.lastError}`);
      } finally {
        this.resubscribe = null;
      }
      if (this.live === live && this.wantedTopics().join('\n') !== live.topics.join('\n')) this.topicsChanged();
    })();
  }

  private async subscribe(api: NotificationsApi, channelId: string, topics: string[]): Promise<void> {
    const taken = await api.setSubscriptions(channelId, topics);
    const ok = new Set(taken.filter((t) => !t.state || /^permitted$/i.test(t.state)).map((t) => t.id));
    this.rejected = topics.filter((t) => !ok.has(t));
    if (this.rejected.length) this.opts.logger.warn(`notification channel: topics not permitted: ${this.rejected.join(', ')}`);
  }

  /** Create a channel, subscribe it, connect it. On failure: retry with backoff. */
  private open(): void {
    if (this.closed || !this.users.size) return;
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    this.opening = (async () => {
      try {
        const next = await this.createSubscribed();
        await this.connect(next);
        this.adopt(next);
      } catch (err) {
        this.failedAttempt(err as Error);
      } finally {
        this.opening = null;
      }
    })();
  }

  private async createSubscribed(): Promise<Live> {
    const api = await this.opts.api();
    const ch = await api.createChannel();
    this.stats.channelsCreated++;
    const created = this.opts.clock.now();
    const parsed = ch.expires ? Date.parse(ch.expires) : NaN;
    // The documented lifetime is 24 h; trust the answer's `expires` when it gives one, unless it lies in our
    // past (clocks that disagree): renewing at once would only make channel after channel.
    const expiresAt = Number.isFinite(parsed) && parsed > created ? parsed : created + DAY_MS;
    const topics = this.wantedTopics();
    await this.subscribe(api, ch.id, topics);
    return { channelId: ch.id, connectUri: ch.connectUri, expiresAt, ws: null, topics };
  }

  /** Resolves when the socket is open; its later close schedules the reconnection (unless replaced). */
  private connect(live: Live): Promise<void> {
    return new Promise((resolve, reject) => {
      let opened = false;
      let ws: WebSocket;
      try {
        ws = new WebSocket(live.connectUri, {
          maxPayload: this.o.maxFrameBytes,
          handshakeTimeout: 15_000,
          perMessageDeflate: false,
          followRedirects: false,
        });
      } catch (err) {
        reject(err as Error);
        return;
      }
      live.ws = ws;
      ws.on('open', () => {
        opened = true;
        this.stats.connects++;
        this.lastFrameAt = this.opts.clock.now();
        this.pinged = false;
        resolve();
      });
      ws.on('unexpected-response', (_req, res) => {
        // 4xx: the channel is gone or refused (expired, removed as the 21st): the next attempt makes a new one.
        const code = res.statusCode ?? 0;
        res.resume();
        if (code >= 400 && code < 500 && this.live === live) this.live = null;
        ws.terminate();
        if (!opened) reject(Object.assign(new Error(`notification socket refused: HTTP ${code}`), { channelGone: code >= 400 && code < 500 }));
      });
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.frame(live, ws, data, isBinary));
      ws.on('error', (err: Error) => {
        if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || /max payload/i.test(err.message)) this.stats.oversizeFrames++;
        if (!opened) reject(err);
      });
      ws.on('close', (code: number) => {
        if (!opened) {
          reject(new Error(`notification socket closed before it opened (${code})`));
          return;
        }
        this.socketClosed(live, ws, code);
      });
    });
  }

  /** A fresh, open channel becomes the live one; a previous one (roll-over) is closed after it. */
  private adopt(next: Live): void {
    if (this.closed || !this.users.size) {
      // Shut down while this one was being made: let it go.
      const ws = next.ws;
      next.ws = null;
      ws?.removeAllListeners('close');
      ws?.on('error', () => {});
      ws?.terminate();
      return;
    }
    const prev = this.live;
    this.live = next;
    // A roll-over that finished while a reconnection was scheduled makes that reconnection moot.
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.attempts = 0;
    this.lastError = undefined;
    const gapSince = this.downSince;
    this.downSince = null;
    if (prev && prev !== next && prev.ws) {
      const old = prev.ws;
      prev.ws = null;
      old.removeAllListeners('close');
      old.on('close', () => {});
      old.close(1000, 'renewed');
      this.opts.clock.setTimer(() => old.terminate(), 5000);
    }
    this.everConnected = true;
    this.setState('connected');
    this.armWatchdog();
    this.armRenewal(next);
    if (gapSince !== null) {
      for (const u of this.users) {
        try {
          u.onResumed?.(gapSince);
        } catch {
          /* never break the channel */
        }
      }
    }
    // Topics may have changed while the channel was being made.
    this.topicsChanged();
  }

  private failedAttempt(err: Error): void {
    if (this.closed || !this.users.size) return;
    this.attempts++;
    this.lastError = err.message;
    if ((err as { channelGone?: boolean }).channelGone) this.live = null;
    this.opts.logger.warn(`notification channel: ${err.message} (attempt ${this.attempts})`);
    this.setState(this.attempts >= this.o.failAfter ? 'failed' : 'reconnecting');
    const base = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** Math.min(this.attempts - 1, 16));
    // +-20 % so instances that lost the same server do not come back in step.
    const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.retryTimer = this.opts.clock.setTimer(() => {
      this.retryTimer = null;
      this.reconnect();
    }, delay);
  }

  /** Same channel when it is still valid and not near its end; otherwise a new one. */
  private reconnect(): void {
    if (this.closed || !this.users.size) return;
    const live = this.live;
    if (!live || live.expiresAt - this.opts.clock.now() < this.renewLead(live)) {
      this.live = null;
      this.open();
      return;
    }
    this.setState('reconnecting');
    this.opening = this.connect(live)
      .then(() => this.adopt(live))
      .catch((err: Error) => this.failedAttempt(err))
      .finally(() => {
        this.opening = null;
      });
  }

  private socketClosed(live: Live, ws: WebSocket, code: number): void {
    if (live.ws !== ws) return; // replaced (roll-over) or shut down
    live.ws = null;
    if (this.closed || !this.users.size) return;
    this.downSince ??= this.opts.clock.now();
    // A roll-over in progress adopts its new channel; if it fails, it starts the reconnection itself.
    if (this.rolling) return;
    this.stopWatchdog();
    this.failedAttempt(new Error(`notification socket closed (${code})`));
  }

  private renewLead(live: Live): number {
    const lifetime = Math.max(0, live.expiresAt - this.opts.clock.now());
    return Math.min(this.o.renewLeadMs, Math.max(1000, lifetime / 10));
  }

  private armRenewal(live: Live): void {
    this.renewTimer?.cancel();
    const now = this.opts.clock.now();
    const at = live.expiresAt - Math.min(this.o.renewLeadMs, Math.max(1000, (live.expiresAt - now) / 10));
    // Never sooner than half a second, whatever the lifetime: a very short channel is renewed at most that often.
    this.renewTimer = this.opts.clock.setTimer(
      () => {
        this.renewTimer = null;
        this.rollOver('renewal');
      },
      Math.max(MIN_ROLL_GAP_MS, at - now),
    );
  }

  /** A new channel with the same topics, connected before the current socket is let go. */
  private rollOver(why: 'renewal' | 'socket_closing'): void {
    if (this.closed || this.rolling || !this.users.size) return;
    // A peer repeating socket_closing does not make us create channel after channel.
    const now = this.opts.clock.now();
    if (why === 'socket_closing' && now - this.lastRollAt < SOCKET_CLOSING_GAP_MS) return;
    this.lastRollAt = now;
    this.rolling = true;
    this.stats.renewals++;
    this.opts.logger.debug(`notification channel: roll-over (${why})`);
    void (async () => {
      try {
        const next = await this.createSubscribed();
        await this.connect(next);
        this.rolling = false;
        this.adopt(next);
      } catch (err) {
        this.rolling = false;
        this.opts.logger.warn(`notification channel: roll-over failed: ${(err as Error).message}`);
        // The current socket (if any) keeps working until it closes; then the ordinary reconnection runs.
        if (this.live && !this.live.ws) this.failedAttempt(err as Error);
        else if (this.live) this.renewTimer = this.opts.clock.setTimer(() => this.rollOver(why), Math.min(this.o.maxBackoffMs, 30_000));
      }
    })();
  }

  /**
   * Frames that arrived while paused: `ws.pause()` stops reading the socket, but what the library had
   * already read is still emitted, so it waits here (bounded by that buffer, and capped anyway).
   */
  private backlog: { live: Live; ws: WebSocket; data: WebSocket.RawData; isBinary: boolean }[] = [];
  private static readonly BACKLOG_CAP = 10_000;

  private frame(live: Live, ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (live.ws !== ws) return;
    if (this.paused || this.backlog.length) {
      if (this.backlog.length >= NotificationHub.BACKLOG_CAP) {
        this.invalid('backlog full');
        return;
      }
      this.backlog.push({ live, ws, data, isBinary });
      return;
    }
    this.handleFrame(live, ws, data, isBinary);
  }

  private drain(): void {
    while (this.backlog.length && this.inFlight < this.o.maxInFlight && !this.resumeTimer) {
      const f = this.backlog.shift()!;
      if (f.live.ws !== f.ws) continue;
      this.handleFrame(f.live, f.ws, f.data, f.isBinary);
    }
  }

  private handleFrame(live: Live, ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    this.stats.frames++;
    this.lastFrameAt = this.opts.clock.now();
    this.pinged = false;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary && bytes.length === 0) return;
    const parsed = parseBodySafely(bytes, this.o.maxDepth);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      this.invalid(parsed.ok ? 'not an object' : parsed.reason);
      return;
    }
    const v = parsed.value as Record<string, unknown>;
    const topic = typeof v.topicName === 'string' ? v.topicName : undefined;
    if (topic === 'channel.metadata') {
      this.stats.heartbeats++;
      return;
    }
    if (topic === 'v2.system.socket_closing') {
      this.rollOver('socket_closing');
      return;
    }
    if (topic?.startsWith('v2.system.')) {
      this.opts.logger.debug(`notification channel: ${topic}`);
      return;
    }
    const mine = [...this.users].filter((u) => topic !== undefined && u.topics().includes(topic));
    // A topic nobody subscribed to is not news, but it is shown (output 4) rather than silently lost.
    const targets = mine.length ? mine : [...this.users];
    if (!mine.length) this.stats.unknownTopics++;
    this.stats.events++;
    const e: ChannelEvent = { topicName: topic, value: v, text: parsed.text ?? bytes.toString('utf8') };
    this.pace(ws, targets.length);
    for (const u of targets) {
      this.inFlight++;
      let p: Promise<unknown>;
      try {
        p = u.onEvent(e);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.catch(() => undefined).finally(() => {
        this.inFlight--;
        this.maybeResume(ws);
      });
    }
  }

  /** Pause reading when the per-second frame budget or the in-flight cap is spent. */
  private pace(ws: WebSocket, adding = 0): void {
    const now = this.opts.clock.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowFrames = 0;
    }
    this.windowFrames++;
    const overRate = this.windowFrames >= this.o.maxFramesPerSecond;
    if ((overRate || this.inFlight + adding >= this.o.maxInFlight) && !this.paused) {
      this.paused = true;
      this.stats.pauses++;
      ws.pause();
      if (overRate) {
        this.resumeTimer = this.opts.clock.setTimer(
          () => {
            this.resumeTimer = null;
            this.windowStart = this.opts.clock.now();
            this.windowFrames = 0;
            this.maybeResume(ws);
          },
          Math.max(1, 1000 - (now - this.windowStart)),
        );
      }
    }
  }

  private maybeResume(ws: WebSocket): void {
    if (this.resumeTimer) return;
    this.drain();
    if (!this.paused || this.backlog.length || this.resumeTimer) return;
    if (this.inFlight > this.o.maxInFlight / 2) return;
    this.paused = false;
    if (ws.readyState === WebSocket.OPEN) ws.resume();
  }

  private invalid(reason: string): void {
    this.stats.invalidFrames++;
    const now = this.opts.clock.now();
    if (now - this.lastInvalidLog > 60_000) {
      this.lastInvalidLog = now;
      this.opts.logger.warn(`notification channel: dropped a frame that is not a JSON object (${reason}); ${this.stats.invalidFrames} so far`);
    }
  }

  private armWatchdog(): void {
    this.stopWatchdog();
    const period = Math.max(250, Math.floor(this.o.heartbeatTimeoutMs / 6));
    const check = () => {
      const live = this.live;
      const ws = live?.ws;
      if (!ws || this.closed) return;
      const quiet = this.opts.clock.now() - this.lastFrameAt;
      if (quiet >= this.o.heartbeatTimeoutMs) {
        this.opts.logger.warn(`notification channel: no heartbeat for ${Math.round(quiet / 1000)} s, reconnecting`);
        ws.terminate(); // 'close' follows and schedules the reconnection
        return;
      }
      if (quiet >= this.o.heartbeatTimeoutMs / 2 && !this.pinged && ws.readyState === WebSocket.OPEN) {
        this.pinged = true;
        ws.send('{"message":"ping"}');
      }
      this.watchTimer = this.opts.clock.setTimer(check, period);
    };
    this.watchTimer = this.opts.clock.setTimer(check, period);
  }

  private stopWatchdog(): void {
    this.watchTimer?.cancel();
    this.watchTimer = null;
  }

  private shutdown(): void {
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.renewTimer?.cancel();
    this.renewTimer = null;
    this.resumeTimer?.cancel();
    this.resumeTimer = null;
    this.stopWatchdog();
    const live = this.live;
    this.live = null;
    this.downSince = null;
    this.everConnected = false;
    this.attempts = 0;
    this.paused = false;
    this.backlog = [];
    this.inFlight = 0;
    if (live?.ws) {
      const ws = live.ws;
      live.ws = null;
      ws.removeAllListeners('close');
      ws.on('close', () => {});
      ws.on('error', () => {});
      ws.terminate();
    }
    if (!this.closed) this.state = 'closed';
  }
}
