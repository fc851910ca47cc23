/**
 * What the receiver adds to each reply before it is acknowledged: the opt-out keyword handling (STOP /
 * START update the account's list durably first) and, when the account knows it, the last message it
 * sent to that number as `inReplyTo` (id, conversationId, sentAt, metadata).
 */
import type { InboundHandler } from './receiver';
import type { InReplyTo } from '../status/sent-messages';

export interface ReplyLookup {
  inReplyTo(number: string): InReplyTo | undefined;
}

export function replyAnnotator(optOuts: InboundHandler, sent: (() => Promise<ReplyLookup>) | null): InboundHandler {
  return async (messages, receivedAt) => {
    const annotations = await optOuts(messages, receivedAt);
    if (!sent) return annotations;
    let lookup: ReplyLookup | null = null;
    try {
      lookup = await sent();
    } catch {
      // No sent-message log: the replies still go out, only without inReplyTo.
    }
    return messages.map((m, i) => {
      const a = annotations[i] ?? null;
      const ref = lookup?.inReplyTo(m.from);
      return ref ? { ...(a ?? {}), inReplyTo: ref } : a;
    });
  };
}
