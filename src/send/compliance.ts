/**
 * The send-sms side of the compliance gates: run the sender's policy on a prepared message before it
 * is queued (a refused text never enters the queue, let alone reaches the platform), and the
 * `msg.sms.optOut` / `msg.sms.optIn` commands that edit the account's opt-out list from a flow.
 */
import { SmsError } from '../util/errors';
import { countCodePoints } from '../phone/text';
import { normalizeOptOutNumber } from '../compliance/opt-out-store';
import type { ComplianceRecord } from '../compliance/policy';
import type { PreparedSend } from './prepare';
import type { ReadySender } from './sender';

/**
 * Apply the gates to `prepared` (its text and msg.sms may change: transliteration, footer, segments)
 * and return the audit record; `error` set means the message must not be queued.
 */
export async function applyCompliance(prepared: PreparedSend, sender: ReadySender): Promise<{ record?: ComplianceRecord; error?: SmsError }> {
  const policy = sender.compliance;
  const caps = sender.capabilities;
  const list = policy.settings.optOutCheck ? await sender.account.optOutStore() : null;
  const check = policy.checkSubmission({ to: prepared.message.to, text: prepared.message.text }, list, sender.complianceClock.now());
  prepared.sms.compliance = check.record;
  if (check.error) return { record: check.record, error: check.error };
  if (check.text !== undefined && check.text !== prepared.message.text) {
    // A footer can push the text over the platform's limit: refuse it here rather than at the platform.
    const length = countCodePoints(check.text);
    if (length > caps.maxTextLength) {
      const error = new SmsError('text_too_long', `With the opt-out footer the text has ${length} characters; the platform accepts ${caps.maxTextLength}`);
      check.record.blocked = error.code;
      return { record: check.record, error };
    }
    prepared.message.text = check.text;
    prepared.sms.characters = length;
  }
  if (check.segments) {
    prepared.sms.segments = check.segments.segments;
    prepared.sms.encoding = check.segments.encoding;
  }
  return { record: check.record };
}

export type OptCommand = { action: 'opt-out' | 'opt-in'; to: unknown };

/**
 * `msg.sms.optOut: true` or `msg.sms.optIn: true` turn the message into a command on the opt-out
 * list (nothing is sent). Returns null for an ordinary message; throws invalid_request for a malformed one.
 */
export function parseOptCommand(sms: unknown, fallbackTo: unknown): OptCommand | null {
  if (typeof sms !== 'object' || sms === null || Array.isArray(sms)) return null;
  const s = sms as Record<string, unknown>;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(s, k) && s[k] !== undefined;
  if (!has('optOut') && !has('optIn')) return null;
  if (has('optOut') && has('optIn')) throw new SmsError('invalid_request', 'msg.sms.optOut and msg.sms.optIn cannot be combined');
  const key = has('optOut') ? 'optOut' : 'optIn';
  if (s[key] !== true) throw new SmsError('invalid_request', `msg.sms.${key} must be true`);
  return { action: key === 'optOut' ? 'opt-out' : 'opt-in', to: has('to') ? s.to : fallbackTo };
}

export interface OptCommandResult {
  to: string;
  optedOut: boolean;
  changed: boolean;
}

export async function runOptCommand(cmd: OptCommand, sender: ReadySender): Promise<OptCommandResult> {
  const to = normalizeOptOutNumber(cmd.to, sender.profile.defaultCountry || undefined);
  const store = await sender.account.optOutStore();
  const r = await store.set(to, cmd.action === 'opt-out', { source: 'command' });
  return { to, optedOut: r.optedOut, changed: r.changed };
}
