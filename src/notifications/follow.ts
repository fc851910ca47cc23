/**
 * Connects a webhook receiver to its account's notification channel (source `genesys-notifications`):
 * opens the account's sent-message log first (the receiver reports only this account's messages), then
 * registers a QueueFollower with the account's one NotificationHub. The node only shows the states.
 */
import type { AccountRuntime } from '../providers/account';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { SmsStatus } from '../webhook/normalize';
import type { WebhookReceiver } from '../webhook/receiver';
import type { ChannelState } from './hub';
import { QueueFollower } from './queue-follower';

export interface Following {
  close(): Promise<void>;
}

export interface FollowOptions {
  account: AccountRuntime;
  queueId: string;
  receiver: WebhookReceiver;
  clock: Clock;
  logger: Logger;
  statusOf?: (id: string) => SmsStatus | undefined;
  onState: (state: ChannelState, detail?: { error?: string; rejected?: string[] }) => void;
  /** Set by the receiver's deps: replies the events list by id are handed here. */
  bindReceived: (fn: (refs: { id: string; conversationId: string }[]) => void) => void;
  bindKnown: (fn: (id: string) => boolean) => void;
}

export function followQueue(o: FollowOptions): Following {
  let follower: QueueFollower | null = null;
  let closed = false;
  const ready = (async () => {
    const sent = await o.account.sentMessages();
    if (closed) return;
    o.bindKnown((id) => sent.has(id));
    const hub = o.account.notifications();
    follower = new QueueFollower(o.queueId, {
      receiver: o.receiver,
      clock: o.clock,
      logger: o.logger,
      sent,
      statusOf: o.statusOf,
      readMessage: async (conversationId, messageId) => {
        const api = (await o.account.provider()).notifications?.();
        if (!api) throw new Error('the account has no Genesys notification API');
        return api.readMessage(conversationId, messageId);
      },
      readStatus: (id, conv) => o.account.readStatus(id, conv),
      onState: o.onState,
    });
    const f = follower;
    o.bindReceived((refs) => f.readReplies(refs));
    hub.register(f);
  })().catch((err: Error) => {
    o.logger.error(`notification channel not started: ${err.message}`);
    o.onState('failed', { error: err.message });
  });
  return {
    async close() {
      closed = true;
      await ready;
      if (!follower) return;
      await o.account.notifications().deregister(follower);
      await follower.close();
    },
  };
}

/** The channel's state as the node shows it: i18n key under `status.`, colour, and what detail to add. */
export function channelStatusView(state: ChannelState, detail?: { error?: string; rejected?: string[] }): { key: string; fill: 'green' | 'yellow' | 'red'; detail?: 'error' | 'rejected' } {
  const fill = state === 'connected' ? 'green' : state === 'failed' ? 'red' : 'yellow';
  const extra = state === 'failed' && detail?.error ? 'error' : detail?.rejected?.length ? 'rejected' : undefined;
  return { key: `channel-${state}`, fill, ...(extra ? { detail: extra } : {}) };
}
