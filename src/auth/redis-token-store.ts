/**
 * The token store of an account whose coordination is Redis: every instance reads and writes one
 * encrypted record (the same cipher as the file vault, so Redis never holds a token in the clear), and a
 * lock key makes refreshes single flight across instances. The lock has an expiry, so an instance that
 * dies while refreshing holds the others up for at most `lockMs`.
 */
import { randomBytes } from 'crypto';
import type { RedisLink } from '../coordination/redis-connection';
import { SmsError } from '../util/errors';
import { LocalMutex, type TokenCipher, type TokenRecord, type TokenStore } from './token-vault';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class RedisTokenStore implements TokenStore {
  readonly shared = true;
  private readonly local = new LocalMutex();
  private readonly recordKey: string;
  private readonly lockKey: string;

  constructor(
    private readonly link: RedisLink,
    keys: string,
    private readonly cipher: TokenCipher,
    private readonly lockMs = 15_000,
    private readonly waitMs = 20_000,
  ) {
    this.recordKey = `${keys}auth:record`;
    this.lockKey = `${keys}auth:lock`;
  }

  fingerprint(token: string): string {
    return this.cipher.fingerprint(token);
  }

  async read(): Promise<TokenRecord | null> {
    const client = await this.link.ready();
    const text = await client.get(this.recordKey);
    return text ? this.cipher.open(text) : null;
  }

  async write(record: TokenRecord): Promise<void> {
    const client = await this.link.ready();
    // Redis persistence (AOF) decides durability across a Redis restart; see README.
    await client.set(this.recordKey, this.cipher.seal(record));
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.local.run(async () => {
      const client = await this.link.ready();
      const id = randomBytes(12).toString('hex');
      const end = Date.now() + this.waitMs;
      for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
        if ((await client.set(this.lockKey, id, 'PX', this.lockMs, 'NX')) === 'OK') break;
        if (Date.now() > end) throw new SmsError('provider_unavailable', 'another instance is refreshing the Genesys Cloud token and has not finished', { retryable: true, sent: 'no' });
        await new Promise((r) => setTimeout(r, delay));
      }
      try {
        return await fn();
      } finally {
        await client.eval(RELEASE, 1, this.lockKey, id).catch(() => undefined);
      }
    });
  }
}
