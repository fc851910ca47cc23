/**
 * The sandbox as a platform: validation and error bodies like Genesys Cloud, its own 429, status
 * progression by test-number rule, and the phone page.
 */
import http from 'http';
import should from 'should';
import { SandboxServer } from '../../src/sandbox/server';

describe('sandbox (Genesys Cloud subset)', function () {
  let server: SandboxServer;
  let url: string;
  let token: string;

  before(async function () {
    server = new SandboxServer({ queuedToSentMs: 20, sentToFinalMs: 20 });
    url = await server.start();
  });
  after(() => server.stop());
  beforeEach(async function () {
    server.reset();
    server.control({ requestsPerMinute: 0 });
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: 'Basic ' + Buffer.from('a:b').toString('base64'), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });

  const send = (body: unknown, auth = `Bearer ${token}`) =>
    fetch(`${url}/api/v2/conversations/messages/agentless`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const ok = { fromAddress: '+12025550100', toAddress: '+12025550123', toAddressMessengerType: 'sms', textBody: 'hi' };

  it('refuses a missing or unknown bearer token with 401', async function () {
    (await send(ok, 'Bearer nope')).status.should.equal(401);
    (await send(ok, '')).status.should.equal(401);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['no fromAddress', { ...ok, fromAddress: undefined }, /fromAddress is required/],
    ['no messenger type', { ...ok, toAddressMessengerType: undefined }, /toAddressMessengerType/],
    ['a non-E.164 recipient', { ...ok, toAddress: '2025550123' }, /E\.164/],
    ['no text', { ...ok, textBody: undefined }, /textBody is required/],
    ['766 characters', { ...ok, textBody: 'a'.repeat(766) }, /765/],
  ];
  for (const [what, body, re] of invalid) {
    it(`answers 400 with a Genesys error body for ${what}`, async function () {
      const res = await send(body);
      res.status.should.equal(400);
      const err = (await res.json()) as Record<string, unknown>;
      err.should.have.properties(['message', 'code', 'status', 'contextId']);
      String(err.message).should.match(re);
      server.state.messages.should.be.empty();
    });
  }

  it('moves a message queued -> sent -> delivery-success, and ...99 to delivery-failed', async function () {
    const a = (await (await send(ok)).json()) as { id: string };
    const b = (await (await send({ ...ok, toAddress: '+12025550199' })).json()) as { id: string };
    const get = async (id: string) => (await (await fetch(`${url}/api/v2/conversations/messages/${id}/details`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    // Timers under a loaded machine fire late: wait for the final statuses rather than a fixed time.
    for (let i = 0; i < 150 && (server.state.get(a.id)!.history.length < 3 || server.state.get(b.id)!.history.length < 3); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    String((await get(a.id)).status).should.equal('delivery-success');
    const failed = await get(b.id);
    String(failed.status).should.equal('delivery-failed');
    should(failed.normalizedReceipts).be.an.Array();
    server.state
      .get(a.id)!
      .history.map((h) => h.status)
      .should.eql(['queued', 'sent', 'delivery-success']);
  });

  it('enforces its own rate with 429 and Retry-After', async function () {
    server.control({ requestsPerMinute: 2 });
    (await send(ok)).status.should.equal(202);
    (await send(ok)).status.should.equal(202);
    const third = await send(ok);
    third.status.should.equal(429);
    Number(third.headers.get('retry-after')).should.be.within(1, 60);
    ((await third.json()) as { code: string }).code.should.equal('too.many.requests.retry.after');
  });

  /** A send whose head goes now and whose body trickles in: `finish()` sends the rest and gives its status. */
  const trickled = (textBody: string) => {
    const body = JSON.stringify({ ...ok, textBody });
    const half = Math.floor(body.length / 2);
    const a = http.request(`${url}/api/v2/conversations/messages/agentless`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    const answer = new Promise<number>((resolve, reject) => {
      a.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      a.on('error', reject);
    });
    a.flushHeaders();
    a.write(body.slice(0, half));
    return {
      finish: () => {
        a.end(body.slice(half));
        return answer;
      },
    };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('counts a request against its rate when it arrives, not when its body is in', async function () {
    server.control({ requestsPerMinute: 1 });
    // A's head arrives first and its body trickles in; B arrives whole while A is still being read.
    const t0 = Date.now();
    const a = trickled('first');
    await sleep(150);
    const b = await send({ ...ok, textBody: 'second' });
    b.status.should.equal(429, 'the window was taken by A, which arrived first');
    await sleep(250);
    (await a.finish()).should.equal(202);
    const sends = server.requests.filter((r) => r.path.endsWith('/agentless'));
    const [ra, rb] = [...sends].sort((x, y) => x.at - y.at);
    should(ra.status).equal(202);
    should(rb.status).equal(429);
    // A's stamp is its arrival, before B, though it was answered some 400 ms later than it arrived.
    should(ra.at - t0).be.below(150);
    should(rb.at - ra.at).be.aboveOrEqual(140);
    sends.map((r) => r.status).should.eql([429, 202], 'the log is in the order of the answers');
  });

  it('gives a fault to the request that arrived first, not to the one whose body came in first', async function () {
    server.control({ faults: [{ status: 503, count: 1, path: 'agentless' }] });
    const a = trickled('first');
    await sleep(150);
    (await send({ ...ok, textBody: 'second' })).status.should.equal(202);
    (await a.finish()).should.equal(503);
    server.state.messages.map((m) => m.textBody).should.eql(['second']);
  });

  it('shows what it received on the phone page and as JSON', async function () {
    await send(ok);
    const page = await (await fetch(`${url}/sandbox/phone`)).text();
    page.should.match(/Sandbox phone/);
    const list = (await (await fetch(`${url}/sandbox/messages`)).json()) as { messages: { textBody: string }[] };
    list.messages.map((m) => m.textBody).should.eql(['hi']);
  });
});
