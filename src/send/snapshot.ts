/**
 * The part of a msg that goes into the durable queue and comes back after a restart. Live objects that
 * cannot outlive the process (http-in's req/res, sockets, functions) are left out here; the store makes
 * the one JSON copy (src/dispatch/job.ts `toStorable`, which also drops circular references). A message
 * delivered in the same process keeps its original msg with all of them.
 */
const NEVER_STORED = new Set(['req', 'res', 'socket']);

export function snapshotMsg(msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (NEVER_STORED.has(k) || typeof v === 'function') continue;
    out[k] = v;
  }
  return out;
}
