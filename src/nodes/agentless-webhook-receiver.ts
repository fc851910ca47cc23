/**
 * agentless-webhook-receiver: wiring only. The pipeline lives in src/webhook/receiver.ts; the shared
 * route (registered once per express app, dispatched by path) in src/webhook/route-registry.ts.
 */
import os from 'os';
import path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { systemClock } from '../util/clock';
import { WebhookEventStore, type EventClaimStore } from '../webhook/event-store';
import { PathInUseError, RouteRegistry, normalizeRoutePath, type ExpressLikeApp } from '../webhook/route-registry';
import { AUTH_MODES, DEFAULT_TOLERANCE_SEC, type AuthMode } from '../webhook/signature';
import { DEFAULT_MAX_DEPTH, WebhookReceiver, type ReceiverStats } from '../webhook/receiver';
import { inboundOptOutHandler } from '../compliance/inbound';
import type { AccountNode } from './types';

interface ReceiverNodeDef extends NodeDef {
  path: string;
  auth: AuthMode;
  headerName?: string;
  bodyLimitKb?: number | string;
  maxDepth?: number | string;
  tolerance?: number | string;
  /** Optional agentless-account: inbound STOP / START update its opt-out list. */
  account?: string;
}
interface ReceiverCredentials {
  secret?: string;
}

const TYPE = 'agentless-webhook-receiver';

function positive(v: unknown, fallback: number, max: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
}

export = function (RED: NodeAPI) {
  const settings = RED.settings as unknown as { userDir?: string; httpNodeAuth?: unknown; httpAdminMiddleware?: unknown };
  const registry = RouteRegistry.forApp(RED.httpNode as unknown as ExpressLikeApp, { direct: !settings.httpNodeAuth && !settings.httpAdminMiddleware });

  function ReceiverNode(this: Node<ReceiverCredentials>, config: ReceiverNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const routePath = normalizeRoutePath(String(config.path ?? ''));
    const auth: AuthMode = (AUTH_MODES as readonly string[]).includes(config.auth) ? config.auth : 'standard-webhooks';

    if (!config.path || routePath === '/') {
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.no-path` });
      node.error(RED._(`${TYPE}.errors.no-path`));
      return;
    }
    if (auth === 'none') node.warn(RED._(`${TYPE}.errors.auth-none`, { path: routePath }));
    // A missing secret is the state of a freshly imported example, not a runtime fault: it shows on the
    // node (yellow) and in the dialog rather than as a log warning on every deploy.
    const noSecret = auth !== 'none' && !node.credentials?.secret;

    const account = config.account ? (RED.nodes.getNode(config.account) as AccountNode | null) : null;
    if (config.account && !account?.runtime) node.warn(RED._(`${TYPE}.errors.no-account`));
    const accountRuntime = account?.runtime;

    // An account with Redis coordination shares the dedupe state between instances: an event posted to
    // two of them is emitted once. Otherwise it is per node id, in the user directory, so it survives
    // restarts and redeploys.
    const shared = accountRuntime?.coordination?.eventStore(node.id) ?? null;
    let store: Promise<EventClaimStore>;
    if (shared) {
      store = Promise.resolve(shared);
    } else {
      const dir = path.join(settings.userDir || path.join(os.tmpdir(), 'agentless-sms'), 'agentless-sms', 'webhooks');
      store = WebhookEventStore.open(path.join(dir, `${node.id.replace(/[^\w.-]/g, '_')}.jsonl`), { clock: systemClock });
    }
    store.catch((err: Error) => {
      node.error(RED._(`${TYPE}.errors.store`, { error: err.message }));
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.store-failed` });
    });

    let statusTimer: NodeJS.Timeout | null = null;
    const showStatus = (s: ReceiverStats): void => {
      if (statusTimer) return; // at most a few updates a second whatever the request rate
      statusTimer = setTimeout(() => {
        statusTimer = null;
        const counts = RED._(`${TYPE}.status.counts`, {
          delivered: s.delivered,
          failed: s.failed,
          other: s.other,
          invalid: s.invalid,
        });
        const bad = s.lastError && s.rejected + s.invalid > 0;
        node.status({
          fill: bad ? 'yellow' : 'green',
          shape: 'dot',
          text: bad ? `${counts} · ${s.lastError}` : counts,
        });
      }, 250);
      statusTimer.unref?.();
    };

    const receiver = new WebhookReceiver(
      {
        path: routePath,
        mode: auth,
        secret: node.credentials?.secret,
        headerName: config.headerName?.trim() || undefined,
        bodyLimitBytes: positive(config.bodyLimitKb, 256, 10 * 1024) * 1024,
        maxDepth: Math.floor(positive(config.maxDepth, DEFAULT_MAX_DEPTH, 1000)),
        toleranceSec: positive(config.tolerance, DEFAULT_TOLERANCE_SEC, 24 * 3600),
      },
      {
        store,
        clock: systemClock,
        logger: { debug: (m) => node.debug(m), info: (m) => node.log(m), warn: (m) => node.warn(m), error: (m) => node.error(m) },
        emit: ({ output, msg }) => {
          const out: (object | null)[] = [null, null, null, null];
          out[output - 1] = msg;
          node.send(out as never);
        },
        onActivity: showStatus,
        onInbound: inboundOptOutHandler(accountRuntime ? () => accountRuntime.optOutStore() : null),
      },
    );

    try {
      registry.register(routePath, receiver);
      node.status(
        noSecret
          ? { fill: 'yellow', shape: 'ring', text: RED._(`${TYPE}.status.no-secret`, { path: routePath }) }
          : { fill: 'green', shape: 'ring', text: RED._(`${TYPE}.status.listening`, { path: routePath }) },
      );
    } catch (err) {
      if (!(err instanceof PathInUseError)) throw err;
      node.error(RED._(`${TYPE}.errors.path-in-use`, { path: routePath }));
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.path-in-use` });
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      registry.unregister(routePath, receiver);
      if (statusTimer) clearTimeout(statusTimer);
      receiver.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType<Node<ReceiverCredentials>, ReceiverNodeDef, object, ReceiverCredentials>(TYPE, ReceiverNode, {
    credentials: { secret: { type: 'password' } },
  });
};
