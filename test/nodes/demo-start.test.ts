/**
 * `npm start` end to end: the start script brings up Node-RED with the demo flow; the inject button sends
 * through the sandbox, and the sandbox's signed receipts reach the demo's webhook receiver.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import { ROOT, freePort, request, until } from '../helpers/red-process';

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

  it('binds to 127.0.0.1, deploys the demo without secrets in the flow file, and tracks a sent message to delivery', async function () {
    log.should.match(new RegExp(`http://127\\.0\\.0\\.1:${port}`));
    const flows = fs.readFileSync(path.join(dir, 'flows.json'), 'utf8');
    flows.should.not.match(/whsec_/);
    // Wait until the sandbox of the demo account is listening, then press the inject button.
    (await until(() => log.includes('sandbox phone at'), 20_000)).should.be.true(log);
    (await request(port, 'POST', '/inject/a1e7c0de00000003')).status.should.equal(200);
    let state: { messages: { status: string; textBody: string }[]; webhookDeliveries: (number | string)[] } = { messages: [], webhookDeliveries: [] };
    const delivered = await until(() => {
      void request(sandboxPort, 'GET', '/sandbox/messages').then((r) => (state = JSON.parse(r.body)));
      return state.messages[0]?.status === 'delivery-success' && state.webhookDeliveries.length >= 3;
    }, 15_000);
    delivered.should.be.true(JSON.stringify(state));
    state.messages[0].textBody.should.match(/Hello from Node-RED/);
    // queued, sent, delivery-success: each receipt was verified and recorded by the demo's receiver.
    state.webhookDeliveries.should.eql([200, 200, 200]);
    const page = await request(sandboxPort, 'GET', '/sandbox/phone');
    should(page.status).equal(200);
  });
});
