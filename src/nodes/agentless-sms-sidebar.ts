/**
 * Runtime side of the editor's "SMS senders" sidebar tab (a Node-RED plugin). The tab, while shown,
 * calls POST /agentless-sms/sidebar/watch every few seconds; only while such a lease is held does the
 * monitor sample senders and publish over the editor comms. Senders are found through Node-RED's own
 * registry of running nodes (eachNode + getNode), never through a module-level list.
 */
import type { NodeAPI } from 'node-red';
import { COMMS_TOPIC, SenderMonitor, WATCH_PATH, probeSender, type SenderProbe } from '../monitor/sender-monitor';
import { systemClock } from '../util/clock';
import type { SenderNode } from './kit/types';

export = function (RED: NodeAPI) {
  const r = RED as unknown as {
    nodes: { eachNode(cb: (n: { id: string; type: string; name?: string }) => void): void };
    comms: { publish(topic: string, data: unknown, retain?: boolean): void };
    plugins: { registerPlugin(id: string, def: Record<string, unknown>): void };
  };

  function listSenders(): SenderProbe[] {
    const out: SenderProbe[] = [];
    r.nodes.eachNode((def) => {
      if (def.type !== 'agentless-sender') return;
      const rt = (RED.nodes.getNode(def.id) as SenderNode | null)?.runtime;
      if (rt) out.push(probeSender(def.id, def.name, rt));
    });
    return out;
  }

  const monitor = new SenderMonitor({
    clock: systemClock,
    listSenders,
    // Not retained: a snapshot is only useful to an editor that is watching right now.
    publish: (snap) => r.comms.publish(COMMS_TOPIC, snap, false),
    // The tab renews every 10 s while shown; a closed tab or editor lets the lease lapse within 25 s.
    leaseMs: 25_000,
  });

  // Registered once per plugin load, so redeploys do not stack routes.
  RED.httpAdmin.post(WATCH_PATH, RED.auth.needsPermission('agentless-sms.read'), (_req, res) => {
    res.json(monitor.watch());
  });

  r.plugins.registerPlugin('agentless-sms-sidebar', { type: 'agentless-sms-sidebar' });
};
