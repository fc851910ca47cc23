/**
 * The shipped example "02 - Send and wait for delivery" runs on the in-process sandbox: its send-sms ->
 * get-status wiring delivers to the "Delivered" output. Core nodes (inject, debug, comment) are swapped
 * for test helpers; the package's nodes and their config are used exactly as shipped, except a shorter
 * poll interval so the test does not wait seconds.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import { ALL_NODES, Capture, helper, type Msg } from '../helpers/flow';
import { builtNode } from '../helpers/built';

const getStatusNode = builtNode('agentless-get-status');
const FILE = path.resolve(__dirname, '..', '..', 'examples', '02 - Send and wait for delivery.json');

describe('example: 02 - Send and wait for delivery', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('ships no credentials and wires send-sms output 1 into get-status', () => {
    const flow: Msg[] = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    flow.forEach((n) => should(n.credentials).be.undefined());
    const send = flow.find((n) => n.type === 'agentless-send-sms')!;
    const status = flow.find((n) => n.type === 'agentless-get-status')!;
    send.wires[0].should.eql([status.id]);
    status.should.containDeep({ messageId: 'sms.id', messageIdType: 'msg', waitForFinal: true });
    status.wires.should.have.length(3);
  });

  it('delivers on the sandbox and reaches the "Delivered" debug node', async function () {
    const shipped: Msg[] = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const flow = shipped
      .filter((n) => n.type !== 'comment')
      .map((n) => (['inject', 'debug'].includes(n.type) ? { id: n.id, z: n.z, type: 'helper', name: n.name, wires: n.wires ?? [] } : n))
      .map((n) => (n.type === 'agentless-get-status' ? { ...n, pollInterval: 0.1 } : n));
    await helper.load([...ALL_NODES, getStatusNode], flow, {});
    const byName = (name: string) => shipped.find((n) => n.name === name)!.id;
    const delivered = new Capture(helper.getNode(byName('Delivered')));
    const inject = shipped.find((n) => n.type === 'inject')!;
    // What the inject node would send, from its own configuration.
    helper.getNode(byName(inject.name)).send({ to: inject.props[0].v, payload: inject.payload });
    const [msg] = await delivered.wait(1, 8000);
    msg.sms.should.containDeep({ to: '+12025550123', status: 'delivered', providerStatus: 'delivery-success', provider: 'sandbox' });
  });
});
