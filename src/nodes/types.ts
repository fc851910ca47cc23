/** Shapes of our config nodes as other nodes see them through RED.nodes.getNode. */
import type { Node, NodeDef } from 'node-red';
import type { AccountRuntime } from '../providers/account';
import type { ProviderName } from '../providers/types';
import type { SenderRuntime } from '../send/sender';

export interface AccountDef extends NodeDef {
  provider: ProviderName;
  region: string;
  apiBaseUrl: string;
  authBaseUrl: string;
  requestsPerMinute: string | number;
  sandboxPort: string | number;
  sandboxCallbackUrl?: string;
  /** Genesys: 'client-credentials' (default) or 'authorization-code' (a signed-in user; queue mode). */
  grant?: 'client-credentials' | 'authorization-code';
  /** 'local' (default) or 'redis': see src/coordination. */
  coordination?: 'local' | 'redis';
  redisUrl?: string;
  redisKeyPrefix?: string;
  redisTls?: boolean;
  /** Seconds a dead instance's claim on a job lasts before another instance takes the job over. */
  redisLease?: string | number;
  redisWhenDown?: 'fail' | 'hold';
}

export type { AccountCredentials } from '../providers/types';

/** The account node's credentials: the platform's, plus the Redis password of the coordination option. */
export type AccountNodeCredentials = import('../providers/types').AccountCredentials & { redisPassword?: string };

export interface AccountNode extends Node<AccountNodeCredentials> {
  runtime: AccountRuntime;
}

export interface SenderDef extends NodeDef {
  account: string;
  fromAddress: string;
  channelUuid: string;
  mode: 'agentless' | 'queue';
  queueId: string;
  ratePerSecond: string | number;
  burst: string | number;
  queueLimit: string | number;
  defaultCountry: string;
  concurrency?: string | number;
  maxAttempts?: string | number;
  deadline?: string | number;
  retryAfterCap?: string | number;
  resendAmbiguous?: boolean;
  breakerFailFast?: boolean;
  breakerThreshold?: string | number;
  breakerWindow?: string | number;
  breakerMinCalls?: string | number;
  breakerCoolDown?: string | number;
  idempotencyRetention?: string | number;
  // compliance gates (src/compliance)
  optOutCheck?: boolean;
  quietHours?: boolean;
  quietStart?: string;
  quietEnd?: string;
  timeZone?: string;
  quietAction?: 'hold' | 'fail';
  maxSegments?: string | number;
  optOutFooter?: string;
  footerMode?: 'off' | 'append' | 'require';
  blockShorteners?: boolean;
  blockedPatterns?: string;
  ucs2Mode?: 'allow' | 'warn' | 'reject' | 'transliterate';
}

export interface SenderNode extends Node {
  runtime: SenderRuntime;
}
