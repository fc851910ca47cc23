/**
 * A sender's idempotency keys shared by every instance: one Redis key per idempotency key, holding
 * first the claim of the job being sent (`claim:<jobId>`, taken atomically before its request, so two
 * instances sending the same key at the same moment cannot both send) and then its first successful
 * result, expiring after the retention window.
 */
import type { SendResult } from '../providers/types';
import type { IdempotencyKeys, KeyClaim } from '../dispatch/idempotency-store';
import type { RedisLink } from './redis-connection';

const CLAIM_PREFIX = 'claim:';

/** KEYS: key; ARGV: claim value, ttl. Returns {1} claimed, {0} busy, {2, result} already sent. */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return {1}
end
if v == ARGV[1] then return {1} end
if string.sub(v, 1, ${CLAIM_PREFIX.length}) == '${CLAIM_PREFIX}' then return {0} end
return {2, v}
`;

/** KEYS: key; ARGV: claim value. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** KEYS: key; ARGV: result, ttl. The first result wins; it replaces a claim. */
const PUT = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, ${CLAIM_PREFIX.length}) ~= '${CLAIM_PREFIX}' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
`;

export class RedisIdempotencyStore implements IdempotencyKeys {
  constructor(
    private readonly link: RedisLink,
    /** e.g. 'agentless-sms:<accountId>:idem:<senderId>:' */
    private readonly keys: string,
    private readonly retentionMs: number,
  ) {}

  async open(): Promise<void> {
    /* nothing to load: keys are read when needed */
  }

  async get(key: string): Promise<SendResult | undefined> {
    const c = await this.link.ready();
    return parseResult(await c.get(this.keys + key));
  }

  async claim(key: string, jobId: string): Promise<KeyClaim> {
    const c = await this.link.ready();
    const r = (await c.eval(CLAIM, 1, this.keys + key, CLAIM_PREFIX + jobId, String(this.ttl))) as [number, string?];
    if (r[0] === 1) return { claimed: true };
    if (r[0] === 0) return { busy: true };
    const result = parseResult(r[1] ?? null);
    // An unreadable value is not a result to answer with; it is not ours to overwrite either.
    return result ? { result } : { busy: true };
  }

  async release(key: string, jobId: string): Promise<void> {
    const c = await this.link.ready();
    await c.eval(RELEASE, 1, this.keys + key, CLAIM_PREFIX + jobId);
  }

  async put(key: string, result: SendResult): Promise<void> {
    const c = await this.link.ready();
    await c.eval(PUT, 1, this.keys + key, JSON.stringify(result), String(this.ttl));
  }

  private get ttl(): number {
    return Math.max(1, Math.floor(this.retentionMs));
  }

  async close(): Promise<void> {
    /* the connection belongs to the account */
  }
}

function parseResult(text: string | null): SendResult | undefined {
  if (!text || text.startsWith(CLAIM_PREFIX)) return undefined;
  try {
    return JSON.parse(text) as SendResult;
  } catch {
    return undefined;
  }
}
