/**
 * Where a send outcome sends its message, and what it carries: output 1 accepted (the platform took
 * it), output 2 failed (refused before sending, rejected by the platform, or given up).
 * msg.sms keeps what was prepared at submission and gets the platform's answer on top.
 */
import { COMPLIANCE_CODES, withDispatchRefusal, type ComplianceRecord } from '../compliance/policy';
import type { SendOutcome } from '../dispatch/job';
import type { MsgError, SmsError } from '../util/errors';

export const SEND_OUTPUT = { accepted: 0, failed: 1 } as const;

export interface SendRouted {
  output: (typeof SEND_OUTPUT)[keyof typeof SEND_OUTPUT];
  sms: Record<string, unknown>;
  error?: MsgError;
}

/** A message refused or failed: its msg.sms (as prepared, or as it came in) marked failed. */
export function routeFailure(error: SmsError, sms: Record<string, unknown> | undefined): SendRouted {
  return { output: SEND_OUTPUT.failed, sms: { ...(sms ?? {}), status: 'failed' }, error: error.toMsgError() };
}

/** A dispatched job's outcome; `submitted` is the msg.sms stored with the job. */
export function routeSendOutcome(submitted: Record<string, unknown> | undefined, outcome: SendOutcome): SendRouted {
  const sms: Record<string, unknown> = { ...(submitted ?? {}), attempts: outcome.attempts };
  if (!outcome.ok) {
    // Refused by a compliance gate right before sending (a STOP arrived, or quiet hours and fail).
    if (COMPLIANCE_CODES.has(outcome.error.code)) sms.compliance = withDispatchRefusal(sms.compliance as ComplianceRecord | undefined, outcome.error);
    return routeFailure(outcome.error, sms);
  }
  const r = outcome.result;
  return {
    output: SEND_OUTPUT.accepted,
    sms: {
      ...sms,
      id: r.id,
      conversationId: r.conversationId,
      ...(r.communicationId ? { communicationId: r.communicationId } : {}),
      status: r.status,
      providerStatus: r.providerStatus,
      ...(outcome.duplicate ? { duplicate: true } : {}),
    },
  };
}
