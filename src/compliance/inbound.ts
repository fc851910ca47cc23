/**
 * What an inbound message does to the opt-out list: STOP (and the other opt-out words) adds the sender
 * of the message, START / UNSTOP removes it. Used by the webhook receiver before it acknowledges, so
 * an opt-out the platform delivered is never lost.
 */
import type { InboundMessage } from '../webhook/normalize';
import { normalizeOptOutNumber, type OptOutList } from './opt-out-store';
import { parseOptKeyword } from './stop-words';

/**
 * How far an inbound STOP's own timestamp may lie ahead of the time we received it (clock skew between
 * the platform and this machine). The opt-out list orders changes by time, so a START dated in the far
 * future would make every later STOP "stale" and keep the number textable forever. Event times are
 * therefore clamped: an opt-out to at most the receive time plus this skew, an opt-in to the receive
 * time itself. When clocks disagree the error falls on the side of not texting: a START never outranks
 * a STOP received after it, while a future-dated STOP can hold off a START for at most this long.
 */
export const MAX_EVENT_CLOCK_SKEW_MS = 60_000;

/** The time an inbound change is recorded with: its own timestamp, clamped as described above. */
export function inboundChangeTime(timestamp: string | undefined, receivedAt: number, optOut: boolean): number {
  const stamped = timestamp ? Date.parse(timestamp) : NaN;
  const latest = receivedAt + (optOut ? MAX_EVENT_CLOCK_SKEW_MS : 0);
  return Number.isFinite(stamped) ? Math.min(stamped, latest) : receivedAt;
}

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
      const store = await getStore();
      // Throws store_unavailable when it cannot be recorded: the receiver then answers 500.
      const r = await store.set(number, kw.action === 'opt-out', { at: inboundChangeTime(m.timestamp, receivedAt, kw.action === 'opt-out'), source: `inbound:${kw.keyword}` });
      out.push({ keyword: kw.keyword, optedOut: r.optedOut });
    }
    return out;
  };
}
