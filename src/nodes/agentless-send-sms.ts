/**
 * agentless-send-sms: wiring only. The pipeline (validate, gate, queue on the sender, one output per
 * message: 1 accepted, 2 failed) lives in src/send/pipeline.ts.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { SendPipeline } from '../send/pipeline';
import { systemClock } from '../util/clock';
import { DebouncedStatus, evaluateProperties, onClose, onInput, type Msg, type StatusText } from './kit/node-kit';
import type { SenderNode } from './kit/types';

const TYPE = 'agentless-send-sms';

interface SendSmsDef extends NodeDef {
  sender: string;
  to: string;
  toType: string;
  text: string;
  textType: string;
}

export = function (RED: NodeAPI) {
  function AgentlessSendSmsNode(this: Node, config: SendSmsDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const sender = (RED.nodes.getNode(config.sender) as SenderNode | null)?.runtime ?? null;
    const status: DebouncedStatus = new DebouncedStatus(node, (): StatusText => {
      const v = pipeline.status();
      return { fill: v.fill, shape: v.shape, text: RED._(`${TYPE}.status.${v.key}`, v.params) };
    });
    const pipeline: SendPipeline = new SendPipeline({
      nodeId: node.id,
      sender,
      read: (msg) => {
        const props: [string, string][] = [
          [config.to, config.toType],
          [config.text, config.textType],
        ];
        const read = evaluateProperties(RED, node, props, msg as Msg);
        return Array.isArray(read) ? { to: read[0], text: read[1] } : read.then(([to, text]) => ({ to, text }));
      },
      noSenderMessage: RED._(`${TYPE}.errors.no-sender`),
      sendRestored: (out) => node.send(out as Msg[]),
      onChange: status.request,
      clock: systemClock,
    });
    if (sender?.kind !== 'ready') status.drawNow();

    onInput(node, (msg, send, done) => pipeline.handle(msg, send as never, done));
    onClose(node, () => {
      status.close();
      pipeline.close();
    });
  }

  RED.nodes.registerType<Node, SendSmsDef, object, object>(TYPE, AgentlessSendSmsNode);
};
