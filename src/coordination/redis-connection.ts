/**
 * One Redis server shared by the instances of an account: connection options from the account's
 * settings, key names under the account's prefix, and a connection whose health every Redis store
 * reads before it writes (so a store answers store_unavailable at once instead of hanging while
 * Redis is down; ioredis reconnects by itself and the stores recover when it is back).
 */
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { SmsError } from '../util/errors';
import type { Logger } from '../util/logger';
import { loadRedisLibraries, type RedisLibraries } from './redis-libraries';

export interface RedisSettings {
  /** redis://[user@]host:port[/db] or rediss://... (no password: that is a credential) */
  url: string;
  /** The password, kept as a Node-RED credential (a password inside the URL is refused). */
  password?: string;
  /** Prefix of every key (default 'agentless-sms:'). */
  keyPrefix: string;
  /** TLS even when the URL says redis:// */
  tls: boolean;
  /** How long an instance's claim on a job lasts without renewal: a dead instance's job is taken over after it. */
  leaseMs: number;
  /** While Redis is unavailable: answer submissions store_unavailable ('fail') or hold them until it is back. */
  whenDown: 'fail' | 'hold';
}

export const REDIS_DEFAULTS = { keyPrefix: 'agentless-sms:', leaseMs: 30_000, whenDown: 'fail' as const };

/** Connection options for ioredis and BullMQ; throws config_missing for a URL that is not redis:// or rediss://. */
export function redisOptions(s: Pick<RedisSettings, 'url' | 'password' | 'tls'>): RedisOptions {
  let u: URL;
  try {
    u = new URL(s.url.trim() || 'redis://127.0.0.1:6379');
  } catch {
    throw new SmsError('config_missing', `The Redis URL is not valid: ${redactUrl(s.url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new SmsError('config_missing', `The Redis URL must start with redis:// or rediss:// (${redactUrl(s.url)})`);
  // The URL is a flow property: exported with the flow, shown in the editor, kept in flows.json in plain
  // text. A password belongs in the Redis password credential instead.
  if (u.password) {
    throw new SmsError('config_missing', `The Redis URL contains a password (${redactUrl(s.url)}): remove it from the URL and enter it as the account's Redis password credential`);
  }
  const o: RedisOptions = { host: u.hostname || '127.0.0.1', port: Number(u.port) || 6379 };
  if (u.username) o.username = decodeURIComponent(u.username);
  const password = s.password || '';
  if (password) o.password = password;
  const db = Number(u.pathname.replace(/^\//, ''));
  if (Number.isInteger(db) && db > 0) o.db = db;
  if (s.tls || u.protocol === 'rediss:') o.tls = { servername: u.hostname };
  // Reconnect forever with a capped delay: Redis coming back is the normal end of an outage.
  o.retryStrategy = (times: number) => Math.min(200 * times, 2000);
  return o;
}

/** The URL without user and password, for logs and status texts. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

export function unavailable(why: string): SmsError {
  return new SmsError('store_unavailable', `Redis is unavailable (${why})`, { retryable: true, sent: 'no' });
}

/**
 * The command connection of one account: health, change notifications, and `ready(ms)` for stores
 * that must not queue commands while Redis is away.
 */
export class RedisLink {
  readonly client: Redis;
  readonly options: RedisOptions;
  private readonly listeners = new Set<() => void>();
  private lastError = '';
  private closed = false;
  private wasReady = false;
  /** Until the first connection attempt ends, callers wait for it instead of failing at once. */
  private settled = false;

  /** `libraries`: ioredis and BullMQ, loaded on first use (throws dependency_missing when not installed). */
  constructor(
    settings: Pick<RedisSettings, 'url' | 'password' | 'tls'>,
    private readonly logger: Logger,
    readonly label = redactUrl(settings.url),
    readonly libraries: RedisLibraries = loadRedisLibraries(),
  ) {
    this.options = redisOptions(settings);
    this.client = new libraries.ioredis.Redis({ ...this.options, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 5000 });
    this.client.on('ready', () => {
      if (!this.wasReady || this.lastError) this.logger.info(`Redis ${this.label} connected`);
      this.wasReady = true;
      this.settled = true;
      this.lastError = '';
      this.changed();
    });
    this.client.on('error', (err: Error) => {
      // ioredis repeats the same error on every reconnect attempt: log each distinct one once.
      if (err.message !== this.lastError) this.logger.warn(`Redis ${this.label}: ${err.message}`);
      this.lastError = err.message;
      this.settled = true;
      this.changed();
    });
    this.client.on('close', () => this.changed());
    this.client.on('end', () => this.changed());
  }

  get ok(): boolean {
    return !this.closed && this.client.status === 'ready';
  }

  get error(): string {
    return this.lastError || this.client.status;
  }

  /** Resolve once connected; throws store_unavailable after `ms` (0: only if connected now, or once the first attempt ends). */
  async ready(ms = 0): Promise<Redis> {
    if (this.ok) return this.client;
    if (this.closed) throw unavailable('closed');
    if (ms <= 0 && !this.settled) ms = 5000;
    if (ms > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          off();
          resolve();
        }
        const off = this.onStatus(() => {
          if (this.ok) done();
        });
      });
      if (this.ok) return this.client;
    }
    throw unavailable(this.error);
  }

  onStatus(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A second connection with the same options (subscriptions need their own). */
  duplicate(): Redis {
    const c = new this.libraries.ioredis.Redis({ ...this.options, maxRetriesPerRequest: null });
    c.on('error', () => {
      /* reported by the main connection */
    });
    return c;
  }

  private changed(): void {
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch {
        /* a status callback must not break the connection */
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.changed();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** A queue or key name part made of safe characters (node ids are hex with a dot). */
export function safeName(s: string): string {
  return s.replace(/[^\w.-]/g, '_');
}
