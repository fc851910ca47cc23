/**
 * Where a status read sends a message, and what it carries: output 1 delivered (or read), 2 failed
 * (delivery failed, or the status could not be read), 3 pending (not final yet, or timed out waiting).
 * msg.sms keeps what send-sms put there and gets the fresh status on top.
 */
import { MsgError, SmsError } from '../util/errors';
import type { StatusResult } from '../providers/types';
import type { WaitOutcome } from './poll-scheduler';

export const OUTPUT = { delivered: 0, failed: 1, pending: 2 } as const;
export type OutputIndex = (typeof OUTPUT)[keyof typeof OUTPUT];

export interface Routed {
  output: OutputIndex;
  sms: Record<string, unknown>;
  error?: MsgError;
}

/** Merge a status read into msg.sms. */
export function mergeStatus(sms: Record<string, unknown>, s: StatusResult, provider: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...sms, id: s.id, status: s.status, providerStatus: s.providerStatus, provider };
  if (s.conversationId) out.conversationId = s.conversationId;
  if (s.reasons && s.reasons.length) out.reasons = s.reasons;
  if (s.timestamp) out.statusAt = s.timestamp;
  return out;
}

/** A readable sentence out of Genesys normalizedReceipts ([{ status, reasons: [{ code, message }] }]). */
export function describeReasons(reasons: unknown[] | undefined): string | undefined {
  const parts: string[] = [];
  for (const r of reasons ?? []) {
    const inner = r && typeof r === 'object' ? (r as { reasons?: unknown }).reasons : undefined;
    for (const x of Array.isArray(inner) ? inner : [r]) {
      if (!x || typeof x !== 'object') continue;
      const { code, message } = x as { code?: unknown; message?: unknown };
      const text = [typeof code === 'string' ? code : '', typeof message === 'string' ? message : ''].filter(Boolean).join(': ');
      if (text) parts.push(text);
    }
  }
  return parts.length ? parts.join('; ') : undefined;
}

export function routeStatus(sms: Record<string, unknown>, s: StatusResult, provider: string): Routed {
  const merged = mergeStatus(sms, s, provider);
  if (s.status === 'delivered' || s.status === 'read') return { output: OUTPUT.delivered, sms: merged };
  if (s.status === 'failed') {
    const why = describeReasons(s.reasons);
    const error = new SmsError('delivery_failed', `delivery failed (${s.providerStatus})${why ? `: ${why}` : ''}`, {
      provider,
      details: { providerStatus: s.providerStatus, ...(s.reasons ? { reasons: s.reasons } : {}) },
    });
    return { output: OUTPUT.failed, sms: merged, error: error.toMsgError() };
  }
  return { output: OUTPUT.pending, sms: merged };
}

/** A read that failed: the delivery status stays what it was; the error says why it is unknown. */
export function routeError(sms: Record<string, unknown>, err: SmsError, last?: StatusResult, provider?: string): Routed {
  const base = last && provider ? mergeStatus(sms, last, provider) : { ...sms, ...(provider ? { provider } : {}) };
  return { output: OUTPUT.failed, sms: base, error: err.toMsgError() };
}

/** The end of a wait; undefined for `closed` (the node is going away, nothing is sent). */
export function routeOutcome(sms: Record<string, unknown>, o: WaitOutcome, provider: string): Routed | undefined {
  switch (o.kind) {
    case 'final':
      return withPolls(routeStatus(sms, o.status, provider), o.polls);
    case 'error':
      return withPolls(routeError(sms, o.error, o.last, provider), o.polls);
    case 'timeout': {
      const base = o.last ? mergeStatus(sms, o.last, provider) : { ...sms, provider };
      // Pending is not an error, but a wait that never got a read through says why.
      return withPolls({ output: OUTPUT.pending, sms: base, ...(o.error ? { error: o.error.toMsgError() } : {}) }, o.polls);
    }
    case 'closed':
      return undefined;
  }
}

function withPolls(r: Routed, polls: number): Routed {
  r.sms.polls = polls;
  return r;
}
