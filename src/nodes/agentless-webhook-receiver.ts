/**
 * agentless-webhook-receiver: wiring only. The pipeline lives in src/webhook/receiver.ts, its settings
 * and store in src/webhook/receiver-config.ts, the shared route (registered once per express app,
 * dispatched by path) in src/webhook/route-registry.ts.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { systemClock } from '../util/clock';
import { PathInUseError, RouteRegistry, type ExpressLikeApp } from '../webhook/route-registry';
import { WebhookReceiver } from '../webhook/receiver';
import { openReceiverStore, parseReceiverConfig, receiverStatusView, type ReceiverNodeConfig } from '../webhook/receiver-config';
import { inboundOptOutHandler } from '../compliance/inbound';
import { replyAnnotator } from '../webhook/replies';
import { followQueue, channelStatusView, type Following } from '../notifications/follow';
import { DebouncedStatus, nodeLogger, onClose, packageSettings, type StatusText } from './kit/node-kit';
import type { AccountNode } from './kit/types';
import type { SmsStatus } from '../webhook/normalize';

interface ReceiverNodeDef extends NodeDef, ReceiverNodeConfig {}
interface ReceiverCredentials {
  secret?: string;
}

const TYPE = 'agentless-webhook-receiver';

export = function (RED: NodeAPI) {
  const rtSettings = packageSettings(RED);
  const { userDir } = rtSettings;
  const registry = RouteRegistry.forApp(RED.httpNode as unknown as ExpressLikeApp, {
    direct: !rtSettings.httpNodeAuth && !rtSettings.httpNodeMiddleware && !rtSettings.httpAdminMiddleware,
    middleware: rtSettings.httpNodeMiddleware,
  });

  function ReceiverNode(this: Node<ReceiverCredentials>, config: ReceiverNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const parsed = parseReceiverConfig(config, node.credentials?.secret, rtSettings);
    if (!parsed.ok && parsed.reason === 'admin-path') {
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.admin-path` });
      node.error(RED._(`${TYPE}.errors.admin-path`, { path: parsed.path, route: parsed.route }));
      return;
    }
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.${parsed.reason}` });
      node.error(RED._(`${TYPE}.errors.${parsed.reason}`));
      return;
    }
    const { settings, channelQueueId } = parsed;
    const routePath = settings.path;
    if (settings.mode === 'none' && !channelQueueId) node.warn(RED._(`${TYPE}.errors.auth-none`, { path: routePath }));
    if (parsed.weakSecret) node.error(RED._(`${TYPE}.errors.weak-secret`));

    const account = config.account ? (RED.nodes.getNode(config.account) as AccountNode | null) : null;
    if (config.account && !account?.runtime) node.warn(RED._(`${TYPE}.errors.no-account`));
    const accountRuntime = account?.runtime;

    const store = openReceiverStore(node.id, accountRuntime?.coordination, userDir, systemClock, nodeLogger(node));
    // The local store can tell a message's furthest status (the channel's catch-up after a gap asks it).
    let statusOfStore: ((id: string) => SmsStatus | undefined) | undefined;
    void store.then(
      (s) => {
        const local = s as { statusOf?: (id: string) => SmsStatus | undefined };
        if (typeof local.statusOf === 'function') statusOfStore = (id) => local.statusOf!(id);
      },
      () => undefined,
    );
    store.catch((err: Error) => {
      node.error(RED._(`${TYPE}.errors.store`, { error: err.message }));
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.store-failed` });
    });

    let channel: ReturnType<typeof channelStatusView> | null = null;
    const status: DebouncedStatus = new DebouncedStatus(node, (): StatusText => {
      const v = receiverStatusView(receiver.stats);
      const counts = RED._(`${TYPE}.status.counts`, v.params);
      const text = [channel ? RED._(`${TYPE}.status.${channel.key}`, { queueId: channelQueueId ?? '' }) : '', counts, v.lastError ?? ''].filter(Boolean).join(' · ');
      return { fill: channel && channel.fill !== 'green' ? channel.fill : v.fill, shape: 'dot', text };
    });
    let onReceived: ((refs: { id: string; conversationId: string }[]) => void) | undefined;
    let isKnown: ((id: string) => boolean) | undefined;
    const receiver: WebhookReceiver = new WebhookReceiver({ ...settings, provider: accountRuntime?.settings.provider }, {
      store,
      clock: systemClock,
      logger: nodeLogger(node),
      emit: ({ output, msg }) => {
        const out: (object | null)[] = [null, null, null, null, null];
        out[output - 1] = msg;
        node.send(out as never);
      },
      onActivity: () => status.request(),
      onInbound: replyAnnotator(inboundOptOutHandler(accountRuntime ? () => accountRuntime.optOutStore() : null), accountRuntime ? () => accountRuntime.sentMessages() : null),
      onUpdate: accountRuntime ? (u) => accountRuntime.offerStatus(u) : undefined,
      onReceived: (refs) => onReceived?.(refs),
      ...(channelQueueId ? { isKnownMessage: (id: string) => isKnown?.(id) ?? false } : {}),
    });

    let following: Following | null = null;
    if (channelQueueId && accountRuntime) {
      following = followQueue({
        account: accountRuntime,
        queueId: channelQueueId,
        receiver,
        clock: systemClock,
        logger: nodeLogger(node),
        statusOf: (id) => statusOfStore?.(id),
        bindReceived: (fn) => (onReceived = fn),
        bindKnown: (fn) => (isKnown = fn),
        onState: (state, detail) => {
          channel = channelStatusView(state, detail);
          const why = channel.detail === 'error' && detail?.error ? ` · ${detail.error}` : channel.detail === 'rejected' ? ` · ${RED._(`${TYPE}.status.rejected`)}` : '';
          node.status({ fill: channel.fill, shape: state === 'connected' ? 'dot' : 'ring', text: RED._(`${TYPE}.status.${channel.key}`, { queueId: channelQueueId }) + why });
        },
      });
    } else if (channelQueueId) {
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.no-queue` });
    } else {
      try {
        registry.register(routePath, receiver);
        node.status(
          parsed.weakSecret
            ? { fill: 'red', shape: 'ring', text: RED._(`${TYPE}.status.weak-secret`) }
            : parsed.noSecret
            ? { fill: 'yellow', shape: 'ring', text: RED._(`${TYPE}.status.no-secret`, { path: routePath }) }
            : { fill: 'green', shape: 'ring', text: RED._(`${TYPE}.status.listening`, { path: routePath }) },
        );
      } catch (err) {
        if (!(err instanceof PathInUseError)) throw err;
        node.error(RED._(`${TYPE}.errors.path-in-use`, { path: routePath }));
        node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.path-in-use` });
      }
    }

    onClose(node, async () => {
      if (!channelQueueId) registry.unregister(routePath, receiver);
      status.close();
      await following?.close().catch(() => {});
      await receiver.close();
    });
  }

  RED.nodes.registerType<Node<ReceiverCredentials>, ReceiverNodeDef, object, ReceiverCredentials>(TYPE, ReceiverNode, {
    credentials: { secret: { type: 'password' } },
  });
};
