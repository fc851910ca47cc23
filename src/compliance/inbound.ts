/**
 * What an inbound message does to the opt-out list: STOP (and the other opt-out words) adds the sender
 * of the message, START / UNSTOP removes it. Used by the webhook receiver before it acknowledges, so
 * an opt-out the platform delivered is never lost.
 */
import type { InboundMessage } from '../webhook/normalize';
import { normalizeOptOutNumber, type OptOutList } from './opt-out-store';
import { parseOptKeyword } from './stop-words';

/** The annotation added to msg.sms of each inbound message: `keyword`, `optedOut`, or `optOutError`. */
export type InboundAnnotation = { keyword?: string; optedOut?: boolean; optOutError?: string } | null;

/** `getStore` null: no account configured; keywords are still recognized and reported. */
export function inboundOptOutHandler(getStore: (() => Promise<OptOutList>) | null) {
  return async (messages: InboundMessage[], receivedAt: number): Promise<InboundAnnotation[]> => {
    const out: InboundAnnotation[] = [];
    for (const m of messages) {
      const kw = parseOptKeyword(m.text);
      if (!kw) {
        out.push(null);
        continue;
      }
      if (!getStore) {
        out.push({ keyword: kw.keyword });
        continue;
      }
      let number: string;
      try {
        number = normalizeOptOutNumber(m.from);
      } catch (err) {
        // Not a phone number we could ever text (e.g. a short code): nothing to record.
        out.push({ keyword: kw.keyword, optOutError: (err as Error).message });
        continue;
      }
      const stamped = m.timestamp ? Date.parse(m.timestamp) : NaN;
      const store = await getStore();
      // Throws store_unavailable when it cannot be recorded: the receiver then answers 500.
      const r = await store.set(number, kw.action === 'opt-out', { at: Number.isFinite(stamped) ? stamped : receivedAt, source: `inbound:${kw.keyword}` });
      out.push({ keyword: kw.keyword, optedOut: r.optedOut });
    }
    return out;
  };
}
