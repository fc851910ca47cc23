/**
 * agentless-get-status: reads a message's status once, or waits for a final one through the account's
 * single poller, and sends each message out of exactly one output: 1 delivered, 2 failed, 3 pending.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { parseMessageId } from '../status/message-id';
import { routeError, routeOutcome, routeStatus, Routed } from '../status/route';
import type { PollWait } from '../status/poll-scheduler';
import { SmsError, toSmsError } from '../util/errors';
import type { AccountNode } from './kit/types';

interface GetStatusDef extends NodeDef {
  account: string;
  messageId: string;
  messageIdType: string;
  waitForFinal: boolean | string;
  pollInterval: string | number;
  timeout: string | number;
}

type Msg = NodeMessageInFlow & { sms?: unknown; error?: unknown; [k: string]: unknown };
type SendFn = (msg: Msg | (Msg | null)[]) => void;

const TYPE = 'agentless-get-status';
// Seconds. The floor keeps a typo from hammering the API; the ceilings keep a wait bounded.
const MIN_INTERVAL_S = 0.05;
const DEFAULT_INTERVAL_S = 5;
const DEFAULT_TIMEOUT_S = 300;
const MAX_TIMEOUT_S = 7 * 24 * 3600;

function seconds(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(v);
  if (v === '' || v === null || v === undefined || !Number.isFinite(n) || n <= 0) return fallback;
  return Math.min(Math.max(n, min), max);
}

export = function (RED: NodeAPI) {
  function AgentlessGetStatusNode(this: Node, config: GetStatusDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const accountNode = RED.nodes.getNode(config.account) as AccountNode | null;
    const account = accountNode?.runtime;
    const waitForFinal = config.waitForFinal === true || config.waitForFinal === 'true';
    const intervalMs = seconds(config.pollInterval, DEFAULT_INTERVAL_S, MIN_INTERVAL_S, 3600) * 1000;
    const timeoutMs = seconds(config.timeout, DEFAULT_TIMEOUT_S, MIN_INTERVAL_S, MAX_TIMEOUT_S) * 1000;
    /** Messages being waited on: their handler finishes when the wait ends or the node closes. */
    const waits = new Map<PollWait, () => void>();
    let closing = false;
    let counts = { delivered: 0, failed: 0, pending: 0 };
    let lastError: string | undefined;
    let statusTimer: NodeJS.Timeout | null = null;

    const showStatus = () => {
      if (statusTimer) return;
      // Debounced: a burst of thousands of outcomes needs one status update, not thousands.
      statusTimer = setTimeout(() => {
        statusTimer = null;
        if (closing) return;
        const params = { waiting: waits.size, ...counts, code: lastError ?? '' };
        if (lastError) node.status({ fill: 'red', shape: 'dot', text: RED._(`${TYPE}.status.error`, params) });
        else if (waits.size) node.status({ fill: 'blue', shape: 'ring', text: RED._(`${TYPE}.status.waiting`, params) });
        else node.status({ fill: 'green', shape: 'dot', text: RED._(`${TYPE}.status.counts`, params) });
      }, 250);
    };

    const evaluate = (msg: Msg): Promise<unknown> =>
      new Promise((resolve, reject) => {
        RED.util.evaluateNodeProperty(config.messageId, config.messageIdType || 'msg', node, msg, (err: Error | null, v: unknown) => (err ? reject(err) : resolve(v)));
      });

    const emit = (msg: Msg, send: SendFn, done: (err?: Error) => void, r: Routed) => {
      msg.sms = r.sms;
      if (r.error) msg.error = r.error;
      else delete msg.error;
      const out: (Msg | null)[] = [null, null, null];
      out[r.output] = msg;
      if (r.output === 0) counts.delivered++;
      else if (r.output === 1) counts.failed++;
      else counts.pending++;
      // A delivery failure is an answer, not a fault of the node; a read that failed is shown.
      lastError = r.error && r.error.code !== 'delivery_failed' && r.output === 1 ? r.error.code : undefined;
      send(out);
      done();
      showStatus();
    };

    const providerName = () => account?.settings.provider ?? 'unknown';

    async function handle(msg: Msg, send: SendFn, done: (err?: Error) => void): Promise<void> {
      const sms: Record<string, unknown> = msg.sms && typeof msg.sms === 'object' && !Array.isArray(msg.sms) ? (msg.sms as Record<string, unknown>) : {};
      if (!account) {
        return emit(msg, send, done, routeError(sms, new SmsError('config_missing', RED._(`${TYPE}.errors.no-account`))));
      }
      let id: string;
      try {
        id = parseMessageId(await evaluate(msg));
      } catch (err) {
        const e = err instanceof SmsError ? err : new SmsError('invalid_message_id', `cannot read the message id: ${toSmsError(err).message}`);
        return emit(msg, send, done, routeError(sms, e));
      }
      // The conversation id only belongs to this message when both came from the same msg.sms.
      const conversationId = sms.id === id && typeof sms.conversationId === 'string' ? sms.conversationId : undefined;

      if (!waitForFinal) {
        try {
          const s = await account.readStatus(id, conversationId);
          return emit(msg, send, done, routeStatus(sms, s, providerName()));
        } catch (err) {
          return emit(msg, send, done, routeError(sms, toSmsError(err)));
        }
      }

      const wait = account.statusPoller().wait({ id, conversationId, intervalMs, timeoutMs });
      waits.set(wait, done);
      showStatus();
      const outcome = await wait.promise;
      if (!waits.delete(wait)) return; // the node closed and already finished this message
      const routed = routeOutcome(sms, outcome, providerName());
      if (routed) return emit(msg, send, done, routed);
      // The account closed under a live node (its config was redeployed alone): say so, never drop it.
      emit(msg, send, done, { output: 2, sms: { ...sms }, error: new SmsError('closed', RED._(`${TYPE}.errors.closed`)).toMsgError() });
    }

    if (!account) node.status({ fill: 'red', shape: 'ring', text: RED._(`${TYPE}.status.no-account`) });

    node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: (err?: Error) => void) => {
      handle(msg as Msg, send, done).catch((err) => {
        // Last resort: handle() answers every message itself; this only guards against a bug there.
        done(err instanceof Error ? err : new Error(String(err)));
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      if (statusTimer) clearTimeout(statusTimer);
      // Nothing is sent from a node being removed, but every input handler must still finish.
      const pending = [...waits];
      waits.clear();
      for (const [wait, finish] of pending) {
        wait.cancel();
        finish();
      }
      counts = { delivered: 0, failed: 0, pending: 0 };
      done();
    });
  }

  RED.nodes.registerType<Node, GetStatusDef, {}, {}>(TYPE, AgentlessGetStatusNode);
};
