/**
 * Admin endpoint behind the sender dialog's "Blocked patterns" field:
 * `POST <httpAdminRoot>/agentless-sms/patterns/check` with `{ patterns }` answers `{ ok, message? }`, the
 * same verdict the runtime reaches (one compiler, src/compliance/content-rules.ts), so a pattern the
 * linear-time engine cannot run is flagged while it is typed, not at the first message.
 * Registered once per admin app; needs the permission `agentless-sender.write`.
 */
import type { NodeAPI } from 'node-red';
import { compilePatterns } from '../../compliance/content-rules';

const routedApps = new WeakSet<object>();

export function registerPatternRoute(RED: NodeAPI): void {
  if (routedApps.has(RED.httpAdmin)) return;
  routedApps.add(RED.httpAdmin);
  RED.httpAdmin.post('/agentless-sms/patterns/check', RED.auth.needsPermission('agentless-sender.write'), (req, res) => {
    const body = req.body && typeof req.body === 'object' ? (req.body as { patterns?: unknown }) : {};
    if (typeof body.patterns !== 'string' || body.patterns.length > 64 * 1024) {
      res.status(400).json({ ok: false, message: 'Send { "patterns": "<one pattern per line>" }' });
      return;
    }
    try {
      compilePatterns(body.patterns);
      res.json({ ok: true });
    } catch (err) {
      res.json({ ok: false, message: (err as Error).message });
    }
  });
}
