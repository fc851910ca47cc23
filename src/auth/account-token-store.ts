/**
 * Which token store an account uses: Redis when its coordination is Redis (one record and one refresh
 * lock for every instance), else the encrypted file vault in the user directory, else (no user
 * directory, or credential encryption switched off) memory only, with a warning from the caller.
 */
import type { Coordination } from '../coordination/coordination';
import { RedisCoordination } from '../coordination/coordination';
import { RedisTokenStore } from './redis-token-store';
import { FileTokenStore, MemoryTokenStore, TokenCipher, tokenVaultFile, type TokenStore } from './token-vault';

export function accountTokenStore(o: { accountId: string; userDir?: string; secret: string | null; coordination?: Coordination }): { store: TokenStore; durable: boolean } {
  if (!o.secret) return { store: new MemoryTokenStore(), durable: false };
  const cipher = new TokenCipher(o.secret, o.accountId);
  if (o.coordination instanceof RedisCoordination) return { store: new RedisTokenStore(o.coordination.link, o.coordination.keys, cipher), durable: true };
  if (!o.userDir) return { store: new MemoryTokenStore(), durable: false };
  return { store: new FileTokenStore(tokenVaultFile(o.userDir, o.accountId), cipher), durable: true };
}
