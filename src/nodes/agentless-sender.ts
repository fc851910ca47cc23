/**
 * agentless-sender: a config node for one sending identity (from number, channel or queue) on an
 * account, with its own pace (token bucket) and queue. Every send-sms node using it shares both.
 */
import type { NodeAPI } from 'node-red';
import { SenderRuntime, positiveNumber } from '../send/sender';
import { systemClock } from '../util/clock';
import type { AccountNode, SenderDef, SenderNode } from './types';

export = function (RED: NodeAPI) {
  function AgentlessSenderNode(this: SenderNode, config: SenderDef) {
    RED.nodes.createNode(this, config);
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    this.runtime = new SenderRuntime(
      account?.runtime ?? null,
      {
        fromAddress: (config.fromAddress || '').trim(),
        channelUuid: (config.channelUuid || '').trim(),
        mode: config.mode === 'queue' ? 'queue' : 'agentless',
        queueId: (config.queueId || '').trim(),
        defaultCountry: (config.defaultCountry || '').trim().toUpperCase(),
        ratePerSecond: positiveNumber(config.ratePerSecond, 1),
        burst: Math.floor(positiveNumber(config.burst, 1, 0.99)),
        queueLimit: Math.floor(positiveNumber(config.queueLimit, 1000, 0.99)),
      },
      systemClock,
    );
    if (this.runtime.configError) this.error(this.runtime.configError.message);
    this.on('close', (_removed: boolean, done: () => void) => {
      this.runtime.close().then(done, done);
    });
  }

  RED.nodes.registerType<SenderNode, SenderDef, {}, {}>('agentless-sender', AgentlessSenderNode);
};
