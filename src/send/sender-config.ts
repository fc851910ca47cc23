/**
 * The agentless-sender node's configuration (flow JSON) turned into sender settings. Pure: absent
 * options (flows saved before they existed) and nonsensical values fall back to the defaults here.
 */
import { DISPATCH_DEFAULTS as D, type SenderSettings } from './sender';
import { COMPLIANCE_DEFAULTS as C } from '../compliance/policy';
import { numberAbove } from '../util/settings';

/** The sender's properties as a flow stores them. */
export interface SenderConfig {
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

/** Counts must be whole and at least 1: anything above 0.99 is floored, anything else is the default. */
const count = (v: unknown, fallback: number) => Math.floor(numberAbove(v, fallback, 0.99));

export function parseSenderConfig(config: SenderConfig): SenderSettings {
  return {
    fromAddress: (config.fromAddress || '').trim(),
    channelUuid: (config.channelUuid || '').trim(),
    mode: config.mode === 'queue' ? 'queue' : 'agentless',
    queueId: (config.queueId || '').trim(),
    defaultCountry: (config.defaultCountry || '').trim().toUpperCase(),
    ratePerSecond: numberAbove(config.ratePerSecond, D.ratePerSecond),
    burst: count(config.burst, D.burst),
    queueLimit: count(config.queueLimit, D.queueLimit),
    concurrency: Math.min(64, count(config.concurrency, D.concurrency)),
    maxAttempts: count(config.maxAttempts, D.maxAttempts),
    deadlineMs: numberAbove(config.deadline, D.deadlineMs / 1000) * 1000,
    retryAfterCapMs: numberAbove(config.retryAfterCap, D.retryAfterCapMs / 1000) * 1000,
    resendAmbiguous: config.resendAmbiguous === true,
    breakerFailFast: config.breakerFailFast === true,
    breakerThreshold: numberAbove(config.breakerThreshold, D.breakerThreshold * 100) / 100,
    breakerWindowMs: numberAbove(config.breakerWindow, D.breakerWindowMs / 1000) * 1000,
    breakerMinCalls: count(config.breakerMinCalls, D.breakerMinCalls),
    breakerCoolDownMs: numberAbove(config.breakerCoolDown, D.breakerCoolDownMs / 1000) * 1000,
    idempotencyRetentionMs: numberAbove(config.idempotencyRetention, D.idempotencyRetentionMs / 3_600_000) * 3_600_000,
    compliance: {
      // Absent in flows saved before these options existed: the defaults apply.
      optOutCheck: config.optOutCheck !== false,
      quietHours: config.quietHours === true,
      quietStart: config.quietStart || C.quietStart,
      quietEnd: config.quietEnd || C.quietEnd,
      timeZone: (config.timeZone || '').trim(),
      quietAction: config.quietAction === 'fail' ? 'fail' : 'hold',
      maxSegments: Math.floor(numberAbove(config.maxSegments, 0)),
      optOutFooter: config.optOutFooter || '',
      footerMode: config.footerMode ?? C.footerMode,
      blockShorteners: config.blockShorteners === true,
      blockedPatterns: config.blockedPatterns || '',
      ucs2Mode: config.ucs2Mode ?? C.ucs2Mode,
    },
  };
}
