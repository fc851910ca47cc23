/**
 * The get-status node as a plain class: read a message's status once, or wait for a final one through
 * the account's single poller, and send each message out of exactly one output (1 delivered, 2 failed,
 * 3 pending). The node entry file only hands it the node's input and close events.
 */
import { parseMessageId } from './message-id';
import { routeError, routeOutcome, routeStatus, type Routed } from './route';
import type { PollWait } from './poll-scheduler';
import type { GetStatusSettings } from './config';
import type { AccountRuntime } from '../providers/account';
import { SmsError, toSmsError } from '../util/errors';
import type { Emit, FlowMsg } from '../util/flow-msg';

export interface StatusReaderDeps {
  /** The account config node's runtime; null when the node has none. */
  account: AccountRuntime | null;
  settings: GetStatusSettings;
  /** Evaluates the node's message id property against a message. */
  readId(msg: FlowMsg): Promise<unknown>;
  /** Localized texts of the node's own errors. */
  texts: { noAccount: string; closed: string };
  onChange(): void;
}

export interface StatusReaderView {
  fill: 'red' | 'blue' | 'green';
  shape: 'ring' | 'dot';
  key: 'no-account' | 'error' | 'waiting' | 'counts';
  params: Record<string, string | number>;
}

export class StatusReader {
  /** Messages being waited on: their handler finishes when the wait ends or the node closes. */
  private readonly waits = new Map<PollWait, () => void>();
  private counts = { delivered: 0, failed: 0, pending: 0 };
  private lastError: string | undefined;
  private answered = false;

  constructor(private readonly deps: StatusReaderDeps) {}

  /** Until the first answer, a node without an account says so; then it shows its counts. */
  status(): StatusReaderView {
    if (!this.deps.account && !this.answered) return { fill: 'red', shape: 'ring', key: 'no-account', params: {} };
    const params = { waiting: this.waits.size, ...this.counts, code: this.lastError ?? '' };
    if (this.lastError) return { fill: 'red', shape: 'dot', key: 'error', params };
    if (this.waits.size) return { fill: 'blue', shape: 'ring', key: 'waiting', params };
    return { fill: 'green', shape: 'dot', key: 'counts', params };
  }

  async handle(msg: FlowMsg, send: Emit, done: (err?: Error) => void): Promise<void> {
    const emit = (r: Routed) => this.emit(msg, send, done, r);
    const sms: Record<string, unknown> = msg.sms && typeof msg.sms === 'object' && !Array.isArray(msg.sms) ? (msg.sms as Record<string, unknown>) : {};
    const account = this.deps.account;
    if (!account) return emit(routeError(sms, new SmsError('config_missing', this.deps.texts.noAccount)));
    let id: string;
    try {
      id = parseMessageId(await this.deps.readId(msg));
    } catch (err) {
      const e = err instanceof SmsError ? err : new SmsError('invalid_message_id', `cannot read the message id: ${toSmsError(err).message}`);
      return emit(routeError(sms, e));
    }
    // The conversation id only belongs to this message when both came from the same msg.sms.
    const conversationId = sms.id === id && typeof sms.conversationId === 'string' ? sms.conversationId : undefined;
    const provider = account.settings.provider;

    if (!this.deps.settings.waitForFinal) {
      try {
        return emit(routeStatus(sms, await account.readStatus(id, conversationId), provider));
      } catch (err) {
        return emit(routeError(sms, toSmsError(err)));
      }
    }

    const { intervalMs, timeoutMs } = this.deps.settings;
    const wait = account.statusPoller().wait({ id, conversationId, intervalMs, timeoutMs });
    this.waits.set(wait, done);
    this.deps.onChange();
    const outcome = await wait.promise;
    if (!this.waits.delete(wait)) return; // the node closed and already finished this message
    const routed = routeOutcome(sms, outcome, provider);
    if (routed) return emit(routed);
    // The account closed under a live node (its config was redeployed alone): say so, never drop it.
    emit({ output: 2, sms: { ...sms }, error: new SmsError('closed', this.deps.texts.closed).toMsgError() });
  }

  /** Nothing is sent from a node being removed, but every input handler must still finish. */
  close(): void {
    const pending = [...this.waits];
    this.waits.clear();
    for (const [wait, finish] of pending) {
      wait.cancel();
      finish();
    }
    this.counts = { delivered: 0, failed: 0, pending: 0 };
  }

  private emit(msg: FlowMsg, send: Emit, done: (err?: Error) => void, r: Routed): void {
    // Every output names the platform, also when no status was read (a bad id, no status API, no account).
    msg.sms = { ...r.sms, provider: this.deps.account?.settings.provider ?? 'unknown' };
    if (r.error) msg.error = r.error;
    else delete msg.error;
    const out: (FlowMsg | null)[] = [null, null, null];
    out[r.output] = msg;
    if (r.output === 0) this.counts.delivered++;
    else if (r.output === 1) this.counts.failed++;
    else this.counts.pending++;
    // A delivery failure is an answer, not a fault of the node; a read that failed is shown.
    this.lastError = r.error && r.error.code !== 'delivery_failed' && r.output === 1 ? r.error.code : undefined;
    this.answered = true;
    send(out);
    done();
    this.deps.onChange();
  }
}
