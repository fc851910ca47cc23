/**
 * A webhook receiver's event claims and message statuses shared by every instance: the same event
 * posted to two instances is taken by exactly one (SET NX on the event id inside one Lua script, which
 * also advances the statuses of its messages), so the flow sees it once in total.
 */
import { SmsError, toSmsError } from '../util/errors';
import { STATUS_RANK, type SmsStatus } from '../webhook/normalize';
import { storeKey, type Claim, type EventClaimStore } from '../webhook/event-store';
import type { RedisLink } from './redis-connection';

/** KEYS: event, message keys...; ARGV: eventTtl, messageTtl, then status, rank per message. */
const CLAIM = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', tonumber(ARGV[1])) then return {-1} end
local out = {1}
for i = 2, #KEYS do
  local status = ARGV[2 * i - 1]
  local rank = tonumber(ARGV[2 * i])
  local cur = redis.call('GET', KEYS[i])
  local curRank = -1
  if cur then curRank = tonumber(string.match(cur, '|(%-?%d+)$')) or -1 end
  if rank > curRank then
    redis.call('SET', KEYS[i], status .. '|' .. rank, 'PX', tonumber(ARGV[2]))
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

const DAY = 24 * 3600 * 1000;

export interface RedisEventStoreOptions {
  eventRetentionMs?: number;
  messageRetentionMs?: number;
}

export class RedisEventStore implements EventClaimStore {
  private readonly eventTtl: number;
  private readonly messageTtl: number;

  constructor(
    private readonly link: RedisLink,
    /** e.g. 'agentless-sms:<accountId>:webhook:<receiverId>:' */
    private readonly keys: string,
    opts: RedisEventStoreOptions = {},
  ) {
    this.eventTtl = opts.eventRetentionMs ?? 7 * DAY;
    this.messageTtl = opts.messageRetentionMs ?? 30 * DAY;
  }

  async claim(eventId: string, updates: { id: string; status: SmsStatus }[]): Promise<Claim> {
    try {
      const c = await this.link.ready(1000);
      // Bounded keys, as in the local store: an id of any length costs Redis at most a hash.
      const keys = [`${this.keys}e:${storeKey(eventId)}`, ...updates.map((u) => `${this.keys}m:${storeKey(u.id)}`)];
      const args = [String(this.eventTtl), String(this.messageTtl)];
      for (const u of updates) args.push(u.status, String(STATUS_RANK[u.status]));
      const r = (await c.eval(CLAIM, keys.length, ...keys, ...args)) as number[];
      if (r[0] === -1) return { duplicate: true, settled: Promise.resolve(true) };
      return { duplicate: false, advanced: r.slice(1).map((x) => x === 1), committed: Promise.resolve() };
    } catch (err) {
      // Not recorded, so not taken: the receiver answers 500 and the platform's retry is processed afresh.
      const e = toSmsError(err);
      const error = e.code === 'store_unavailable' ? e : new SmsError('store_unavailable', `Redis is unavailable (${e.message})`, { retryable: true });
      const committed = Promise.reject(error);
      committed.catch(() => {});
      return { duplicate: false, advanced: updates.map(() => false), committed };
    }
  }

  /** The furthest status recorded for a message (tests and diagnostics). */
  async statusOf(messageId: string): Promise<SmsStatus | undefined> {
    const c = await this.link.ready();
    const v = await c.get(`${this.keys}m:${storeKey(messageId)}`);
    return v ? (v.split('|')[0] as SmsStatus) : undefined;
  }

  async close(): Promise<void> {
    /* the connection belongs to the account */
  }
}
