/**
 * The send-sms pipeline as a plain class: read `to` and `text`, run an opt-out command or prepare the
 * message (validation, E.164, segments), apply the compliance gates, submit it to the sender's
 * dispatcher, and send each message out of exactly one output when its outcome is known.
 * The node entry file only hands it the node's input and close events.
 */
import { randomUUID } from 'crypto';
import { prepareSend } from './prepare';
import { applyCompliance, parseOptCommand, runOptCommand } from './compliance';
import { routeFailure, routeSendOutcome, type SendRouted } from './route';
import { snapshotMsg } from './snapshot';
import { acceptedRecord } from '../status/sent-messages';
import { statusView, type StatusView } from './status';
import type { SenderRuntime } from './sender';
import type { SendJob, SendOutcome } from '../dispatch/dispatcher';
import { SmsError, toSmsError } from '../util/errors';
import type { Clock } from '../util/clock';
import type { Emit, FlowMsg } from '../util/flow-msg';
import { isSignInRequired } from '../providers/genesys-oauth';

interface Pending {
  msg: FlowMsg;
  send: Emit;
  done: (err?: Error) => void;
}

export interface SendPipelineDeps {
  nodeId: string;
  /** The sender config node's runtime; null when the node has no sender. */
  sender: SenderRuntime | null;
  /** Evaluates the node's `to` and `text` properties against a message (at once when no context store makes it wait). */
  read(msg: FlowMsg): { to: unknown; text: unknown } | Promise<{ to: unknown; text: unknown }>;
  /** The text of config_missing when the node has no usable sender (localized by the node). */
  noSenderMessage: string;
  /** Sends a message queued before a restart (its live handler is gone). */
  sendRestored: Emit;
  /** Called whenever what the node shows may have changed. */
  onChange(): void;
  clock: Clock;
}

export class SendPipeline {
  private readonly pending = new Map<string, Pending>();
  private last: { ok: boolean; code?: string; signIn?: boolean } | undefined;
  private readonly stopWatching: () => void;

  constructor(private readonly deps: SendPipelineDeps) {
    const sender = deps.sender;
    if (sender?.kind === 'ready') {
      sender.dispatcher.register(deps.nodeId, (job, outcome) => this.deliver(job, outcome));
      this.stopWatching = sender.dispatcher.onChange(deps.onChange);
    } else {
      this.stopWatching = () => {};
    }
  }

  /** What the node shows: a configuration problem, or the sender's queue, pace and last outcome. */
  status(): StatusView {
    const sender = this.deps.sender;
    if (!sender) return { fill: 'red', shape: 'ring', key: 'no-sender', params: {} };
    if (sender.kind !== 'ready') return { fill: 'red', shape: 'ring', key: sender.error.code === 'grant_mismatch' ? 'grant-mismatch' : 'config-error', params: {} };
    return statusView(sender.dispatcher.stats(), this.deps.clock.now(), this.last);
  }

  async handle(msg: FlowMsg, send: Emit, done: (err?: Error) => void): Promise<void> {
    const p: Pending = { msg, send, done };
    const sender = this.deps.sender;
    if (!sender) return this.finish(p, routeFailure(new SmsError('config_missing', this.deps.noSenderMessage), this.smsOf(msg)));
    if (sender.kind !== 'ready') return this.finish(p, routeFailure(sender.error, this.smsOf(msg)));
    let prepared;
    try {
      const read = this.deps.read(msg);
      const { to, text } = read instanceof Promise ? await read : read;
      // msg.sms.optOut / optIn: edit the account's opt-out list; nothing is sent (output 1 = done).
      const command = parseOptCommand(msg.sms, to);
      if (command) {
        const r = await runOptCommand(command, sender);
        msg.sms = { to: r.to, command: command.action, optedOut: r.optedOut, changed: r.changed, status: r.optedOut ? 'opted-out' : 'opted-in', provider: this.provider() };
        delete msg.error;
        send([msg, null]);
        return done();
      }
      prepared = prepareSend({ to, text, sms: msg.sms }, sender.profile, sender.capabilities, sender.account.settings.provider);
    } catch (err) {
      return this.refuse(p, toSmsError(err), this.smsOf(msg));
    }
    const preparedSms = prepared.sms as unknown as Record<string, unknown>;
    try {
      const gate = await applyCompliance(prepared, sender);
      if (gate.error) return this.refuse(p, gate.error, preparedSms);
    } catch (err) {
      // The opt-out list could not be read: not knowing is no licence to text.
      return this.refuse(p, toSmsError(err), preparedSms);
    }
    msg.sms = preparedSms;
    const job: SendJob = {
      id: randomUUID(),
      nodeId: this.deps.nodeId,
      message: prepared.message,
      msg: snapshotMsg(msg),
      idempotencyKey: prepared.idempotencyKey,
      enqueuedAt: this.deps.clock.now(),
      attempts: 0,
    };
    this.pending.set(job.id, p);
    try {
      await sender.dispatcher.submit(job);
    } catch (err) {
      // Refused by the sender (queue full, store unavailable, msg too large): it counted it already.
      this.pending.delete(job.id);
      this.finish(p, routeFailure(toSmsError(err), this.smsOf(msg)));
    }
    this.deps.onChange();
  }

  /** Queued messages stay with the sender; their input handlers must still finish for the runtime. */
  close(): void {
    this.stopWatching();
    const sender = this.deps.sender;
    if (sender?.kind === 'ready') sender.dispatcher.unregister(this.deps.nodeId);
    for (const p of this.pending.values()) p.done();
    this.pending.clear();
  }

  private deliver(job: SendJob, outcome: SendOutcome): void {
    // A message queued before a restart has no live msg any more: it leaves with its stored copy.
    const p = this.pending.get(job.id) ?? { msg: job.msg as FlowMsg, send: this.deps.sendRestored, done: () => {} };
    this.pending.delete(job.id);
    // Remembered for replies (msg.sms.inReplyTo) and the notification channel's own-message filter.
    const sender = this.deps.sender;
    if (outcome.ok && sender?.kind === 'ready') sender.account.noteAccepted(acceptedRecord(job, outcome.result));
    this.finish(p, routeSendOutcome(job.msg.sms as Record<string, unknown> | undefined, outcome));
  }

  /** Refused before it reached the sender: counted there too, since the failed count is every output-2 answer. */
  private refuse(p: Pending, error: SmsError, sms: Record<string, unknown> | undefined): void {
    if (this.deps.sender?.kind === 'ready') this.deps.sender.dispatcher.countRefused(error);
    this.finish(p, routeFailure(error, sms));
  }

  private finish(p: Pending, r: SendRouted): void {
    // Every output names the platform, also for a message refused before any request.
    p.msg.sms = { ...r.sms, provider: this.provider() };
    if (r.error) p.msg.error = r.error;
    else delete p.msg.error;
    // A refused refresh token: the status tells the user to sign in again rather than showing a code.
    this.last = r.error ? { ok: false, code: r.error.code, signIn: isSignInRequired(r.error) } : { ok: true };
    const out: (FlowMsg | null)[] = [null, null];
    out[r.output] = p.msg;
    p.send(out);
    p.done();
    this.deps.onChange();
  }

  private smsOf(msg: FlowMsg): Record<string, unknown> | undefined {
    const sms = msg.sms;
    return sms && typeof sms === 'object' && !Array.isArray(sms) ? (sms as Record<string, unknown>) : undefined;
  }

  private provider(): string {
    const sender = this.deps.sender;
    return (sender?.kind === 'ready' ? sender.account.settings.provider : sender?.provider) ?? 'unknown';
  }
}
