/**
 * A sender's idempotency keys shared by every instance: one Redis key per idempotency key, holding the
 * first successful result, expiring after the retention window (SET NX: the first result wins).
 */
import type { SendResult } from '../providers/types';
import type { IdempotencyKeys } from '../dispatch/idempotency-store';
import type { RedisLink } from './redis-connection';

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
    const text = await c.get(this.keys + key);
    if (!text) return undefined;
    try {
      return JSON.parse(text) as SendResult;
    } catch {
      return undefined;
    }
  }

  async put(key: string, result: SendResult): Promise<void> {
    const c = await this.link.ready();
    await c.set(this.keys + key, JSON.stringify(result), 'PX', Math.max(1, Math.floor(this.retentionMs)), 'NX');
  }

  async close(): Promise<void> {
    /* the connection belongs to the account */
  }
}
