/**
 * Numbers out of an editor dialog. Node-RED stores a field as typed, so a number setting may arrive as
 * a number, a string, an empty string or not at all (a flow saved before the option existed).
 */

/** The number when it is above `min`; otherwise (empty, nonsensical, too small) the fallback. */
export function numberAbove(v: unknown, fallback: number, min = 0): number {
  if (v === '' || v === null || v === undefined) return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n > min ? n : fallback;
}

/** A positive number kept within [min, max]; empty, nonsensical or not positive gives the fallback. */
export function clampedPositive(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(v);
  if (v === '' || v === null || v === undefined || !Number.isFinite(n) || n <= 0) return fallback;
  return Math.min(Math.max(n, min), max);
}

/** A trimmed text field; empty gives undefined (an optional override left blank). */
export function optionalText(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
