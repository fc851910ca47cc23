/**
 * An account's opt-out list shared by every instance: a Redis hash number -> last change, with the
 * same rules as the local list (a change older than the last one for that number is ignored; the
 * check and the write are one Lua script). Each instance mirrors the hash in memory for the
 * synchronous checks at submission, kept current by a change channel and reloaded on reconnect; the
 * check right before a message is sent reads its number from Redis (`refresh`).
 */
import type Redis from 'ioredis';
import { SmsError } from '../util/errors';
import type { Clock } from '../util/clock';
import type { OptOutEntry, OptOutList, SetResult } from '../compliance/opt-out-store';
import type { RedisLink } from './redis-connection';

/** KEYS: hash, channel. ARGV: number, optedOut (0/1), at, record. Returns {changed, stale, optedOut}. */
const SET = `
local o = tonumber(ARGV[2])
local at = tonumber(ARGV[3])
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local c = cjson.decode(cur)
  if c.at > at then return {0, 1, c.o} end
  if c.o == o then
    c.at = at
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(c))
    return {0, 0, o}
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return {1, 0, o}
`;

interface Stored {
  o: 0 | 1;
  at: number;
  src: string;
}

export class RedisOptOutStore implements OptOutList {
  private readonly entries = new Map<string, OptOutEntry>();
  private readonly hash: string;
  private readonly channel: string;
  private sub: Redis | null = null;
  private closed = false;
  private offStatus: () => void = () => {};

  private constructor(
    private readonly link: RedisLink,
    keys: string,
    private readonly clock: Clock,
  ) {
    this.hash = `${keys}opt-outs`;
    this.channel = `${keys}opt-outs:changes`;
  }

  /** Throws store_unavailable when Redis cannot be reached within a few seconds. */
  static async open(link: RedisLink, keys: string, clock: Clock): Promise<RedisOptOutStore> {
    const s = new RedisOptOutStore(link, keys, clock);
    await s.reload(5000);
    s.sub = link.duplicate();
    await s.sub.subscribe(s.channel).catch(() => {});
    s.sub.on('message', (_ch: string, number: string) => void s.refresh(number).catch(() => {}));
    // Changes published while this instance was disconnected were missed: reload on reconnect.
    let wasOk = link.ok;
    s.offStatus = link.onStatus(() => {
      if (link.ok && !wasOk) void s.reload(0).catch(() => {});
      wasOk = link.ok;
    });
    return s;
  }

  isOptedOut(number: string): boolean {
    return this.entries.get(number)?.optedOut === true;
  }

  get size(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.optedOut) n++;
    return n;
  }

  list(): OptOutEntry[] {
    return [...this.entries.values()].filter((e) => e.optedOut).sort((a, b) => a.at - b.at);
  }

  async set(number: string, optedOut: boolean, meta: { at?: number; source: string }): Promise<SetResult> {
    if (this.closed) throw new SmsError('store_unavailable', 'The opt-out list is closed', { retryable: true });
    const at = meta.at ?? this.clock.now();
    const rec: Stored = { o: optedOut ? 1 : 0, at, src: meta.source.slice(0, 64) };
    const c = await this.link.ready(1000);
    let r: [number, number, number];
    try {
      r = (await c.eval(SET, 2, this.hash, this.channel, number, String(rec.o), String(at), JSON.stringify(rec))) as [number, number, number];
    } catch (err) {
      throw new SmsError('store_unavailable', `Cannot record the opt-out change: ${(err as Error).message}`, { retryable: true });
    }
    await this.refresh(number).catch(() => {});
    return { changed: r[0] === 1, stale: r[1] === 1, optedOut: r[2] === 1 };
  }

  async addMany(numbers: string[], source: string): Promise<{ added: number; unchanged: number }> {
    const at = this.clock.now();
    const results = await Promise.all([...new Set(numbers)].map((n) => this.set(n, true, { at, source })));
    const added = results.filter((r) => r.changed).length;
    return { added, unchanged: numbers.length - added };
  }

  async refresh(number: string): Promise<void> {
    const c = await this.link.ready(1000);
    const v = await c.hget(this.hash, number);
    if (v) this.apply(number, v);
    else this.entries.delete(number);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offStatus();
    this.sub?.disconnect();
    this.sub = null;
  }

  private async reload(waitMs: number): Promise<void> {
    const c = await this.link.ready(waitMs);
    const all = await c.hgetall(this.hash);
    this.entries.clear();
    for (const [n, v] of Object.entries(all)) this.apply(n, v);
  }

  private apply(number: string, text: string): void {
    try {
      const s = JSON.parse(text) as Stored;
      this.entries.set(number, { number, optedOut: s.o === 1, at: s.at, source: String(s.src ?? '') });
    } catch {
      /* a foreign value under our key: ignored */
    }
  }
}
