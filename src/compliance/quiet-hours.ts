/**
 * The sending window of a sender ("08:00-21:00 in America/Chicago"): when texts may go out.
 *
 * Wall-clock time in an IANA zone comes from Intl.DateTimeFormat (no time-zone library): the window is
 * a rule on local minutes of the day, so DST days need no special case in the rule itself. What needs
 * care is `nextOpening`: on a spring-forward day the opening time may not exist (02:30 when clocks jump
 * from 02:00 to 03:00) and on a fall-back day it may exist twice. Searching forward over real instants
 * for the first one whose local time is inside the window gives the right answer in both cases (the
 * first instant after the gap; the first of the two occurrences).
 */
import { SmsError } from '../util/errors';

export interface QuietHoursConfig {
  /** Window start, local "HH:MM" (inclusive). */
  start: string;
  /** Window end, local "HH:MM" (exclusive). End before start: the window crosses midnight. */
  end: string;
  /** IANA zone, e.g. "America/Chicago"; empty: the zone of the host. */
  timeZone: string;
}

const MINUTE = 60_000;
/** Two days and a bit: any window opens within that, whatever DST does. */
const SEARCH_LIMIT_MS = 50 * 3600_000;
const COARSE_STEP_MS = 5 * MINUTE;

export function parseTimeOfDay(v: string, label: string): number {
  const m = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(String(v ?? ''));
  if (!m) throw new SmsError('config_missing', `Quiet hours: ${label} "${String(v).slice(0, 20)}" is not a time of day such as 08:00`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  // 24:00 is allowed as an end meaning "until midnight".
  if (h > 24 || min > 59 || (h === 24 && min !== 0)) throw new SmsError('config_missing', `Quiet hours: ${label} "${v}" is not a valid time of day`);
  return h * 60 + min;
}

export function validateTimeZone(tz: string): string {
  const zone = (tz ?? '').trim();
  if (!zone) return Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new SmsError('config_missing', `Quiet hours: "${zone.slice(0, 60)}" is not an IANA time zone such as America/Chicago`);
  }
}

export class SendingWindow {
  readonly startMin: number;
  readonly endMin: number;
  readonly timeZone: string;
  private readonly fmt: Intl.DateTimeFormat;

  /** Throws SmsError (config) for an unparseable time or an unknown zone. */
  constructor(cfg: QuietHoursConfig) {
    this.startMin = parseTimeOfDay(cfg.start, 'start');
    this.endMin = parseTimeOfDay(cfg.end, 'end') % (24 * 60);
    this.timeZone = validateTimeZone(cfg.timeZone);
    this.fmt = new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
  }

  /** Local minute of the day (0..1439) at instant `t`. */
  localMinute(t: number): number {
    let h = 0;
    let m = 0;
    for (const p of this.fmt.formatToParts(new Date(t))) {
      if (p.type === 'hour') h = Number(p.value) % 24;
      else if (p.type === 'minute') m = Number(p.value);
    }
    return h * 60 + m;
  }

  isOpen(t: number): boolean {
    const m = this.localMinute(t);
    const { startMin: s, endMin: e } = this;
    if (s === e) return true; // a 24-hour window
    return s < e ? m >= s && m < e : m >= s || m < e;
  }

  /** `now` when the window is open, else the first instant it opens. */
  nextOpening(now: number): number {
    if (this.isOpen(now)) return now;
    // Local minutes change on whole UTC minutes for every zone in use today, so whole minutes suffice.
    const first = Math.ceil((now + 1) / MINUTE) * MINUTE;
    let closed = now;
    // Steps no longer than the window itself, so a short window cannot fall between two samples.
    const length = (this.endMin - this.startMin + 24 * 60) % (24 * 60);
    const step = Math.min(COARSE_STEP_MS, length * MINUTE);
    for (let t = first; t <= now + SEARCH_LIMIT_MS; t += step) {
      if (this.isOpen(t)) {
        // Refine: the first open minute after the last closed instant.
        let m = Math.max(first, Math.ceil((closed + 1) / MINUTE) * MINUTE);
        while (m < t && !this.isOpen(m)) m += MINUTE;
        return m;
      }
      closed = t;
    }
    // Unreachable for a valid window; never hold forever.
    return now + 24 * 3600_000;
  }

  describe(): string {
    const hm = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
    return `${hm(this.startMin)}-${hm(this.endMin)} ${this.timeZone}`;
  }
}
