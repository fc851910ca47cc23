/**
 * Admin HTTP routes of the account node, registered once per admin app (a redeploy must not stack
 * routes; the test helper loads the module many times into one process) behind Node-RED's permissions.
 */
import type { NodeAPI } from 'node-red';
import { checkConnection, type DeployedAccount } from '../../providers/connection-check';
import type { AccountCredentials, AccountNode } from '../kit/types';

const routedApps = new WeakSet<object>();
/** The runtime API of the latest load, so a route registered by an earlier load reaches current nodes. */
let currentRED: NodeAPI | null = null;

export function registerAccountAdminRoutes(RED: NodeAPI): void {
  currentRED = RED;
  if (routedApps.has(RED.httpAdmin)) return;
  routedApps.add(RED.httpAdmin);
  RED.httpAdmin.post('/agentless-sms/accounts/test', RED.auth.needsPermission('agentless-account.write'), (req, res) => {
    const red = currentRED ?? RED;
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const id = typeof body.id === 'string' ? body.id.slice(0, 64) : '';
    // Only an account node of ours that is deployed: never the credentials of another node type.
    const node = id ? (red.nodes.getNode(id) as AccountNode | null) : null;
    const deployed: DeployedAccount | undefined =
      node && node.type === 'agentless-account' && node.runtime
        ? { settings: node.runtime.settings, credentials: (red.nodes.getCredentials(id) as AccountCredentials | undefined) ?? {} }
        : undefined;
    const live = node && node.type === 'agentless-account' && node.runtime?.userTokens ? () => node.runtime!.genesys() : undefined;
    checkConnection(body, deployed, live).then(
      (r) => res.json(r),
      () => res.status(500).json({ ok: false, message: 'the check failed unexpectedly' }),
    );
  });
}
