/**
 * The agentless-account node's configuration (flow JSON and credentials) turned into the settings the
 * account runtime and its coordination take. Pure: no Node-RED, so every default is unit-testable.
 */
import type { AccountCredentials, AccountSettings, ProviderName } from './types';
import { PROVIDERS } from './types';
import type { SandboxSettings } from './factory';
import { capabilitiesOf } from './factory';
import { DEFAULT_GENESYS_REGION } from './genesys-regions';
import type { BudgetSettings } from '../coordination/coordination';
import { REDIS_DEFAULTS, type RedisSettings } from '../coordination/redis-connection';
import { optionalText } from '../util/settings';
import { grantOf } from '../auth/grant-rules';
import { isUsableRefreshToken } from '../auth/sign-in';

/** The account's properties as a flow stores them. */
export interface AccountConfig {
  provider: ProviderName;
  region: string;
  /** Genesys: 'client-credentials' (default) or 'authorization-code' (a signed-in user; queue mode). */
  grant?: 'client-credentials' | 'authorization-code';
  apiBaseUrl: string;
  authBaseUrl: string;
  requestsPerMinute: string | number;
  sandboxPort: string | number;
  sandboxCallbackUrl?: string;
  /** 'local' (default) or 'redis': see src/coordination. */
  coordination?: 'local' | 'redis';
  redisUrl?: string;
  redisKeyPrefix?: string;
  redisTls?: boolean;
  /** Seconds a dead instance's claim on a job lasts before another instance takes the job over. */
  redisLease?: string | number;
  redisWhenDown?: 'fail' | 'hold';
}

/** The account node's credentials: the platform's, plus the Redis password of the coordination option. */
export type AccountNodeCredentials = AccountCredentials & { redisPassword?: string };

export interface ParsedAccount {
  settings: AccountSettings & SandboxSettings;
  credentials: AccountCredentials;
  budget: BudgetSettings;
  coordination: { mode: 'local' } | { mode: 'redis'; redis: RedisSettings };
  /** A refresh token is set but cannot be one (blank, spaces, control characters): it is not used. */
  refreshTokenGarbled: boolean;
}

/** `testWindowMs`: a shortened budget window, only ever set by tests (settings.agentlessSms.budgetWindowMs). */
export function parseAccountConfig(config: AccountConfig, creds: AccountNodeCredentials, testWindowMs?: number): ParsedAccount {
  const provider = (PROVIDERS as readonly string[]).includes(config.provider) ? config.provider : 'sandbox';
  // One budget per tenant: every sender and status poll on this account draws from it.
  const rpm = Number(config.requestsPerMinute) > 0 ? Number(config.requestsPerMinute) : capabilitiesOf(provider).defaultRequestsPerMinute;
  const windowMs = Number(testWindowMs) > 0 ? Number(testWindowMs) : undefined;
  const lease = Number(config.redisLease);
  return {
    settings: {
      provider,
      region: config.region || DEFAULT_GENESYS_REGION,
      grant: grantOf(config.grant),
      apiBaseUrl: optionalText(config.apiBaseUrl),
      authBaseUrl: optionalText(config.authBaseUrl),
      sandboxPort: Number(config.sandboxPort) || 0,
      sandboxCallbackUrl: optionalText(config.sandboxCallbackUrl),
    },
    credentials: {
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      username: creds.username,
      password: creds.password,
      accessToken: creds.accessToken,
      sandboxCallbackSecret: creds.sandboxCallbackSecret,
      refreshToken: isUsableRefreshToken(creds.refreshToken) ? creds.refreshToken : undefined,
    },
    refreshTokenGarbled: !!creds.refreshToken && !isUsableRefreshToken(creds.refreshToken),
    budget: { requestsPerMinute: rpm, windowMs },
    coordination:
      config.coordination === 'redis'
        ? {
            mode: 'redis',
            redis: {
              url: optionalText(config.redisUrl) ?? 'redis://127.0.0.1:6379',
              password: creds.redisPassword || undefined,
              keyPrefix: config.redisKeyPrefix || REDIS_DEFAULTS.keyPrefix,
              tls: config.redisTls === true,
              leaseMs: lease > 0 ? Math.max(1000, lease * 1000) : REDIS_DEFAULTS.leaseMs,
              whenDown: config.redisWhenDown === 'hold' ? 'hold' : 'fail',
            },
          }
        : { mode: 'local' },
  };
}
