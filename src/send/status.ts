/**
 * What a node using a sender shows under itself. Texts are i18n keys with parameters, resolved by the
 * node with RED._ so every locale can word them.
 */
import type { DispatcherStats } from '../dispatch/dispatcher';
export interface StatusView {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  key: string;
  params: Record<string, string | number>;
}

export function statusView(s: DispatcherStats, now: number, last?: { ok: boolean; code?: string; signIn?: boolean }): StatusView {
  const depth = s.queued + s.inFlight;
  if (!s.storeOk) return { fill: 'red', shape: 'ring', key: 'store-unavailable', params: { queued: depth } };
  if (s.circuit === 'open') return { fill: 'red', shape: 'ring', key: 'circuit-open', params: { queued: depth } };
  if (s.rateLimitedUntil && s.rateLimitedUntil > now) {
    return { fill: 'yellow', shape: 'ring', key: 'rate-limited', params: { seconds: Math.ceil((s.rateLimitedUntil - now) / 1000), queued: depth } };
  }
  if (s.heldUntil && s.heldUntil > now && depth > 0) {
    const at = new Date(s.heldUntil);
    const time = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
    return { fill: 'yellow', shape: 'ring', key: 'held', params: { time, queued: depth } };
  }
  // The account's refresh token was refused: only a new sign-in helps, so say that rather than a code.
  if (last && !last.ok && last.signIn) return { fill: 'red', shape: 'ring', key: 'sign-in-again', params: { queued: depth } };
  if (depth > 0) return { fill: 'blue', shape: 'dot', key: 'sending', params: { queued: depth } };
  // A store failure is over once the store is healthy again (checked above): the counts stay, the red goes.
  if (last && !last.ok && last.code !== 'store_unavailable') return { fill: 'red', shape: 'dot', key: 'failed', params: { code: last.code ?? 'error', sent: s.sent, failed: s.failed } };
  if (last) return { fill: 'green', shape: 'dot', key: 'sent', params: { sent: s.sent, failed: s.failed } };
  return { fill: 'grey', shape: 'ring', key: 'idle', params: {} };
}
