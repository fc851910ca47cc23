/**
 * The agentless-webhook-receiver node's configuration (flow JSON and credentials) turned into the
 * receiver's settings, and where its dedupe state lives. Pure apart from opening that store.
 */
import { normalizeRoutePath } from './route-registry';
import { AUTH_MODES, DEFAULT_TOLERANCE_SEC, standardWebhooksKeyOk, type AuthMode } from './signature';
import { adminRouteClash } from './admin-paths';
import { DEFAULT_MAX_DEPTH, type ReceiverConfig, type ReceiverStats } from './receiver';
import type { EventClaimStore } from './event-store';
import type { Coordination } from '../coordination/coordination';
import { openLocalEventStore } from '../coordination/local';
import type { Logger } from '../util/logger';
import type { Clock } from '../util/clock';
import { clampedPositive } from '../util/settings';
import { validQueueId } from '../notifications/queue-follower';

/** The receiver's properties as a flow stores them. */
export interface ReceiverNodeConfig {
  /** `http` (default): POSTs to `path`; `genesys-notifications`: the account's Genesys notification channel. */
  source?: 'http' | 'genesys-notifications';
  /** `genesys-notifications`: the queue whose message conversations it follows. */
  queueId?: string;
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
  | { ok: false; reason: 'no-path' | 'no-queue' }
  /** The path would take over a Node-RED admin route (e.g. /flows: every later deploy): never registered. */
  | { ok: false; reason: 'admin-path'; path: string; route: string }
  | {
      ok: true;
      settings: ReceiverConfig;
      /** Set for `source: "genesys-notifications"`: follow this queue on the account's channel, no route. */
      channelQueueId?: string;
      /** A missing secret is the state of a freshly imported example, not a runtime fault. */
      noSecret: boolean;
      /** A Standard Webhooks key under 16 bytes is one anyone can sign with: every request gets 401. */
      weakSecret: boolean;
    };

const positive = (v: unknown, fallback: number, max: number) => clampedPositive(v, fallback, 0, max);

export function parseReceiverConfig(config: ReceiverNodeConfig, secret: string | undefined, roots: { httpNodeRoot?: string | false; httpAdminRoot?: string | false } = {}): ParsedReceiver {
  if (config.source === 'genesys-notifications') {
    const queueId = String(config.queueId ?? '').trim();
    if (!config.account || !validQueueId(queueId)) return { ok: false, reason: 'no-queue' };
    return {
      ok: true,
      noSecret: false,
      weakSecret: false,
      channelQueueId: queueId,
      // Frames are not signed (the socket is ours): auth does not apply; depth and size bounds still do.
      settings: { path: `genesys-notifications/${queueId}`, mode: 'none', maxDepth: Math.floor(positive(config.maxDepth, DEFAULT_MAX_DEPTH, 1000)) },
    };
  }
  const routePath = normalizeRoutePath(String(config.path ?? ''));
  if (!config.path || routePath === '/') return { ok: false, reason: 'no-path' };
  const route = adminRouteClash(routePath, roots);
  if (route) return { ok: false, reason: 'admin-path', path: routePath, route };
  const mode: AuthMode = (AUTH_MODES as readonly string[]).includes(config.auth) ? config.auth : 'standard-webhooks';
  return {
    ok: true,
    noSecret: mode !== 'none' && !secret,
    weakSecret: mode === 'standard-webhooks' && !!secret && !standardWebhooksKeyOk(secret),
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
    params: { delivered: s.delivered, failed: s.failed, other: s.other, invalid: s.invalid, replies: s.replies },
    ...(bad ? { lastError: s.lastError } : {}),
  };
}
