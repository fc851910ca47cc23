/**
 * `npm start` end to end: the start script brings up Node-RED with the demo flow and the editor's welcome
 * tour off; the inject button sends through the sandbox, the debug sidebar's first line for the accepted
 * message carries msg.sms.id, and the sandbox's signed receipts reach the demo's webhook receiver.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import WebSocket from 'ws';
import { ROOT, freePort, request, until } from '../helpers/red-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ACCEPTED_DEBUG } = require('../../scripts/demo-flow') as { ACCEPTED_DEBUG: string };

describe('npm start demo', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let dir: string;
  let port: number;
  let sandboxPort: number;
  let log = '';

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentless-demo-'));
    port = await freePort();
    sandboxPort = await freePort();
    child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js')], {
      env: { ...process.env, DEMO_DIR: dir, PORT: String(port), SANDBOX_PORT: String(sandboxPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const up = await until(() => log.includes('Agentless SMS demo is running'), 40_000);
    up.should.be.true(log);
  });

  after(async function () {
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts the editor with the welcome tour and telemetry off', async function () {
    const settings = JSON.parse((await request(port, 'GET', '/settings')).body);
    should(settings.editorTheme?.tours).equal(false);
    should(settings.telemetryEnabled).equal(false);
  });

  it('binds to 127.0.0.1, deploys the demo without secrets in the flow file, and tracks a sent message to delivery', async function () {
    log.should.match(new RegExp(`http://127\\.0\\.0\\.1:${port}`));
    const flows = fs.readFileSync(path.join(dir, 'flows.json'), 'utf8');
    flows.should.not.match(/whsec_/);
    // Wait until the sandbox of the demo account is listening, then press the inject button.
    (await until(() => log.includes('sandbox phone at'), 20_000)).should.be.true(log);
    // What the editor's debug sidebar receives, over the editor's own comms socket.
    const debug: { id: string; msg: unknown; property?: string }[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
    ws.on('message', (raw) => {
      for (const m of [].concat(JSON.parse(String(raw))) as { topic: string; data: { id: string; msg: unknown } }[]) if (m.topic === 'debug') debug.push(m.data);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ subscribe: 'debug' }));
    (await request(port, 'POST', '/inject/a1e7c0de00000003')).status.should.equal(200);
    let state: { messages: { id: string; status: string; textBody: string }[]; webhookDeliveries: (number | string)[] } = { messages: [], webhookDeliveries: [] };
    const delivered = await until(() => {
      void request(sandboxPort, 'GET', '/sandbox/messages').then((r) => (state = JSON.parse(r.body)));
      return state.messages[0]?.status === 'delivery-success' && state.webhookDeliveries.length >= 3;
    }, 15_000);
    delivered.should.be.true(JSON.stringify(state));
    state.messages[0].textBody.should.match(/Hello from Node-RED/);
    // queued, sent, delivery-success: each receipt was verified and recorded by the demo's receiver.
    state.webhookDeliveries.should.eql([200, 200, 200]);
    // The accepted message's sidebar entry is one line that starts with the platform's message id.
    (await until(() => debug.some((d) => d.id === ACCEPTED_DEBUG), 5000)).should.be.true(JSON.stringify(debug));
    const accepted = debug.find((d) => d.id === ACCEPTED_DEBUG)!;
    should(accepted.msg).equal(`msg.sms.id = ${state.messages[0].id} (to +12025550123, queued)`);
    ws.close();
    const page = await request(sandboxPort, 'GET', '/sandbox/phone');
    should(page.status).equal(200);
  });
});
