/**
 * Which token store an account uses: Redis when its coordination is Redis (one record and one refresh
 * lock for every instance), else the encrypted file vault in the user directory, else (no user
 * directory, or credential encryption switched off) memory only, with a warning from the caller.
 */
import type { Coordination } from '../coordination/coordination';
import { RedisCoordination } from '../coordination/coordination';
import { RedisTokenStore } from './redis-token-store';
import { FileTokenStore, MemoryTokenStore, TokenCipher, tokenVaultFile, type TokenStore } from './token-vault';
import type { AccountAuthDeps } from '../providers/account';
import type { ParsedAccount } from '../providers/account-config';

export function accountTokenStore(o: { accountId: string; userDir?: string; secret: string | null; coordination?: Coordination }): { store: TokenStore; durable: boolean } {
  if (!o.secret) return { store: new MemoryTokenStore(), durable: false };
  const cipher = new TokenCipher(o.secret, o.accountId);
  if (o.coordination instanceof RedisCoordination) return { store: new RedisTokenStore(o.coordination.link, o.coordination.keys, cipher), durable: true };
  if (!o.userDir) return { store: new MemoryTokenStore(), durable: false };
  return { store: new FileTokenStore(tokenVaultFile(o.userDir, o.accountId), cipher), durable: true };
}

/**
 * The auth side of an account node: null unless its grant is authorization-code. Warnings (i18n key
 * suffixes) never carry a token: no durable store, a garbled refresh token, a refused refresh.
 */
export function accountAuth(
  accountId: string,
  parsed: Pick<ParsedAccount, 'settings' | 'refreshTokenGarbled'>,
  deps: {
    userDir?: string;
    secret: string | null;
    coordination?: Coordination;
    warn(key: 'token-memory' | 'refresh-token-garbled' | 'sign-in-again'): void;
    keepCredential(refreshToken: string): void;
  },
): AccountAuthDeps | null {
  if (parsed.settings.grant !== 'authorization-code') return null;
  const { store, durable } = accountTokenStore({ accountId, userDir: deps.userDir, secret: deps.secret, coordination: deps.coordination });
  if (!durable) deps.warn('token-memory');
  if (parsed.refreshTokenGarbled) deps.warn('refresh-token-garbled');
  return {
    store,
    // Also in the runtime's credentials, so the next deploy writes the newest token to flows_cred.json.
    onRotate: (refreshToken) => deps.keepCredential(refreshToken),
    onState: (state) => {
      if (state === 'refused') deps.warn('sign-in-again');
    },
  };
}
