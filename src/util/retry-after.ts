/**
 * Parse an HTTP `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 10.2.3).
 * Returns milliseconds from `now`, or undefined when absent or unreadable (callers then use backoff).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
