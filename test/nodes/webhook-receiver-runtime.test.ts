/**
 * The receiver inside a real Node-RED with default settings (httpAdminRoot and httpNodeRoot both "/"),
 * where the editor's body parser would otherwise consume the raw body before our route runs.
 */
import assert from 'node:assert';
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import type { AddressInfo } from 'net';
import { signStandardWebhook } from '../../src/webhook/signature';

const ROOT = path.resolve(__dirname, '..', '..');
const SECRET = 'whsec_' + Buffer.from('runtime-test-secret-32-bytes!!!!').toString('base64');

function req(port: number, method: string, p: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: p, method, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: s }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

describe('agentless-webhook-receiver in a real Node-RED (default settings)', function () {
  this.timeout(60_000);
  let userDir: string;
  let port: number;
  let child: ChildProcess | null = null;
  let collector: http.Server;
  let collected: { out: number; sms: { id: string; status: string } }[] = [];
  let collectorPort: number;

  async function startRed() {
    child = spawn(process.execPath, [path.join(ROOT, 'node_modules/node-red/red.js'), '-u', userDir, '-s', path.join(userDir, 'settings.js'), '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 200; i++) {
      try {
        const r = await req(port, 'GET', '/settings', '');
        if (r.status === 200) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('Node-RED did not start:\n' + log);
  }
  async function stopRed() {
    if (!child) return;
    const c = child;
    child = null;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  }

  function event(eventId: string, messageId: string, status: string) {
    const body = JSON.stringify({ type: 'message.status', id: eventId, data: { id: messageId, conversationId: 'c', to: '+12025550123', from: '+12025550100', status, normalizedReceipts: [], timestamp: '2024-01-01T00:00:00Z' } });
    const ts = Math.floor(Date.now() / 1000);
    return { body, headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, eventId, ts, body) } };
  }
  // Deploys answer before the flows have started: wait until the route answers (415 to a probe).
  async function routeReady() {
    for (let i = 0; i < 100; i++) {
      if ((await req(port, 'POST', '/hooks/sms', 'probe', { 'content-type': 'text/plain' })).status === 415) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('route never became ready');
  }
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  };

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wh-red-'));
    port = await freePort();
    collector = http.createServer((rq, rs) => {
      let s = '';
      rq.on('data', (c) => (s += c));
      rq.on('end', () => {
        collected.push(JSON.parse(s));
        rs.end('ok');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    collectorPort = (collector.address() as AddressInfo).port;
    fs.writeFileSync(
      path.join(userDir, 'settings.js'),
      `module.exports = ${JSON.stringify({
        uiHost: '127.0.0.1',
        nodesDir: ROOT,
        credentialSecret: 'runtime-test',
        flowFile: 'flows.json',
        telemetry: { enabled: false },
        editorTheme: { tours: false },
        logging: { console: { level: 'warn' } },
      })};`,
    );
    await startRed();
    const reporters = [1, 2, 3, 4].map((n) => ({
      id: `f${n}`, z: 't', type: 'function', name: `out ${n}`,
      func: `msg.payload = { out: ${n}, sms: msg.sms }; msg.headers = {'content-type':'application/json'}; return msg;`,
      outputs: 1, wires: [['post']],
    }));
    const flows = [
      { id: 't', type: 'tab', label: 'rx' },
      { id: 'rx', z: 't', type: 'agentless-webhook-receiver', path: '/hooks/sms', auth: 'standard-webhooks', credentials: { secret: SECRET }, wires: [['f1'], ['f2'], ['f3'], ['f4']] },
      ...reporters,
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: `http://127.0.0.1:${collectorPort}/`, wires: [] },
    ];
    const r = await req(port, 'POST', '/flows', JSON.stringify(flows), { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(r.status), r.body);
    await routeReady();
  });

  after(async () => {
    await stopRed();
    await new Promise((r) => collector.close(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('verifies over the raw body although the editor app parses JSON first, and emits once', async () => {
    const e = event('rt-1', 'm-1', 'delivery-success');
    for (let i = 0; i < 3; i++) assert.strictEqual((await req(port, 'POST', '/hooks/sms', e.body, e.headers)).status, 200);
    const forged = { ...e.headers, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') };
    assert.strictEqual((await req(port, 'POST', '/hooks/sms', e.body, forged)).status, 401);
    await until(() => collected.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(collected.map((c) => [c.out, c.sms.id, c.sms.status]), [[1, 'm-1', 'delivered']]);
  });

  it('answers 413 to a 2 MB body', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const r = await req(port, 'POST', '/hooks/sms', big, { 'content-type': 'application/json' }).catch(() => ({ status: -1, body: '' }));
    assert.strictEqual(r.status, 413);
  });

  it('does not stack routes on redeploy and keeps dedupe across a restart', async () => {
    // full redeploy of the same flows
    const flows = JSON.parse((await req(port, 'GET', '/flows', '', { 'Node-RED-API-Version': 'v1' })).body);
    assert.strictEqual((await req(port, 'POST', '/flows', JSON.stringify(flows), { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' })).status, 204);
    await routeReady();
    collected = [];
    const e2 = event('rt-2', 'm-2', 'delivery-failed');
    assert.strictEqual((await req(port, 'POST', '/hooks/sms', e2.body, e2.headers)).status, 200);
    await until(() => collected.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(collected.map((c) => [c.out, c.sms.id]), [[2, 'm-2']], 'emitted once after redeploy');

    await stopRed();
    await startRed();
    await routeReady();
    collected = [];
    const again = event('rt-1', 'm-1', 'delivery-success');
    const r = await req(port, 'POST', '/hooks/sms', again.body, again.headers);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(JSON.parse(r.body).status, 'duplicate');
    const e3 = event('rt-3', 'm-3', 'sent');
    assert.strictEqual((await req(port, 'POST', '/hooks/sms', e3.body, e3.headers)).status, 200);
    await until(() => collected.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(collected.map((c) => [c.out, c.sms.id]), [[3, 'm-3']]);
  });
});
