/**
 * The shipped example "03 - Delivery receipts to CRM and alerts" and its reply branch: a reply "C" to a
 * message sent with a booking id in its metadata reaches "Booking confirmed" with that id (from
 * msg.sms.inReplyTo), any other reply reaches "Other replies". The example's receiver, switch and
 * function run as shipped (debug nodes swapped for test helpers); the test adds the account that the
 * comment tells users to set, and a send-sms to send the original message.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import request from 'supertest';
import { signStandardWebhook } from '../../src/webhook/signature';
import { ALL_NODES, Capture, helper, sendFlow, type Msg, useLoopbackSandbox } from '../helpers/flow';
import { builtNode } from '../helpers/built';

const receiverModule = builtNode('agentless-webhook-receiver');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const functionNode = require('@node-red/nodes/core/function/10-function.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const switchNode = require('@node-red/nodes/core/function/10-switch.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require('@node-red/nodes/core/function/15-change.js');
const FILE = path.resolve(__dirname, '..', '..', 'examples', '03 - Delivery receipts to CRM and alerts.json');
const CREDS = { clientId: 'client-1', clientSecret: 'secret-1' };
const SECRET = 'whsec_' + Buffer.from('example-03-secret-32-bytes!!!!!!').toString('base64');

let httpNode: Parameters<typeof request>[0];
function receiver(RED: { httpNode: typeof httpNode }) {
  httpNode = RED.httpNode;
  return receiverModule(RED);
}

describe('example: 03 - Delivery receipts to CRM and alerts (replies)', function () {
  this.timeout(20_000);
  const sandbox = useLoopbackSandbox({ credentials: CREDS, queuedToSentMs: 5000, sentToFinalMs: 5000 }, { userDir: true });

  it('wires output 5 (reply) into the reply branch', () => {
    const flow: Msg[] = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const rx = flow.find((n) => n.type === 'agentless-webhook-receiver')!;
    rx.wires.should.have.length(5);
    flow.find((n) => n.id === rx.wires[4][0])!.should.containDeep({ type: 'switch', name: 'Reply C?' });
  });

  it('a reply C confirms the booking of the message it answers; another reply goes to "Other replies"', async function () {
    const shipped: Msg[] = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const byName = (name: string) => shipped.find((n) => n.name === name)!.id;
    const tab = shipped.find((n) => n.type === 'tab')!.id;
    const flow = [
      ...shipped
        .filter((n) => n.type !== 'comment')
        .map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper', name: n.name, wires: [] } : n))
        .map((n) => (n.type === 'agentless-webhook-receiver' ? { ...n, account: 'acct' } : n)),
      ...sendFlow({ provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url }).filter((n) => n.type !== 'tab').map((n) => (n.z ? { ...n, z: tab } : n)),
    ];
    const rxId = shipped.find((n) => n.type === 'agentless-webhook-receiver')!.id;
    await helper.load([...ALL_NODES, receiver, functionNode, switchNode, changeNode], flow, { acct: CREDS, [rxId]: { secret: SECRET } });
    const confirmed = new Capture(helper.getNode(byName('Booking confirmed')));
    const others = new Capture(helper.getNode(byName('Other replies (STOP/START already applied)')));

    helper.getNode('send').receive({ to: '+12025550123', payload: 'Dentist tomorrow 10:00. Reply C to confirm.', sms: { metadata: { bookingId: 'bk-42' } } });
    const [sent] = await new Capture(helper.getNode('ok')).wait(1);

    const post = (id: string, text: string) => {
      const body = JSON.stringify({ type: 'message.inbound', id, data: { from: '+12025550123', to: '+12025550100', text } });
      const ts = Math.floor(Date.now() / 1000);
      return request(httpNode)
        .post('/agentless/status')
        .set({ 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, id, ts, body) })
        .send(body);
    };
    (await post('in-1', ' c ')).status.should.equal(200);
    (await post('in-2', 'What time again?')).status.should.equal(200);
    const [ok] = await confirmed.wait(1);
    // Built inside the function node's sandbox (another realm): no .should getter on it.
    should(ok.payload).containDeep({ confirmed: 'bk-42', by: '+12025550123', answering: sent.sms.id });
    const [other] = await others.wait(1);
    other.sms.should.containDeep({ direction: 'inbound', text: 'What time again?' });
    should(confirmed.msgs.length).equal(1);
  });
});
