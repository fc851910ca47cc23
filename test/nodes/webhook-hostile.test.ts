/**
 * The webhook receiver against hostile senders, in a real runtime over HTTP: far-future timestamps,
 * replays with a fresh unsigned id header, pre-claimed ids, empty Standard Webhooks keys, and receiver
 * paths on Node-RED's admin routes (also under the default settings, where they would break deploys).
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import request from 'supertest';
import { hmacSha256Hex, signStandardWebhook } from '../../src/webhook/signature';
import { builtNode } from '../helpers/built';
import { ALL_NODES, Capture, helper, sendFlow, sleep, type Msg, useLoopbackSandbox } from '../helpers/flow';
import { RedProcess } from '../helpers/red-process';

const receiverModule = builtNode('agentless-webhook-receiver');
const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };
const WHSEC = 'whsec_' + Buffer.from('hostile-webhook-test-secret-32b!').toString('base64');
const HMAC = 'hmac-shared-secret-for-tests';
const TO = '+12025550123';

let httpNode: Parameters<typeof request>[0];
function receiver(RED: { httpNode: typeof httpNode }) {
  httpNode = RED.httpNode;
  return receiverModule(RED);
}

function inbound(id: string, text: string, timestamp: string): string {
  return JSON.stringify({ type: 'message.inbound', id, data: { from: TO, to: '+12025550100', text, timestamp } });
}

describe('webhook receiver: hostile input', function () {
  this.timeout(30_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 10_000, sentToFinalMs: 10_000 }, { userDir: true });
  const account = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });

  async function load(rx: Record<string, unknown>, secret: string) {
    const flow: Msg[] = [
      ...sendFlow(account()),
      { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name: '', path: '/sms/in', auth: 'standard-webhooks', account: 'acct', wires: [[], [], ['rxOther'], [], ['rxOther']], ...rx },
      { id: 'rxOther', z: 'tab', type: 'helper' },
    ];
    await helper.load([...ALL_NODES, receiver], flow, { acct: CREDS, rx: { secret } });
    return { send: helper.getNode('send'), ok: new Capture(helper.getNode('ok')), fail: new Capture(helper.getNode('fail')), other: new Capture(helper.getNode('rxOther')) };
  }
  /**
   * Calls a node made of Node.prototype.error / .status (the test helper turns them into spies; its RED._
   * returns the i18n key). Read from a node that exists in the flow, since they are shared spies.
   */
  type Spy = { getCalls(): { thisValue: { id?: string }; args: unknown[] }[] };
  const callsOf = (method: 'error' | 'status', id: string): unknown[] => {
    const anyNode = helper.getNode(id) as unknown as Record<string, Spy>;
    return anyNode[method].getCalls().filter((c) => c.thisValue?.id === id).map((c) => c.args[0]);
  };
  const errorsOf = (id: string): string[] => callsOf('error', id).map(String);
  const statusesOf = (id: string): unknown[] => callsOf('status', id);
  const optedOut = async () => (await helper.getNode('acct').runtime.optOutStore()).isOptedOut(TO);

  function postStandard(id: string, body: string) {
    const ts = Math.floor(Date.now() / 1000);
    return request(httpNode)
      .post('/sms/in')
      .set({ 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(WHSEC, id, ts, body) })
      .send(body);
  }
  function postHmac(headerId: string, body: string) {
    return request(httpNode).post('/sms/in').set({ 'content-type': 'application/json', 'webhook-id': headerId, 'x-signature-256': hmacSha256Hex(HMAC, body) }).send(body);
  }

  it('clamps a far-future inbound timestamp: a START dated 275760 does not make the next STOP stale', async function () {
    await load({}, WHSEC);
    (await postStandard('e-1', inbound('m-1', 'START', '+275760-09-13T00:00:00.000Z'))).status.should.equal(200);
    (await postStandard('e-2', inbound('m-2', 'STOP', new Date().toISOString()))).status.should.equal(200);
    (await optedOut()).should.be.true();
    // The list records the clamped time, not the forged one.
    const file = fs.readFileSync(path.join(sandbox.userDir, 'agentless-sms', 'accounts', 'acct', 'opt-outs.jsonl'), 'utf8');
    for (const line of file.trim().split('\n')) JSON.parse(line).at.should.be.below(Date.now() + 10 * 60_000);
  });

  it('a slightly early platform clock still orders changes by the event time', async function () {
    await load({}, WHSEC);
    const now = Date.now();
    (await postStandard('e-1', inbound('m-1', 'STOP', new Date(now + 60_000).toISOString()))).status.should.equal(200);
    // Received later but dated earlier (a late retry of an older START): stays stale.
    (await postStandard('e-2', inbound('m-2', 'START', new Date(now).toISOString()))).status.should.equal(200);
    (await optedOut()).should.be.true();
  });

  describe('hmac-sha256 dedupes on the signed body, not the unsigned webhook-id header', function () {
    it('a captured STOP replayed with a fresh webhook-id does not opt the number out again', async function () {
      const { other } = await load({ auth: 'hmac-sha256' }, HMAC);
      const stop = inbound('m-stop', 'STOP', new Date(Date.now() - 1000).toISOString());
      (await postHmac('h-1', stop)).body.status.should.equal('accepted');
      (await postHmac('h-2', inbound('m-start', 'START', new Date().toISOString()))).body.status.should.equal('accepted');
      (await optedOut()).should.be.false();
      const replay = await postHmac('h-3-fresh', stop);
      replay.status.should.equal(200);
      replay.body.status.should.equal('duplicate');
      (await optedOut()).should.be.false();
      await sleep(100);
      other.msgs.should.have.length(2);
    });

    it('nobody can pre-claim a future event id through the header', async function () {
      const { other } = await load({ auth: 'hmac-sha256' }, HMAC);
      const old = inbound('m-old', 'hello', new Date().toISOString());
      (await postHmac('h-old', old)).body.status.should.equal('accepted');
      // An attacker replays a captured body, naming the id the platform will use next.
      (await postHmac('h-next', old)).body.status.should.equal('duplicate');
      const genuine = await postHmac('h-next', inbound('m-new', 'a new message', new Date().toISOString()));
      genuine.body.status.should.equal('accepted');
      const msgs = await other.wait(2);
      msgs.map((m) => m.sms.text).should.eql(['hello', 'a new message']);
    });

    it('shared-secret mode dedupes on the body too', async function () {
      const { other } = await load({ auth: 'shared-secret' }, HMAC);
      const body = inbound('m-1', 'STOP', new Date().toISOString());
      const post = (id: string) => request(httpNode).post('/sms/in').set({ 'content-type': 'application/json', 'webhook-id': id, 'x-webhook-secret': HMAC }).send(body);
      (await post('s-1')).body.status.should.equal('accepted');
      (await post('s-2')).body.status.should.equal('duplicate');
      await sleep(100);
      other.msgs.should.have.length(1);
    });
  });

  it('refuses a Standard Webhooks key under 16 bytes: red status, 401 even for requests signed with it', async function () {
    const weak = 'whsec_';
    const { other } = await load({}, weak);
    const body = inbound('m-1', 'STOP', new Date().toISOString());
    const ts = Math.floor(Date.now() / 1000);
    const res = await request(httpNode)
      .post('/sms/in')
      .set({ 'content-type': 'application/json', 'webhook-id': 'e-1', 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(weak, 'e-1', ts, body) })
      .send(body);
    res.status.should.equal(401);
    (await optedOut()).should.be.false();
    should(other.msgs).be.empty();
    errorsOf('rx').should.containEql('agentless-webhook-receiver.errors.weak-secret');
    statusesOf('rx').should.containEql({ fill: 'red', shape: 'ring', text: 'agentless-webhook-receiver.status.weak-secret' });
  });

  it('a 15-byte key is refused and a 16-byte key works', async function () {
    for (const [len, expected] of [
      [15, 401],
      [16, 200],
    ] as const) {
      const secret = 'whsec_' + Buffer.alloc(len, 7).toString('base64');
      await load({}, secret);
      const body = inbound(`m-${len}`, 'hi', new Date().toISOString());
      const ts = Math.floor(Date.now() / 1000);
      const res = await request(httpNode)
        .post('/sms/in')
        .set({ 'content-type': 'application/json', 'webhook-id': `e-${len}`, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(secret, `e-${len}`, ts, body) })
        .send(body);
      res.status.should.equal(expected);
      await helper.unload();
    }
  });

  it('does not register a receiver on an admin route (/flows, /settings/x): red status, no route', async function () {
    const flow: Msg[] = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', path: '/Flows/', auth: 'none', wires: [[], [], [], []] },
      { id: 'rx2', z: 'tab', type: 'agentless-webhook-receiver', path: 'settings/x', auth: 'none', wires: [[], [], [], []] },
      { id: 'rx3', z: 'tab', type: 'agentless-webhook-receiver', path: '/flowsheet', auth: 'none', wires: [[], [], [], []] },
    ];
    await helper.load([receiver], flow);
    for (const id of ['rx', 'rx2']) {
      errorsOf(id).should.containEql('agentless-webhook-receiver.errors.admin-path');
      statusesOf(id).should.containEql({ fill: 'red', shape: 'ring', text: 'agentless-webhook-receiver.status.admin-path' });
    }
    errorsOf('rx3').should.be.empty();
    const body = JSON.stringify({ id: 'x', status: 'delivered' });
    (await request(httpNode).post('/flows').set('content-type', 'application/json').send(body)).status.should.equal(404);
    (await request(httpNode).post('/settings/x').set('content-type', 'application/json').send(body)).status.should.equal(404);
    // A path that only starts with the same letters is fine.
    (await request(httpNode).post('/flowsheet').set('content-type', 'application/json').send(body)).status.should.equal(200);
  });

  describe('under the default settings (editor and http nodes both at "/")', function () {
    this.timeout(60_000);
    let red: RedProcess;
    before(async function () {
      red = new RedProcess('agentless-admin-path-');
      await red.start();
    });
    after(async function () {
      await red.stop();
      fs.rmSync(red.userDir, { recursive: true, force: true });
    });

    it('a receiver at /flows is refused, so the next deploy still works', async function () {
      const flows = (p: string, name: string) => [
        { id: 'tab', type: 'tab', label: name },
        { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name, path: p, auth: 'none', wires: [[], [], [], []] },
      ];
      await red.deploy(flows('/flows', 'first'));
      await red.deploy(flows('/sms/status', 'second'));
      const got = JSON.parse((await red.req('GET', '/flows')).body) as { name?: string }[];
      got.find((n) => n.name === 'second')!.should.be.ok();
      red.log.should.match(/admin route \/flows/);
    });
  });
});
