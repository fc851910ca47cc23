/**
 * Admin endpoints for an account's opt-out list (the CSV buttons of the account dialog):
 * - `GET  <httpAdminRoot>/agentless-sms/accounts/:id/opt-outs.csv`: the numbers currently opted out;
 * - `POST <httpAdminRoot>/agentless-sms/accounts/:id/opt-outs`: import, body `{ csv, country? }` (JSON)
 *   or the CSV as text; answers `{ added, unchanged, total, rejected: [{ line, value, reason }] }`.
 * Both need the account node deployed and the editor permission `agentless-account.write`: the export is
 * a list of people's phone numbers, so reading the flows is not enough to download it.
 */
import type { NodeAPI } from 'node-red';
import { parseOptOutCsv, toOptOutCsv } from '../../compliance/opt-out-store';
import { toSmsError } from '../../util/errors';
import type { AccountNode } from '../kit/types';

type Req = { params: { id: string }; body?: unknown };
type Res = {
  status(n: number): Res;
  json(v: unknown): void;
  set(h: string, v: string): Res;
  send(v: string): void;
};

export function registerOptOutRoutes(RED: NodeAPI): void {
  const admin = RED.httpAdmin as unknown as {
    get(path: string, ...h: ((req: Req, res: Res, next: () => void) => void)[]): void;
    post(path: string, ...h: ((req: Req, res: Res, next: () => void) => void)[]): void;
  };
  const auth = RED.auth as unknown as { needsPermission(p: string): (req: Req, res: Res, next: () => void) => void };
  const accountOf = (req: Req, res: Res): AccountNode | null => {
    const node = RED.nodes.getNode(String(req.params.id)) as AccountNode | null;
    if (!node || node.type !== 'agentless-account' || !node.runtime) {
      res.status(404).json({ error: 'not_deployed', message: 'Deploy the account first' });
      return null;
    }
    return node;
  };

  admin.get('/agentless-sms/accounts/:id/opt-outs.csv', auth.needsPermission('agentless-account.write'), (req, res) => {
    const node = accountOf(req, res);
    if (!node) return;
    node.runtime.optOutStore().then(
      (store) => {
        res.set('Content-Type', 'text/csv; charset=utf-8');
        res.set('Content-Disposition', `attachment; filename="opt-outs-${node.id.replace(/[^\w.-]/g, '_')}.csv"`);
        res.set('Cache-Control', 'no-store');
        res.send(toOptOutCsv(store.list()));
      },
      (err: unknown) => res.status(500).json({ error: toSmsError(err).code, message: toSmsError(err).message }),
    );
  });

  admin.post('/agentless-sms/accounts/:id/opt-outs', auth.needsPermission('agentless-account.write'), (req, res) => {
    const node = accountOf(req, res);
    if (!node) return;
    const body = req.body as { csv?: unknown; country?: unknown } | string | undefined;
    const csv = typeof body === 'string' ? body : body && typeof body.csv === 'string' ? body.csv : undefined;
    const country = typeof body === 'object' && body && typeof body.country === 'string' && body.country.trim() ? body.country.trim() : undefined;
    if (csv === undefined) {
      res.status(400).json({ error: 'invalid_request', message: 'Send { "csv": "<text>" }' });
      return;
    }
    (async () => {
      const parsed = parseOptOutCsv(csv, country);
      const store = await node.runtime.optOutStore();
      const r = await store.addMany(parsed.numbers, 'csv');
      res.json({ added: r.added, unchanged: r.unchanged, total: store.size, rejected: parsed.rejected.slice(0, 200), rejectedCount: parsed.rejected.length });
    })().catch((err: unknown) => {
      const e = toSmsError(err);
      res.status(e.code === 'invalid_request' || e.code === 'invalid_sender' ? 400 : 500).json({ error: e.code, message: e.message });
    });
  });
}
