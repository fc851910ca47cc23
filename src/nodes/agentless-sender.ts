/**
 * agentless-sender: wiring only. A config node for one sending identity (from number, channel or
 * queue) on an account; its runtime (src/send/sender.ts) holds the pace, durable queue, retries and
 * circuit breaker every send-sms node using it shares. Settings are parsed in src/send/sender-config.ts.
 */
import type { NodeAPI } from 'node-red';
import { storePath } from '../store/store-path';
import { createSender } from '../send/sender';
import { parseSenderConfig } from '../send/sender-config';
import { systemClock } from '../util/clock';
import { complianceClockOverride, nodeLogger, onClose, packageSettings } from './kit/node-kit';
import type { AccountNode, SenderDef, SenderNode } from './kit/types';
import { registerPatternRoute } from './admin/pattern-route';

export = function (RED: NodeAPI) {
  registerPatternRoute(RED);
  function AgentlessSenderNode(this: SenderNode, config: SenderDef) {
    RED.nodes.createNode(this, config);
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    const { userDir } = packageSettings(RED);
    // The queue lives in the user directory under the sender's id (made safe for a path), which survives
    // redeploys and restarts.
    const storeDir = userDir ? storePath(userDir, 'senders', this.id) : null;
    if (!storeDir) this.warn(RED._('agentless-sender.warn.no-store'));
    this.runtime = createSender(account?.runtime ?? null, parseSenderConfig(config), {
      clock: systemClock,
      logger: nodeLogger(this),
      storeDir,
      complianceClock: complianceClockOverride(RED),
      senderId: this.id,
    });
    if (this.runtime.kind === 'config-error') this.error(this.runtime.error.message);
    onClose(this, () => this.runtime.close());
  }

  RED.nodes.registerType<SenderNode, SenderDef, object, object>('agentless-sender', AgentlessSenderNode);
};
