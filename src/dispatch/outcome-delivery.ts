/**
 * The last step of dispatch: each job's final outcome is recorded durably, then handed to the listener
 * of the send-sms node that submitted it, exactly once and in order. Outcomes wait (held) until the
 * dispatcher has resumed its store and the node has registered, so a node deployed after a restart
 * still gets the answers of the messages it queued before.
 */
import type { Logger } from '../util/logger';
import { loadOutcome, storeOutcome, type SendJob, type SendOutcome } from './job';
import type { SenderQueueStore } from './send-queue';

export type OutcomeListener = (job: SendJob, outcome: SendOutcome) => void;

export interface OutcomeDeliveryDeps {
  queue: SenderQueueStore;
  logger: Logger;
  /** A store write failed (the outcome is still delivered). */
  storeFailed(err: unknown): void;
  /** What the dispatcher shows may have changed. */
  changed(): void;
}

export class OutcomeDelivery {
  private readonly listeners = new Map<string, OutcomeListener>();
  /** Per node id, the jobs whose outcome waits for delivery, in order. */
  private readonly held = new Map<string, SendJob[]>();
  /** Live outcomes (with the original SmsError objects) until delivered. */
  private readonly outcomes = new Map<string, SendOutcome>();
  private readonly writing = new Set<string>();
  private ready = false;
  private closed = false;

  constructor(private readonly deps: OutcomeDeliveryDeps) {}

  register(nodeId: string, listener: OutcomeListener): void {
    this.listeners.set(nodeId, listener);
    this.flush(nodeId);
  }

  unregister(nodeId: string): void {
    this.listeners.delete(nodeId);
  }

  /** The store is resumed: everything held so far may go out. */
  start(): void {
    this.ready = true;
    for (const nodeId of [...this.held.keys()]) this.flush(nodeId);
  }

  /** The store is closed: outcomes delivered from now on are no longer marked done in it. */
  close(): void {
    this.closed = true;
  }

  /** A stored job that already has its outcome (resumed after a restart): deliver it when possible. */
  hold(job: SendJob): void {
    const list = this.held.get(job.nodeId) ?? [];
    list.push(job);
    this.held.set(job.nodeId, list);
  }

  /**
   * The result record is written before delivery: a crash after it re-delivers the same outcome
   * on restart instead of losing it (or reporting a sent message as ambiguous).
   */
  async record(job: SendJob, outcome: SendOutcome): Promise<void> {
    this.outcomes.set(job.id, outcome);
    this.writing.add(job.id);
    this.hold(job);
    try {
      await this.deps.queue.markResult(job.id, storeOutcome(outcome));
    } catch (err) {
      // Still delivered: the flow gets its answer even when the disk is gone.
      this.deps.storeFailed(err);
    }
    this.writing.delete(job.id);
    this.flush(job.nodeId);
  }

  /** Deliver the held outcomes of a node, in order (a job a newer shared queue hands over included). */
  flush(nodeId: string): void {
    if (!this.ready) return;
    const listener = this.listeners.get(nodeId);
    const list = this.held.get(nodeId);
    if (!listener || !list) return;
    const queue = this.deps.queue;
    while (list.length) {
      const job = list[0];
      const entry = queue.get(job.id);
      const outcome = this.outcomes.get(job.id) ?? (entry?.outcome ? loadOutcome(entry.outcome) : undefined);
      // Still being written (record awaits the result record): deliver in order once it is.
      if (!outcome || this.writing.has(job.id)) break;
      list.shift();
      this.outcomes.delete(job.id);
      try {
        listener(entry?.job ?? job, outcome);
      } catch (err) {
        this.deps.logger.error(`dispatch: outcome listener failed: ${(err as Error).message}`);
      }
      if (!this.closed) void queue.markDone(job.id).catch((err) => this.deps.storeFailed(err));
    }
    if (!list.length) this.held.delete(nodeId);
    this.deps.changed();
  }
}
