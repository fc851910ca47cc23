/** Small statistics over numbers: summaries of runs, percentiles, sliding windows. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function summarize(runs: number[]): Summary {
  const s = [...runs].sort((a, b) => a - b);
  return { median: median(s), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, runs };
}

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

/** The most timestamps (ms, any order) inside any half-open window [t, t + windowMs). */
export function maxInWindow(times: number[], windowMs: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while (s[hi] - s[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Messages per second from first to last timestamp: (n - 1) intervals over the span. */
export function effectiveRate(times: number[]): number {
  if (times.length < 2) return NaN;
  const s = [...times].sort((a, b) => a - b);
  const span = s[s.length - 1] - s[0];
  return span > 0 ? ((s.length - 1) * 1000) / span : NaN;
}

/** |spacing - ideal| for consecutive timestamps, in ms. */
export function spacingJitter(times: number[], ratePerSecond: number): number[] {
  const s = [...times].sort((a, b) => a - b);
  const ideal = 1000 / ratePerSecond;
  const out: number[] = [];
  for (let i = 1; i < s.length; i++) out.push(Math.abs(s[i] - s[i - 1] - ideal));
  return out;
}

/**
 * Per-message time with `inFlight` slots, from completion times alone: in a closed loop each
 * completion starts the next request, so message i waited from completion i - inFlight to its own.
 * The same estimate for send-sms and for the client loop, so their p99s compare like for like.
 */
export function slotLatencies(completions: number[], inFlight: number): number[] {
  const s = [...completions].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = inFlight; i < s.length; i++) out.push(s[i] - s[i - inFlight]);
  return out;
}
