/**
 * agentless-get-status: wiring only. Reading once or waiting for a final status (one output per
 * message: 1 delivered, 2 failed, 3 pending) lives in src/status/reader.ts.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { parseGetStatusConfig, type GetStatusConfig } from '../status/config';
import { StatusReader } from '../status/reader';
import { DebouncedStatus, evaluateProperty, onClose, onInput, type Msg, type StatusText } from './kit/node-kit';
import type { AccountNode } from './kit/types';

const TYPE = 'agentless-get-status';

interface GetStatusDef extends NodeDef, GetStatusConfig {}

export = function (RED: NodeAPI) {
  function AgentlessGetStatusNode(this: Node, config: GetStatusDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const account = (RED.nodes.getNode(config.account) as AccountNode | null)?.runtime ?? null;
    const status: DebouncedStatus = new DebouncedStatus(node, (): StatusText => {
      const v = reader.status();
      return { fill: v.fill, shape: v.shape, text: RED._(`${TYPE}.status.${v.key}`, v.params) };
    });
    const reader: StatusReader = new StatusReader({
      account,
      settings: parseGetStatusConfig(config),
      readId: (msg) => evaluateProperty(RED, node, config.messageId, config.messageIdType || 'msg', msg as Msg),
      texts: { noAccount: RED._(`${TYPE}.errors.no-account`), closed: RED._(`${TYPE}.errors.closed`) },
      onChange: status.request,
    });
    if (!account) status.drawNow();

    onInput(node, (msg, send, done) => reader.handle(msg, send as never, done));
    onClose(node, () => {
      status.close();
      reader.close();
    });
  }

  RED.nodes.registerType<Node, GetStatusDef, object, object>(TYPE, AgentlessGetStatusNode);
};
