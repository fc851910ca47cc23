/**
 * The agentless-webhook-receiver node's configuration (flow JSON and credentials) turned into the
 * receiver's settings, and where its dedupe state lives. Pure apart from opening that store.
 */
import { normalizeRoutePath } from './route-registry';
import { AUTH_MODES, DEFAULT_TOLERANCE_SEC, type AuthMode } from './signature';
import { DEFAULT_MAX_DEPTH, type ReceiverConfig, type ReceiverStats } from './receiver';
import type { EventClaimStore } from './event-store';
import type { Coordination } from '../coordination/coordination';
import { openLocalEventStore } from '../coordination/local';
import type { Logger } from '../util/logger';
import type { Clock } from '../util/clock';
import { clampedPositive } from '../util/settings';

/** The receiver's properties as a flow stores them. */
export interface ReceiverNodeConfig {
  path: string;
  auth: AuthMode;
  headerName?: string;
  bodyLimitKb?: number | string;
  maxDepth?: number | string;
  tolerance?: number | string;
  /** Optional agentless-account: inbound STOP / START update its opt-out list. */
  account?: string;
}

export type ParsedReceiver =
  | { ok: false; reason: 'no-path' }
  | {
      ok: true;
      settings: ReceiverConfig;
      /** A missing secret is the state of a freshly imported example, not a runtime fault. */
      noSecret: boolean;
    };

const positive = (v: unknown, fallback: number, max: number) => clampedPositive(v, fallback, 0, max);

export function parseReceiverConfig(config: ReceiverNodeConfig, secret: string | undefined): ParsedReceiver {
  const routePath = normalizeRoutePath(String(config.path ?? ''));
  if (!config.path || routePath === '/') return { ok: false, reason: 'no-path' };
  const mode: AuthMode = (AUTH_MODES as readonly string[]).includes(config.auth) ? config.auth : 'standard-webhooks';
  return {
    ok: true,
    noSecret: mode !== 'none' && !secret,
    settings: {
      path: routePath,
      mode,
      secret,
      headerName: config.headerName?.trim() || undefined,
      bodyLimitBytes: positive(config.bodyLimitKb, 256, 10 * 1024) * 1024,
      maxDepth: Math.floor(positive(config.maxDepth, DEFAULT_MAX_DEPTH, 1000)),
      toleranceSec: positive(config.tolerance, DEFAULT_TOLERANCE_SEC, 24 * 3600),
    },
  };
}

/**
 * An account's coordination hands out the dedupe state: with Redis it is shared between instances (an
 * event posted to two of them is emitted once), locally it is per node id in the user directory, so it
 * survives restarts and redeploys. A receiver without an account keeps the same local file.
 */
export function openReceiverStore(nodeId: string, coordination: Coordination | undefined, userDir: string | undefined, clock: Clock, logger?: Logger): Promise<EventClaimStore> {
  return coordination ? coordination.eventStore(nodeId) : openLocalEventStore(userDir, nodeId, clock, logger);
}

/** The receiver's counts in words: i18n key and parameters, plus the last error when requests were refused. */
export function receiverStatusView(s: ReceiverStats): { fill: 'yellow' | 'green'; params: Record<string, number>; lastError?: string } {
  const bad = s.lastError && s.rejected + s.invalid > 0;
  return {
    fill: bad ? 'yellow' : 'green',
    params: { delivered: s.delivered, failed: s.failed, other: s.other, invalid: s.invalid },
    ...(bad ? { lastError: s.lastError } : {}),
  };
}
