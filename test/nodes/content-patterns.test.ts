/**
 * Blocked patterns in a real runtime: a pattern that backtracks catastrophically in RegExp
 * (`(\w+\s?)+$`, hours on 40 characters) answers at once on the linear-time engine, in a child Node-RED
 * reached over HTTP (a stalled event loop there cannot stall the test); a pattern the engine cannot run
 * is refused in the dialog's check route and answers every message with config_missing.
 */
import http from 'http';
import { RedProcess } from '../helpers/red-process';
import { helper, loadSendFlow, sendFlow, useLoopbackSandbox } from '../helpers/flow';
import { SandboxServer } from '../../src/sandbox/server';

const EVIL = '(\\w+\\s?)+$';

function post(port: number, path: string, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: s }));
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer in ${timeoutMs} ms: the runtime is stalled`)));
    r.on('error', reject);
    r.end(body);
  });
}

describe('blocked patterns on the linear-time engine', function () {
  this.timeout(60_000);

  describe('in a child Node-RED over HTTP', function () {
    const sandbox = new SandboxServer({ queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
    let red: RedProcess;
    before(async function () {
      await sandbox.start();
      red = new RedProcess('agentless-redos-');
      await red.start();
      const outcome = (n: number) => `msg.payload = { output: ${n}, code: msg.error && msg.error.code, rules: msg.sms && msg.sms.compliance }; return msg;`;
      await red.deploy([
        { id: 'tab', type: 'tab', label: 'redos' },
        { id: 'acct', type: 'agentless-account', name: 'a', provider: 'genesys-cloud', region: 'mypurecloud.com', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, credentials: { clientId: 'c', clientSecret: 's' } },
        { id: 'sender', type: 'agentless-sender', name: 's', account: 'acct', fromAddress: '+12025550100', ratePerSecond: 50, burst: 50, queueLimit: 100, blockedPatterns: EVIL },
        { id: 'in', z: 'tab', type: 'http in', url: '/sms', method: 'post', wires: [['send']] },
        { id: 'send', z: 'tab', type: 'agentless-send-sms', sender: 'sender', to: '+12025550123', toType: 'str', text: 'payload', textType: 'msg', wires: [['o1'], ['o2']] },
        { id: 'o1', z: 'tab', type: 'function', func: outcome(1), outputs: 1, wires: [['res']] },
        { id: 'o2', z: 'tab', type: 'function', func: outcome(2), outputs: 1, wires: [['res']] },
        { id: 'res', z: 'tab', type: 'http response', statusCode: '200', wires: [] },
      ]);
    });
    after(async function () {
      await red.dispose();
      await sandbox.stop();
    });

    it('answers a 40-character text that RegExp would backtrack on for hours, then keeps answering', async function () {
      let r = { status: 0, body: '' };
      for (let i = 0; i < 50 && r.status !== 200; i++) {
        // The first requests may find the flow still starting (404).
        r = await post(red.port, '/sms', 'a'.repeat(40) + '!', 20_000);
        if (r.status !== 200) await new Promise((res) => setTimeout(res, 100));
      }
      r.status.should.equal(200);
      JSON.parse(r.body).output.should.equal(1);
      const blocked = await post(red.port, '/sms', 'buy now', 20_000);
      JSON.parse(blocked.body).should.containDeep({ output: 2, code: 'content_blocked' });
      const long = await post(red.port, '/sms', 'word '.repeat(150) + '!', 20_000);
      JSON.parse(long.body).output.should.equal(1);
      sandbox.state.messages.should.have.length(2);
    });
  });

  describe('patterns the engine cannot run', function () {
    const sandbox = useLoopbackSandbox({}, { userDir: true });

    it('every message gets config_missing naming the line and the reason; nothing is sent', async function () {
      // An account on the loopback sandbox, so that "nothing is sent" is checked where a send would arrive.
      const account = { provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url };
      const { send, fail } = await loadSendFlow(sendFlow(account, { blockedPatterns: 'ok\nfree(?= money)' }), { acct: { clientId: 'c', clientSecret: 's' } });
      send.receive({ to: '+12025550123', payload: 'free money' });
      const [msg] = await fail.wait(1);
      msg.error.code.should.equal('config_missing');
      msg.error.message.should.match(/line 2 uses a lookahead/);
      sandbox.server.requests.should.be.empty();
    });

    it("the dialog's check route gives the runtime's verdict", async function () {
      await loadSendFlow(sendFlow({ provider: 'sandbox' }));
      const bad = await helper.request().post('/agentless-sms/patterns/check').send({ patterns: '(a)\\1' }).expect(200);
      bad.body.should.containDeep({ ok: false });
      bad.body.message.should.match(/line 1 uses a backreference/);
      (await helper.request().post('/agentless-sms/patterns/check').send({ patterns: `${EVIL}\n# note\n\\bwin\\b` }).expect(200)).body.should.eql({ ok: true });
      await helper.request().post('/agentless-sms/patterns/check').send({ patterns: 42 }).expect(400);
    });
  });
});
