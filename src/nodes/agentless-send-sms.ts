/**
 * agentless-send-sms: validates a message, queues it on its sender, and sends each message out of
 * exactly one output when the platform's answer is known: 1 accepted, 2 failed.
 */
import { randomUUID } from 'crypto';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { prepareSend } from '../send/prepare';
import { applyCompliance, parseOptCommand, runOptCommand } from '../send/compliance';
import { COMPLIANCE_CODES, withDispatchRefusal, type ComplianceRecord } from '../compliance/policy';
import { snapshotMsg } from '../send/snapshot';
import { statusView } from '../send/status';
import { SmsError, toSmsError } from '../util/errors';
import type { SendJob, SendOutcome } from '../dispatch/dispatcher';
import type { SenderNode } from './types';
import { isSignInRequired } from '../providers/genesys-oauth';

interface SendSmsDef extends NodeDef {
  sender: string;
  to: string;
  toType: string;
  text: string;
  textType: string;
}

type Msg = NodeMessageInFlow & { sms?: Record<string, unknown>; error?: unknown; [k: string]: unknown };
type SendFn = (msg: Msg | (Msg | null)[]) => void;
interface Pending {
  msg: Msg;
  send: SendFn;
  done: (err?: Error) => void;
}

export = function (RED: NodeAPI) {
  function AgentlessSendSmsNode(this: Node, config: SendSmsDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const senderNode = RED.nodes.getNode(config.sender) as SenderNode | null;
    const sender = senderNode?.runtime;
    const pending = new Map<string, Pending>();
    let last: { ok: boolean; code?: string; signIn?: boolean } | undefined;
    let statusTimer: NodeJS.Timeout | null = null;
    let stopWatching = () => {};

    const evaluate = (value: string, type: string, msg: Msg): Promise<unknown> =>
      new Promise((resolve, reject) => {
        RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result)));
      });

    const showStatus = () => {
      if (statusTimer) return;
      // Debounced: at thousands of messages a second, one status update per 250 ms is plenty.
      statusTimer = setTimeout(() => {
        statusTimer = null;
        if (!sender?.dispatcher) return;
        const v = statusView(sender.dispatcher.stats(), Date.now(), last);
        node.status({ fill: v.fill, shape: v.shape, text: RED._(`agentless-send-sms.status.${v.key}`, v.params) });
      }, 250);
    };

    const fail = (p: Pending, err: SmsError, sms?: Record<string, unknown>) => {
      p.msg.sms = { ...(sms ?? (p.msg.sms as Record<string, unknown>) ?? {}), status: 'failed' };
      p.msg.error = err.toMsgError();
      last = { ok: false, code: err.code, signIn: isSignInRequired(err) };
      p.send([null, p.msg]);
      p.done();
      showStatus();
    };

    const deliver = (job: SendJob, outcome: SendOutcome) => {
      // A message queued before a restart has no live msg any more: it leaves with its stored copy.
      const p = pending.get(job.id) ?? { msg: job.msg as Msg, send: (m: Msg | (Msg | null)[]) => node.send(m), done: () => {} };
      pending.delete(job.id);
      const sms: Record<string, unknown> = { ...((job.msg.sms as Record<string, unknown>) ?? {}), attempts: outcome.attempts };
      if (outcome.ok) {
        const r = outcome.result;
        p.msg.sms = {
          ...sms,
          id: r.id,
          conversationId: r.conversationId,
          ...(r.communicationId ? { communicationId: r.communicationId } : {}),
          status: r.status,
          providerStatus: r.providerStatus,
          ...(outcome.duplicate ? { duplicate: true } : {}),
        };
        delete p.msg.error;
        last = { ok: true };
        p.send([p.msg, null]);
        p.done();
        showStatus();
      } else {
        // Refused by a compliance gate right before sending (a STOP arrived, or quiet hours and fail).
        if (COMPLIANCE_CODES.has(outcome.error.code)) sms.compliance = withDispatchRefusal(sms.compliance as ComplianceRecord | undefined, outcome.error);
        fail(p, outcome.error, sms);
      }
    };

    if (!sender) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('agentless-send-sms.status.no-sender') });
    } else if (sender.configError) {
      const key = sender.configError.code === 'grant_mismatch' ? 'grant-mismatch' : 'config-error';
      node.status({ fill: 'red', shape: 'ring', text: RED._(`agentless-send-sms.status.${key}`) });
    } else {
      sender.dispatcher!.register(node.id, deliver);
      stopWatching = sender.dispatcher!.onChange(showStatus);
    }

    async function handle(msg: Msg, send: SendFn, done: (err?: Error) => void): Promise<void> {
      const p: Pending = { msg, send, done };
      if (!sender) return fail(p, new SmsError('config_missing', RED._('agentless-send-sms.errors.no-sender')));
      if (sender.configError || !sender.dispatcher || !sender.capabilities || !sender.account) {
        return fail(p, sender.configError ?? new SmsError('config_missing', RED._('agentless-send-sms.errors.no-sender')));
      }
      let prepared;
      try {
        const [to, text] = await Promise.all([evaluate(config.to, config.toType, msg), evaluate(config.text, config.textType, msg)]);
        // msg.sms.optOut / optIn: edit the account's opt-out list; nothing is sent (output 1 = done).
        const command = parseOptCommand(msg.sms, to);
        if (command) {
          const r = await runOptCommand(command, sender);
          msg.sms = { to: r.to, command: command.action, optedOut: r.optedOut, changed: r.changed, status: r.optedOut ? 'opted-out' : 'opted-in' };
          delete msg.error;
          send([msg, null]);
          return done();
        }
        prepared = prepareSend({ to, text, sms: msg.sms }, sender.profile, sender.capabilities, sender.account.settings.provider);
      } catch (err) {
        return fail(p, toSmsError(err));
      }
      try {
        const gate = await applyCompliance(prepared, sender, sender.capabilities);
        if (gate.error) return fail(p, gate.error, prepared.sms as unknown as Record<string, unknown>);
      } catch (err) {
        // The opt-out list could not be read: not knowing is no licence to text.
        return fail(p, toSmsError(err), prepared.sms as unknown as Record<string, unknown>);
      }
      msg.sms = prepared.sms as unknown as Record<string, unknown>;
      const job: SendJob = {
        id: randomUUID(),
        nodeId: node.id,
        message: prepared.message,
        msg: snapshotMsg(msg),
        idempotencyKey: prepared.idempotencyKey,
        enqueuedAt: Date.now(),
        attempts: 0,
      };
      pending.set(job.id, p);
      try {
        await sender.dispatcher.submit(job);
      } catch (err) {
        pending.delete(job.id);
        fail(p, toSmsError(err));
      }
      showStatus();
    }

    node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: (err?: Error) => void) => {
      handle(msg as Msg, send, done).catch((err) => {
        // Last resort: handle() answers every message itself; this only guards against a bug there.
        done(err instanceof Error ? err : new Error(String(err)));
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (statusTimer) clearTimeout(statusTimer);
      stopWatching();
      sender?.dispatcher?.unregister(node.id);
      // Queued messages stay with the sender; their input handlers must still finish for the runtime.
      for (const p of pending.values()) p.done();
      pending.clear();
      done();
    });
  }

  RED.nodes.registerType<Node, SendSmsDef, {}, {}>('agentless-send-sms', AgentlessSendSmsNode);
};
