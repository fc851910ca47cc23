/**
 * The shipped example "06 - Queue-based conversation with a signed-in user" on the in-process sandbox:
 * before anyone signs in, its message fails with auth_failed (nothing sent); after a sandbox user signs in
 * through the account's admin routes (as the dialog's button does), the same inject goes out on the queue
 * and reaches the "accepted" output with the conversation's ids. Core nodes are swapped for test helpers;
 * the package's nodes are used as shipped.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import { ALL_NODES, Capture, helper, type Msg } from '../helpers/flow';
import { httpRequest, sandboxAuthorize } from '../helpers/sandbox-sign-in';

const FILE = path.resolve(__dirname, '..', '..', 'examples', '06 - Queue-based conversation with a signed-in user.json');

describe('example: 06 - Queue-based conversation with a signed-in user', function () {
  this.timeout(20_000);
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  it('fails with auth_failed before signing in, and sends on the queue after a sandbox user signed in', async function () {
    const shipped: Msg[] = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    shipped.forEach((n) => should(n.credentials).be.undefined());
    const flow = shipped.filter((n) => n.type !== 'comment').map((n) => (['inject', 'debug'].includes(n.type) ? { id: n.id, z: n.z, type: 'helper', name: n.name, wires: n.wires ?? [] } : n));
    await helper.load(ALL_NODES, flow, {});
    const byName = (re: RegExp) => shipped.find((n) => re.test(n.name ?? ''))!.id;
    const accepted = new Capture(helper.getNode(byName(/^accepted/)));
    const failed = new Capture(helper.getNode(byName(/^failed/)));
    const inject = shipped.find((n) => n.type === 'inject')!;
    const fire = () => helper.getNode(inject.id).send({ to: inject.props[1].v, payload: inject.payload });
    const account = shipped.find((n) => n.type === 'agentless-account')!;

    fire();
    const [before] = await failed.wait(1, 8000);
    before.error.code.should.equal('auth_failed');

    // The dialog's "Sign in with Genesys Cloud": start, the sandbox's sign-in page, the callback.
    const start = await helper
      .request()
      .post(`/agentless-sms/accounts/${account.id}/sign-in`)
      .send({ provider: 'sandbox', redirectUri: `${helper.url()}/agentless-sms/oauth/callback` })
      .expect(200);
    const url = new URL(start.body.url);
    const page = await httpRequest(url.toString(), 'GET');
    page.status.should.equal(200);
    page.body.should.containEql('Sam Sandbox');
    const back = await sandboxAuthorize(url.origin, url.searchParams.get('client_id')!, url.searchParams.get('redirect_uri')!, url.searchParams.get('state')!);
    const cb = await helper.request().get(`/agentless-sms/oauth/callback${back.search}`).set('Cookie', String(start.headers['set-cookie']).split(';')[0]);
    cb.status.should.equal(200);
    cb.text.should.containEql('Signed in as Sam Sandbox');

    fire();
    const [ok] = await accepted.wait(1, 8000);
    ok.sms.should.containDeep({ to: '+12025550123', provider: 'sandbox', status: 'queued' });
    ok.sms.conversationId.should.be.a.String();
    ok.sms.communicationId.should.be.a.String();
  });
});
