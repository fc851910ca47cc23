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
import { DebouncedStatus, nodeLogger, onClose, packageSettings, type StatusText } from './kit/node-kit';
import type { AccountNode } from './kit/types';

interface ReceiverNodeDef extends NodeDef, ReceiverNodeConfig {}
interface ReceiverCredentials {
  secret?: string;
}

const TYPE = 'agentless-webhook-receiver';

export = function (RED: NodeAPI) {
  const registry = RouteRegistry.forApp(RED.httpNode as unknown as ExpressLikeApp);
  const { userDir } = packageSettings(RED);

  function ReceiverNode(this: Node<ReceiverCredentials>, config: ReceiverNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const parsed = parseReceiverConfig(config, node.credentials?.secret);
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.no-path` });
      node.error(RED._(`${TYPE}.errors.no-path`));
      return;
    }
    const { settings } = parsed;
    const routePath = settings.path;
    if (settings.mode === 'none') node.warn(RED._(`${TYPE}.errors.auth-none`, { path: routePath }));

    const account = config.account ? (RED.nodes.getNode(config.account) as AccountNode | null) : null;
    if (config.account && !account?.runtime) node.warn(RED._(`${TYPE}.errors.no-account`));
    const accountRuntime = account?.runtime;

    const store = openReceiverStore(node.id, accountRuntime?.coordination, userDir, systemClock, nodeLogger(node));
    store.catch((err: Error) => {
      node.error(RED._(`${TYPE}.errors.store`, { error: err.message }));
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.store-failed` });
    });

    const status: DebouncedStatus = new DebouncedStatus(node, (): StatusText => {
      const v = receiverStatusView(receiver.stats);
      const counts = RED._(`${TYPE}.status.counts`, v.params);
      return { fill: v.fill, shape: 'dot', text: v.lastError ? `${counts} · ${v.lastError}` : counts };
    });
    const receiver: WebhookReceiver = new WebhookReceiver(settings, {
      store,
      clock: systemClock,
      logger: nodeLogger(node),
      emit: ({ output, msg }) => {
        const out: (object | null)[] = [null, null, null, null];
        out[output - 1] = msg;
        node.send(out as never);
      },
      onActivity: () => status.request(),
      onInbound: inboundOptOutHandler(accountRuntime ? () => accountRuntime.optOutStore() : null),
    });

    try {
      registry.register(routePath, receiver);
      node.status(
        parsed.noSecret
          ? { fill: 'yellow', shape: 'ring', text: RED._(`${TYPE}.status.no-secret`, { path: routePath }) }
          : { fill: 'green', shape: 'ring', text: RED._(`${TYPE}.status.listening`, { path: routePath }) },
      );
    } catch (err) {
      if (!(err instanceof PathInUseError)) throw err;
      node.error(RED._(`${TYPE}.errors.path-in-use`, { path: routePath }));
      node.status({ fill: 'red', shape: 'ring', text: `${TYPE}.status.path-in-use` });
    }

    onClose(node, () => {
      registry.unregister(routePath, receiver);
      status.close();
      return receiver.close();
    });
  }

  RED.nodes.registerType<Node<ReceiverCredentials>, ReceiverNodeDef, object, ReceiverCredentials>(TYPE, ReceiverNode, {
    credentials: { secret: { type: 'password' } },
  });
};
