/**
 * A webhook receiver fed by the account's notification channel instead of a path (`source:
 * "genesys-notifications"`): it follows `v2.routing.queues.{queueId}.conversations.messages`, the topic
 * documented for message conversations on a queue (SDK notificationMappings), so it reports the messages
 * of queue-mode senders.
 *
 * No topic for agentless messages (POST /api/v2/conversations/messages/agentless) is documented, so those
 * are still followed by polling (get-status with wait for final); the channel does not replace that.
 *
 * Rules for what the channel carries:
 * - every frame goes through the receiver's pipeline: the same normalize, durable dedupe, monotonic
 *   status and outputs as a POST;
 * - statuses of messages this account did not send (another sender, an agent on the same queue) are
 *   ignored and counted, never emitted;
 * - replies appear in the events as ids only (`messageStatus: "received"` on the customer's side): each is
 *   read once by id (its MessageData carries the text) and then leaves on output 5;
 * - unknown topics and malformed envelopes go to output 4, at most `deadLettersPerMinute` of them;
 *   frames that are not JSON objects are counted and dropped (see NotificationHub);
 * - after the socket was down, the messages sent through this queue in the gap's window that have not
 *   reached a final status are asked for once by polling, so a receipt that came while nobody listened is
 *   not lost (a receipt that arrives twice is emitted once: the monotonic status sees to that).
 */
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { StatusResult } from '../providers/types';
import type { SentMessages } from '../status/sent-messages';
import type { MessageRef, SmsStatus } from '../webhook/normalize';
import type { WebhookReceiver } from '../webhook/receiver';
import type { ChannelEvent, ChannelState, ChannelUser } from './hub';

export function queueTopic(queueId: string): string {
  return `v2.routing.queues.${queueId}.conversations.messages`;
}

/** Genesys ids are UUIDs; anything that could change the topic's shape is refused. */
export function validQueueId(q: unknown): q is string {
  return typeof q === 'string' && /^[A-Za-z0-9-]{1,128}$/.test(q);
}

export interface QueueFollowerDeps {
  receiver: WebhookReceiver;
  clock: Clock;
  logger: Logger;
  sent: SentMessages;
  readMessage: (conversationId: string, messageId: string) => Promise<Record<string, unknown>>;
  readStatus: (id: string, conversationId?: string) => Promise<StatusResult>;
  /** The furthest status the receiver recorded for a message, when its store can tell. */
  statusOf?: (id: string) => SmsStatus | undefined;
  onState: (state: ChannelState, detail?: { error?: string; rejected?: string[] }) => void;
  deadLettersPerMinute?: number;
  /** How far before the gap to look for unfinished messages, and how many to ask about at most. */
  catchUpWindowMs?: number;
  catchUpLimit?: number;
}

const MAX_READS_IN_FLIGHT = 16;
const FINAL: ReadonlySet<SmsStatus> = new Set(['delivered', 'failed', 'read']);

export class QueueFollower implements ChannelUser {
  private readonly topic: string;
  private readonly readIds = new Set<string>();
  private reading = 0;
  private deadLetterWindow = 0;
  private deadLetters = 0;
  private catchingUp: Promise<void> | null = null;
  private closed = false;

  constructor(
    readonly queueId: string,
    private readonly deps: QueueFollowerDeps,
  ) {
    this.topic = queueTopic(queueId);
  }

  topics(): string[] {
    return [this.topic];
  }

  onState(state: ChannelState, detail?: { error?: string; rejected?: string[] }): void {
    this.deps.onState(state, detail);
  }

  onEvent(e: ChannelEvent): Promise<unknown> {
    if (this.closed) return Promise.resolve();
    return this.deps.receiver.ingest({
      value: e.value,
      payload: e.text,
      raw: e.text,
      source: 'genesys-notifications',
      mayDeadLetter: () => this.mayDeadLetter(),
    });
  }

  /** Replies listed by id: read each once and feed its MessageData (direction inbound) to the receiver. */
  readReplies(refs: MessageRef[]): void {
    for (const ref of refs) {
      if (this.readIds.has(ref.id) || this.closed) continue;
      // Bounded: an event listing thousands of replies does not start thousands of reads; the ones left
      // are read when a later event lists them again (each snapshot lists every reply so far).
      if (this.reading >= MAX_READS_IN_FLIGHT) return;
      this.reading++;
      this.readIds.add(ref.id);
      // Bounded: the oldest ids are forgotten first (the receiver's dedupe still stops a second emission).
      if (this.readIds.size > 10_000) this.readIds.delete(this.readIds.values().next().value as string);
      this.deps
        .readMessage(ref.conversationId, ref.id)
        .then((m) => {
          if (this.closed) return;
          const value = { ...m, conversationId: typeof m.conversationId === 'string' ? m.conversationId : ref.conversationId };
          const text = JSON.stringify(value);
          return this.deps.receiver.ingest({ value, payload: text, raw: text, transportId: `reply:${ref.id}`, source: 'genesys-notifications' });
        })
        .catch((err: Error) => {
          // Not read: forget it so the next event that lists it tries again.
          this.readIds.delete(ref.id);
          this.deps.logger.warn(`reply ${ref.id} could not be read: ${err.message}`);
        })
        .finally(() => {
          this.reading--;
        });
    }
  }

  onResumed(since: number): void {
    if (this.closed || this.catchingUp) return;
    this.catchingUp = this.catchUp(since).finally(() => {
      this.catchingUp = null;
    });
  }

  /** Ask once about each unfinished message of this queue sent since shortly before the gap. */
  private async catchUp(since: number): Promise<void> {
    const from = since - (this.deps.catchUpWindowMs ?? 24 * 3600 * 1000);
    const candidates = this.deps.sent
      .since(from, 10 * (this.deps.catchUpLimit ?? 200))
      .filter((r) => r.queueId === this.queueId)
      .filter((r) => {
        const s = this.deps.statusOf?.(r.id);
        return !s || !FINAL.has(s);
      })
      .slice(0, this.deps.catchUpLimit ?? 200);
    for (const r of candidates) {
      if (this.closed) return;
      try {
        const s = await this.deps.readStatus(r.id, r.conversationId);
        const value = {
          id: s.id,
          conversationId: s.conversationId ?? r.conversationId,
          toAddress: r.to,
          ...(r.from ? { fromAddress: r.from } : {}),
          direction: 'outbound',
          status: s.providerStatus,
          ...(s.reasons ? { normalizedReceipts: s.reasons } : {}),
          ...(s.timestamp ? { timestamp: s.timestamp } : {}),
        };
        const text = JSON.stringify(value);
        await this.deps.receiver.ingest({ value, payload: text, raw: text, transportId: `poll:${s.id}:${s.providerStatus}`, source: 'genesys-notifications' });
      } catch (err) {
        this.deps.logger.debug(`catch-up of ${r.id} failed: ${(err as Error).message}`);
      }
    }
  }

  private mayDeadLetter(): boolean {
    const now = this.deps.clock.now();
    if (now - this.deadLetterWindow >= 60_000) {
      this.deadLetterWindow = now;
      this.deadLetters = 0;
    }
    return ++this.deadLetters <= (this.deps.deadLettersPerMinute ?? 60);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.catchingUp?.catch(() => {});
  }
}
