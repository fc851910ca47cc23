/**
 * The agentless-webhook-receiver node's configuration (flow JSON and credentials) turned into the
 * receiver's settings, and where its dedupe state lives. Pure apart from opening that store.
 */
import os from 'os';
import path from 'path';
import { normalizeRoutePath } from './route-registry';
import { AUTH_MODES, DEFAULT_TOLERANCE_SEC, type AuthMode } from './signature';
import { DEFAULT_MAX_DEPTH, type ReceiverConfig, type ReceiverStats } from './receiver';
import { WebhookEventStore, type EventClaimStore } from './event-store';
import type { Coordination } from '../coordination/coordination';
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
 * An account with Redis coordination shares the dedupe state between instances: an event posted to
 * two of them is emitted once. Otherwise it is per node id, in the user directory, so it survives
 * restarts and redeploys.
 */
export function openReceiverStore(nodeId: string, coordination: Coordination | undefined, userDir: string | undefined, clock: Clock): Promise<EventClaimStore> {
  const shared = coordination?.eventStore(nodeId) ?? null;
  if (shared) return Promise.resolve(shared);
  const dir = path.join(userDir || path.join(os.tmpdir(), 'agentless-sms'), 'agentless-sms', 'webhooks');
  return WebhookEventStore.open(path.join(dir, `${nodeId.replace(/[^\w.-]/g, '_')}.jsonl`), { clock });
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
