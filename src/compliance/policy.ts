/**
 * The compliance gates of one sender and the audit record they leave on `msg.sms.compliance`:
 * `{ rules: [{ rule, result: 'pass'|'fired'|'warned'|'changed', detail? }], blocked?: code, heldUntil? }`.
 *
 * Two checkpoints:
 * - at submission (`checkSubmission`): content rules, the opt-out list and, when quiet hours fail
 *   instead of holding, the window. A refused text never enters the queue.
 * - right before each request (`checkDispatch`): the opt-out list again (a STOP may arrive while the
 *   message waits) and quiet hours (hold until the window opens, or fail).
 */
import { SmsError, codesOf } from '../util/errors';
import { checkContent, compilePatterns, FOOTER_MODES, UCS2_MODES, type ContentRules, type FooterMode, type RuleResult, type Ucs2Mode } from './content-rules';
import { SendingWindow } from './quiet-hours';
import type { SegmentInfo } from '../phone/segments';

export type ComplianceCode = 'opted_out' | 'quiet_hours' | 'too_many_segments' | 'content_blocked' | 'missing_opt_out_text';
export const COMPLIANCE_CODES: ReadonlySet<string> = codesOf('compliance');

export interface ComplianceRecord {
  rules: RuleResult[];
  blocked?: string;
  /** ISO time the message is held until (quiet hours, hold). */
  heldUntil?: string;
}

/** Sender options, as the sender node reads them (all optional: defaults keep existing flows unchanged). */
export interface ComplianceSettings {
  optOutCheck: boolean;
  quietHours: boolean;
  quietStart: string;
  quietEnd: string;
  timeZone: string;
  quietAction: 'hold' | 'fail';
  maxSegments: number;
  optOutFooter: string;
  footerMode: FooterMode;
  blockShorteners: boolean;
  blockedPatterns: string;
  ucs2Mode: Ucs2Mode;
}

export const COMPLIANCE_DEFAULTS: ComplianceSettings = {
  // Checking an empty list changes nothing, so honouring opt-outs is on unless turned off.
  optOutCheck: true,
  quietHours: false,
  quietStart: '08:00',
  quietEnd: '21:00',
  timeZone: '',
  quietAction: 'hold',
  maxSegments: 0,
  optOutFooter: '',
  footerMode: 'off',
  blockShorteners: false,
  blockedPatterns: '',
  ucs2Mode: 'allow',
};

/** Reads what lookups the policy needs; the account's opt-out store implements it. */
export interface OptOutLookup {
  isOptedOut(number: string): boolean;
}

export type DispatchDecision = { ok: true } | { fail: SmsError } | { holdUntil: number };

export interface SubmissionCheck {
  record: ComplianceRecord;
  /** Text after content rules (unchanged when no rule changed it); undefined for template-only sends. */
  text?: string;
  segments?: SegmentInfo;
  error?: SmsError;
}

export class CompliancePolicy {
  readonly settings: ComplianceSettings;
  readonly window: SendingWindow | null;
  private readonly content: ContentRules;

  /** Throws SmsError (config) when an option is invalid: patterns, times, zone. */
  constructor(settings: Partial<ComplianceSettings>) {
    const s = { ...COMPLIANCE_DEFAULTS, ...settings };
    if (!FOOTER_MODES.includes(s.footerMode)) s.footerMode = 'off';
    if (!UCS2_MODES.includes(s.ucs2Mode)) s.ucs2Mode = 'allow';
    if (s.quietAction !== 'fail') s.quietAction = 'hold';
    s.maxSegments = Number.isFinite(s.maxSegments) && s.maxSegments > 0 ? Math.floor(s.maxSegments) : 0;
    this.settings = s;
    this.window = s.quietHours ? new SendingWindow({ start: s.quietStart, end: s.quietEnd, timeZone: s.timeZone }) : null;
    this.content = {
      maxSegments: s.maxSegments,
      footer: s.optOutFooter,
      footerMode: s.footerMode,
      blockShorteners: s.blockShorteners,
      patterns: compilePatterns(s.blockedPatterns),
      ucs2Mode: s.ucs2Mode,
    };
  }

  /** Content rules apply only when one of them is on: with defaults the text is left exactly as written. */
  private get contentActive(): boolean {
    const c = this.content;
    return c.maxSegments > 0 || c.footerMode !== 'off' || c.blockShorteners || c.patterns.length > 0 || c.ucs2Mode !== 'allow';
  }

  checkSubmission(input: { to: string; text?: string }, optOuts: OptOutLookup | null, now: number): SubmissionCheck {
    const record: ComplianceRecord = { rules: [] };
    const out: SubmissionCheck = { record, text: input.text };
    const block = (error: SmsError): SubmissionCheck => {
      record.blocked = error.code;
      out.error = error;
      return out;
    };

    if (input.text !== undefined && this.contentActive) {
      const c = checkContent(input.text, this.content);
      record.rules.push(...c.rules);
      out.text = c.text;
      out.segments = c.segments;
      if (c.error) return block(c.error);
    }

    if (this.settings.optOutCheck) {
      const hit = this.optOutRule(input.to, optOuts);
      record.rules.push(hit.rule);
      if (hit.error) return block(hit.error);
    }

    if (this.window) {
      const q = this.quietRule(now);
      record.rules.push(q.rule);
      if (q.error) return block(q.error);
      if (q.holdUntil !== undefined) record.heldUntil = new Date(q.holdUntil).toISOString();
    }
    return out;
  }

  /** Right before a request: the opt-out list may have changed and the window may have closed. */
  checkDispatch(to: string, optOuts: OptOutLookup | null, now: number): DispatchDecision {
    if (this.settings.optOutCheck) {
      const hit = this.optOutRule(to, optOuts);
      if (hit.error) return { fail: hit.error };
    }
    if (this.window) {
      const q = this.quietRule(now);
      if (q.error) return { fail: q.error };
      if (q.holdUntil !== undefined) return { holdUntil: q.holdUntil };
    }
    return { ok: true };
  }

  private optOutRule(to: string, optOuts: OptOutLookup | null): { rule: RuleResult; error?: SmsError } {
    if (optOuts?.isOptedOut(to)) {
      return {
        rule: { rule: 'opt-out', result: 'fired', detail: to },
        error: new SmsError('opted_out', `${to} has opted out of texts from this account`),
      };
    }
    return { rule: { rule: 'opt-out', result: 'pass' } };
  }

  private quietRule(now: number): { rule: RuleResult; error?: SmsError; holdUntil?: number } {
    const w = this.window!;
    if (w.isOpen(now)) return { rule: { rule: 'quiet-hours', result: 'pass', detail: w.describe() } };
    const opens = w.nextOpening(now);
    const at = new Date(opens).toISOString();
    if (this.settings.quietAction === 'fail') {
      return {
        rule: { rule: 'quiet-hours', result: 'fired', detail: `outside ${w.describe()}` },
        error: new SmsError('quiet_hours', `Outside the sending window ${w.describe()}; it opens at ${at}`, { retryable: true, retryAfterMs: opens - now }),
      };
    }
    return { rule: { rule: 'quiet-hours', result: 'fired', detail: `held until ${at}` }, holdUntil: opens };
  }
}

/** The audit record of a message refused at dispatch time (it passed at submission). */
export function withDispatchRefusal(record: ComplianceRecord | undefined, error: SmsError): ComplianceRecord {
  const rules = [...(record?.rules ?? [])];
  const rule = error.code === 'opted_out' ? 'opt-out' : 'quiet-hours';
  rules.push({ rule: `${rule} (dispatch)`, result: 'fired', detail: error.message });
  const out: ComplianceRecord = { ...(record ?? {}), rules, blocked: error.code };
  delete out.heldUntil;
  return out;
}
