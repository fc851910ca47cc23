/**
 * Compliance gates in a real runtime against a Genesys-compatible server on loopback: every refused
 * text leaves on output 2 with its code and never reaches the platform; a STOP posted to the webhook
 * receiver blocks the next send; quiet hours hold a message (also across a restart) until the window opens.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import request from 'supertest';
import { signStandardWebhook } from '../../src/webhook/signature';
import { ALL_NODES, Capture, helper, sendFlow, sleep, type Msg, useLoopbackSandbox } from '../helpers/flow';
import { builtNode } from '../helpers/built';

const receiverModule = builtNode('agentless-webhook-receiver');
const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };
const SECRET = 'whsec_' + Buffer.from('compliance-test-secret-32-bytes!').toString('base64');
const TO = '+12025550123';

let httpNode: Parameters<typeof request>[0];
function receiver(RED: { httpNode: typeof httpNode }) {
  httpNode = RED.httpNode;
  return receiverModule(RED);
}

describe('compliance gates through send-sms', function () {
  this.timeout(20_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 10_000, sentToFinalMs: 10_000 }, { userDir: true });

  const account = () => ({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url });
  const sent = () => sandbox.server.state.messages.map((m) => m.textBody);

  function flow(sender: Record<string, unknown> = {}): Msg[] {
    return [
      ...sendFlow(account(), sender),
      { id: 'rx', z: 'tab', type: 'agentless-webhook-receiver', name: '', path: '/sms/in', auth: 'standard-webhooks', account: 'acct', wires: [[], [], [], [], ['rxOther']] },
      { id: 'rxOther', z: 'tab', type: 'helper' },
    ];
  }
  async function load(sender: Record<string, unknown> = {}) {
    await helper.load([...ALL_NODES, receiver], flow(sender), { acct: CREDS, rx: { secret: SECRET } });
    return { send: helper.getNode('send'), ok: new Capture(helper.getNode('ok')), fail: new Capture(helper.getNode('fail')) };
  }
  function postInbound(eventId: string, from: string, text: string) {
    const body = JSON.stringify({ type: 'message.inbound', id: eventId, data: { from, to: '+12025550100', text, timestamp: new Date().toISOString() } });
    const ts = Math.floor(Date.now() / 1000);
    return request(httpNode)
      .post('/sms/in')
      .set({ 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, eventId, ts, body) })
      .send(body);
  }

  it('a STOP received by the webhook receiver blocks the next send with opted_out; START lifts it', async function () {
    const { send, ok, fail } = await load();
    const other = new Capture(helper.getNode('rxOther'));
    const res = await postInbound('in-1', '+1 (202) 555-0123', ' Stop! ');
    should(res.status).equal(200);
    const [event] = await other.wait(1);
    event.sms.should.containDeep({ direction: 'inbound', keyword: 'STOP', optedOut: true, from: '+1 (202) 555-0123' });
    // Durable before the ack: the list file holds the number.
    fs.readFileSync(path.join(sandbox.userDir, 'agentless-sms', 'accounts', 'acct', 'opt-outs.jsonl'), 'utf8').should.match(/\+12025550123/);

    send.receive({ to: TO, payload: 'promo' });
    const [refused] = await fail.wait(1);
    refused.error.code.should.equal('opted_out');
    refused.sms.compliance.should.containDeep({ blocked: 'opted_out', rules: [{ rule: 'opt-out', result: 'fired' }] });
    sent().should.be.empty();

    (await postInbound('in-2', TO, 'START')).status.should.equal(200);
    send.receive({ to: TO, payload: 'welcome back' });
    const [accepted] = await ok.wait(1);
    accepted.sms.compliance.rules.should.containDeep([{ rule: 'opt-out', result: 'pass' }]);
    sent().should.eql(['welcome back']);
  });

  it('msg.sms.optOut / optIn edit the list without sending (output 1), and opt-outs apply to every send', async function () {
    const { send, ok, fail } = await load();
    send.receive({ to: '(202) 555-0123', sms: { optOut: true, to: TO } });
    const [cmd] = await ok.wait(1);
    cmd.sms.should.eql({ to: TO, command: 'opt-out', optedOut: true, changed: true, status: 'opted-out', provider: 'genesys-cloud' });
    send.receive({ to: TO, payload: 'hi' });
    (await fail.wait(1))[0].error.code.should.equal('opted_out');
    send.receive({ to: TO, sms: { optIn: true } });
    const [, back] = await ok.wait(2);
    back.sms.status.should.equal('opted-in');
    send.receive({ to: TO, sms: { optOut: 'yes' } });
    (await fail.wait(2))[1].error.code.should.equal('invalid_request');
    sent().should.be.empty();
  });

  it('content gates: footer required / appended, shorteners, segments, UCS-2', async function () {
    const { send, ok, fail } = await load({ footerMode: 'require', optOutFooter: 'Reply STOP to opt out', blockShorteners: true, maxSegments: 1, ucs2Mode: 'reject' });
    send.receive({ to: TO, payload: 'Sale today' });
    send.receive({ to: TO, payload: 'Sale at bit.ly/x. Reply STOP to opt out' });
    send.receive({ to: TO, payload: 'x'.repeat(200) + ' Reply STOP to opt out' });
    send.receive({ to: TO, payload: 'It\u2019s on. Reply STOP to opt out' });
    send.receive({ to: TO, payload: 'Sale today. Reply stop to opt out' });
    const refused = await fail.wait(4);
    refused.map((m) => m.error.code).should.eql(['missing_opt_out_text', 'content_blocked', 'too_many_segments', 'content_blocked']);
    refused[3].sms.compliance.rules.should.containDeep([{ rule: 'ucs2', result: 'fired' }]);
    await ok.wait(1);
    sent().should.eql(['Sale today. Reply stop to opt out']);
  });

  it('content gates change the text: footer appended and smart quotes transliterated, segments recounted', async function () {
    const { send, ok } = await load({ footerMode: 'append', ucs2Mode: 'transliterate' });
    send.receive({ to: TO, payload: 'It\u2019s \u201Con\u201D\u00A0now' });
    const [m] = await ok.wait(1);
    sent().should.eql(['It\'s "on" now\nReply STOP to opt out']);
    m.sms.encoding.should.equal('GSM-7');
    m.sms.compliance.rules.map((r: Msg) => `${r.rule}:${r.result}`).should.eql(['transliterate:changed', 'opt-out-footer:changed', 'opt-out:pass']);
  });

  it('imports and exports the opt-out list as CSV through the admin routes; imported numbers are refused', async function () {
    const { send, fail } = await load();
    const imp = await helper.request().post('/agentless-sms/accounts/acct/opt-outs').send({ csv: 'number\n+1 202 555 0123\nnope\n' }).expect(200);
    imp.body.should.containDeep({ added: 1, total: 1, rejectedCount: 1, rejected: [{ line: 3 }] });
    const csv = await helper.request().get('/agentless-sms/accounts/acct/opt-outs.csv').expect(200);
    csv.text.should.match(/^number,opted_out_at,source\r\n\+12025550123,/);
    await helper.request().get('/agentless-sms/accounts/nope/opt-outs.csv').expect(404);
    send.receive({ to: TO, payload: 'hi' });
    (await fail.wait(1))[0].error.code.should.equal('opted_out');
    sent().should.be.empty();
  });

  it('quiet hours with action fail: refused with quiet_hours, nothing sent', async function () {
    // A one-minute window twelve hours away from now (UTC) is surely closed.
    const h = (new Date().getUTCHours() + 12) % 24;
    const start = `${String(h).padStart(2, '0')}:00`;
    const { send, fail } = await load({ quietHours: true, quietStart: start, quietEnd: `${String(h).padStart(2, '0')}:01`, timeZone: 'UTC', quietAction: 'fail' });
    send.receive({ to: TO, payload: 'late' });
    const [m] = await fail.wait(1);
    m.error.code.should.equal('quiet_hours');
    m.error.retryable.should.be.true();
    sent().should.be.empty();
  });

  it('quiet hours with action hold: held in the durable queue across a restart, sent when the window opens', async function () {
    // Test-only clock hook: the window (08:00-21:00 Chicago) opens 2.5 s after the test starts.
    const opensAt = Date.parse('2024-01-15T14:00:00Z');
    const realStart = Date.now();
    const complianceClock = { now: () => opensAt - 2500 + (Date.now() - realStart) };
    helper.settings({ userDir: sandbox.userDir, agentlessSms: { complianceClock } });
    const sender = { quietHours: true, quietStart: '08:00', quietEnd: '21:00', timeZone: 'America/Chicago', quietAction: 'hold' };
    const first = await load(sender);
    first.send.receive({ to: TO, payload: 'good morning' });
    await sleep(400);
    sent().should.be.empty();
    first.ok.msgs.should.be.empty();
    first.fail.msgs.should.be.empty();

    // Restart while held: the message is in the store, not in memory.
    await helper.unload();
    sent().should.be.empty();
    const second = await load(sender);
    await sleep(300);
    sent().should.be.empty();
    const [m] = await second.ok.wait(1, 6000);
    sent().should.eql(['good morning']);
    m.sms.compliance.heldUntil.should.equal('2024-01-15T14:00:00.000Z');
    const sentAt = sandbox.server.requests.filter((r) => r.path.endsWith('/agentless'))[0].at;
    should(complianceClock.now() - (Date.now() - sentAt)).be.aboveOrEqual(opensAt - 50);
    helper.settings({ userDir: sandbox.userDir });
  });
});
