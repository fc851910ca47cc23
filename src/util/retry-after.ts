/**
 * Retry-After (RFC 9110 10.2.3) as milliseconds from `now`: delta-seconds ("120") or an HTTP-date.
 * Undefined when missing or unparsable (callers then fall back to backoff); a date in the past gives 0.
 */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw === null) return undefined;
  const v = String(raw).trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // Only dates that look like HTTP-dates: Date.parse accepts far too much (e.g. "-1", "1e3").
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
