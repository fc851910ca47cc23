/**
 * The part of a msg that can be stored in the durable queue and given back after a restart: every
 * top-level property that survives a JSON round trip. Live objects (http-in's req/res, sockets,
 * functions, circular structures) cannot outlive the process, so they are left out of the copy only;
 * a message delivered in the same process keeps its original msg with all of them.
 */
const NEVER_STORED = new Set(['req', 'res', 'socket']);

export function snapshotMsg(msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (NEVER_STORED.has(k) || typeof v === 'function') continue;
    try {
      const text = JSON.stringify(v);
      if (text !== undefined) out[k] = JSON.parse(text);
    } catch {
      /* circular or not serializable: kept only in the live msg */
    }
  }
  return out;
}
