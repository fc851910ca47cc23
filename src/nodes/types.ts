/** Shapes of our config nodes as other nodes see them through RED.nodes.getNode. */
import type { Node, NodeDef } from 'node-red';
import type { AccountRuntime } from '../providers/account';
import type { AccountCredentials, ProviderName } from '../providers/types';
import type { SenderRuntime } from '../send/sender';

export interface AccountDef extends NodeDef {
  provider: ProviderName;
  region: string;
  apiBaseUrl: string;
  authBaseUrl: string;
  requestsPerMinute: string | number;
  sandboxPort: string | number;
  sandboxCallbackUrl?: string;
}

export type { AccountCredentials } from '../providers/types';

export interface AccountNode extends Node<AccountCredentials> {
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
