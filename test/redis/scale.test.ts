/**
 * Three real Node-RED processes run the same flow against one Genesys-compatible sandbox and one
 * redis-server, with the account's coordination set to Redis: together they respect one request budget,
 * a 429 seen by one pauses all, a SIGKILLed instance's messages are dispatched by the others without
 * loss or duplicates, and a webhook event posted to two instances is emitted once.
 * The budget window is shortened to 2 s through the test-only setting `agentlessSms.budgetWindowMs`.
 */
import fs from 'fs';
import path from 'path';
import 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { Collector, RedProcess, sleep, until, enqueueNodes } from '../helpers/red-process';
import { RedisServer } from '../helpers/redis-server';
import { maxInWindow } from '../../bench/lib/stats';

const CREDS = { clientId: 'scale-client', clientSecret: 'scale-secret' };
const WINDOW_MS = 2000;
const BUDGET = 6;

describe('three Node-RED instances coordinated through Redis', function () {
  this.timeout(60_000);
  const redis = new RedisServer();
  const reds = [new RedProcess('agentless-scale-'), new RedProcess('agentless-scale-'), new RedProcess('agentless-scale-')];
  const collector = new Collector();
  let server: SandboxServer;

  const sends = () => server.requests.filter((r) => r.method === 'POST' && /agentless/.test(r.path));
  const reports = (prefix: string) => collector.items.filter((r) => typeof r.n === 'string' && r.n.startsWith(prefix));
  const enqueue = async (red: RedProcess, prefix: string, count: number, key?: string) => {
    const r = await red.req('POST', '/enqueue', JSON.stringify({ prefix, count, key }), { 'content-type': 'application/json' });
    r.status.should.equal(202);
  };

  before(async function () {
    await redis.start();
    server = new SandboxServer({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
    const url = await server.start();
    const collectorUrl = await collector.start();
    const flow = [
      { id: 't', type: 'tab', label: 'scale' },
      {
        id: 'acct',
        type: 'agentless-account',
        name: 'Genesys shared',
        provider: 'genesys-cloud',
        region: 'mypurecloud.com',
        apiBaseUrl: url,
        authBaseUrl: url,
        requestsPerMinute: BUDGET,
        coordination: 'redis',
        redisUrl: redis.url,
        redisKeyPrefix: 'scale-test:',
        redisLease: 2,
        credentials: CREDS,
      },
      { id: 'sender', type: 'agentless-sender', name: 'Main number', account: 'acct', fromAddress: '+12025550100', mode: 'agentless', ratePerSecond: 50, burst: 5, queueLimit: 1000 },
      ...enqueueNodes(
        `const out = []; for (let i = 0; i < msg.payload.count; i++) out.push({ to: '+12025550123', payload: 'scale ' + msg.payload.prefix + i, n: msg.payload.prefix + i, ...(msg.payload.key ? { sms: { idempotencyKey: msg.payload.key } } : {}) }); return [out];`,
      ),
      { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['report1'], ['report2']] },
      { id: 'report1', z: 't', type: 'function', outputs: 1, wires: [['post']], func: `msg.payload = { out: 1, n: msg.n, id: msg.sms.id, dup: msg.sms.duplicate === true }; return msg;` },
      { id: 'report2', z: 't', type: 'function', outputs: 1, wires: [['post']], func: `msg.payload = { out: 2, n: msg.n, code: msg.error && msg.error.code }; return msg;` },
      { id: 'hook', z: 't', type: 'agentless-webhook-receiver', path: '/hook', auth: 'none', account: 'acct', wires: [['hookReport'], ['hookReport'], ['hookReport'], []] },
      { id: 'hookReport', z: 't', type: 'function', outputs: 1, wires: [['post']], func: `msg.payload = { hook: msg.webhook.eventId }; return msg;` },
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
    ];
    for (const red of reds) {
      // The shortened window for every instance (test-only setting).
      const file = path.join(red.userDir, 'settings.js');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^module\.exports = \{/, `module.exports = {"agentlessSms":{"budgetWindowMs":${WINDOW_MS}},`));
    }
    await Promise.all(reds.map((r) => r.start()));
    await Promise.all(reds.map((r) => r.deploy(flow)));
    // Flows are running once the http-in route answers.
    for (const red of reds) {
      await waitRoute(red);
    }
  });

  async function waitRoute(red: RedProcess): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const r = await red.req('POST', '/enqueue', JSON.stringify({ prefix: 'warm', count: 0 }), { 'content-type': 'application/json' });
      if (r.status === 202) return;
      await sleep(50);
    }
    throw new Error('flow did not start');
  }

  after(async function () {
    for (const red of reds) await red.dispose();
    await collector.stop();
    await server.stop();
    await redis.stop();
  });

  it('shares one request budget: no window holds more than the budget, every message sent once', async () => {
    await Promise.all(reds.map((red, i) => enqueue(red, `b${i}-`, 5)));
    (await until(() => reports('b').length >= 15, 20_000)).should.be.true(`only ${reports('b').length} of 15 outcomes`);
    reports('b')
      .every((r) => r.out === 1)
      .should.be.true(JSON.stringify(reports('b').filter((r) => r.out !== 1)));
    const times = sends().map((r) => r.at);
    times.length.should.equal(15);
    // Arrival times at the platform: 100 ms of slack for the trip from the grant to the sandbox.
    maxInWindow(times, WINDOW_MS - 100).should.be.belowOrEqual(BUDGET);
    new Set(server.state.messages.map((m) => JSON.stringify(m.request))).size.should.equal(15);
  });

  it('pauses every instance after a 429 seen by one', async () => {
    await sleep(WINDOW_MS);
    server.control({ faults: [{ status: 429, count: 1, retryAfter: 2, path: 'agentless' }] });
    const before = sends().length;
    await Promise.all(reds.map((red, i) => enqueue(red, `p${i}-`, 2)));
    (await until(() => reports('p').length >= 6, 20_000)).should.be.true(`only ${reports('p').length} of 6 outcomes`);
    reports('p')
      .every((r) => r.out === 1)
      .should.be.true();
    const after = sends().slice(before);
    const limited = after.findIndex((r) => r.status === 429);
    limited.should.be.aboveOrEqual(0);
    const t429 = after[limited].at;
    // Retry-After 2 s: nothing from any instance inside it (the answer's own record time is its start).
    // Requests already granted when the 429 came back cannot be recalled: they may land just after it.
    const inside = after.slice(limited + 1).filter((r) => r.at > t429 + 100 && r.at < t429 + 2000 - 50);
    inside.should.have.length(0);
  });

  it('loses nothing and sends nothing twice when an instance is killed with messages queued', async () => {
    await sleep(WINDOW_MS);
    const texts0 = server.state.messages.length;
    await enqueue(reds[0], 'k-', 12);
    (await until(() => server.state.messages.length >= texts0 + 2, 10_000)).should.be.true();
    await reds[0].stop('SIGKILL');
    const textOf = (m: { request: Record<string, unknown> }) => JSON.stringify(m.request);
    const sentN = () =>
      new Set(
        server.state.messages
          .slice(texts0)
          .map((m) => (/scale (k-\d+)/.exec(textOf(m)) ?? [])[1])
          .filter(Boolean),
      );
    const reported = () => new Set(reports('k').map((r) => r.n));
    // Every message ends reported, or at least sent: an outcome the killed instance had just handed to
    // its own flow when it died cannot reach the collector (that flow died with it), but nothing is lost.
    const settled = () => [...Array(12).keys()].every((i) => reported().has(`k-${i}`) || sentN().has(`k-${i}`));
    (await until(settled, 30_000)).should.be.true(`not settled: ${JSON.stringify(reports('k'))} sent ${[...sentN()]}`);
    await until(() => reported().size >= 12, 3000);
    reported().size.should.be.aboveOrEqual(11, 'at most the one outcome in the dying flow may be missing');
    const texts = server.state.messages.slice(texts0).map(textOf);
    new Set(texts).size.should.equal(texts.length, 'a message reached the platform twice');
    const byN = new Map<string, Set<string>>();
    for (const r of reports('k')) {
      if (!byN.has(r.n)) byN.set(r.n, new Set());
      byN.get(r.n)!.add(r.out === 1 ? 'accepted' : r.code);
    }
    for (const [n, kinds] of byN) {
      kinds.size.should.equal(1, `${n} came out as ${[...kinds]}`);
      ['accepted', 'ambiguous_send'].should.containEql([...kinds][0]);
    }
    // Accepted ones were really sent.
    [...byN.values()].filter((k) => k.has('accepted')).length.should.be.belowOrEqual(texts.length);
  });

  it('emits a webhook event posted to two instances once', async () => {
    const body = JSON.stringify({
      type: 'message.status',
      id: 'evt-scale-1',
      data: { id: 'msg-scale-1', conversationId: 'c', to: '+12025550123', from: '+12025550100', status: 'delivered', normalizedReceipts: [], timestamp: '2024-01-01T00:00:00Z' },
    });
    const [a, b] = await Promise.all([reds[1].req('POST', '/hook', body, { 'content-type': 'application/json' }), reds[2].req('POST', '/hook', body, { 'content-type': 'application/json' })]);
    [a.status, b.status].should.eql([200, 200]);
    [JSON.parse(a.body).status, JSON.parse(b.body).status].sort().should.eql(['accepted', 'duplicate']);
    await sleep(500);
    collector.items.filter((r) => r.hook === 'evt-scale-1').should.have.length(1);
  });

  it('sends one idempotency key once when two instances get it at the same moment; the other reports a duplicate', async () => {
    await sleep(WINDOW_MS);
    for (let round = 0; round < 4; round++) {
      const [a, b] = [`i${round}a-`, `i${round}b-`];
      await Promise.all([enqueue(reds[1], a, 1, `same-${round}`), enqueue(reds[2], b, 1, `same-${round}`)]);
      const both = () => [...reports(a), ...reports(b)];
      (await until(() => both().length >= 2, 20_000)).should.be.true(`round ${round}: ${JSON.stringify(both())}`);
      both()
        .every((r) => r.out === 1)
        .should.be.true(JSON.stringify(both()));
      const texts = server.state.messages.map((m) => JSON.stringify(m.request)).filter((t) => t.includes(`scale i${round}`));
      texts.should.have.length(1, `round ${round}: the key reached the platform ${texts.length} times`);
      both()
        .filter((r) => r.dup)
        .should.have.length(1);
      new Set(both().map((r) => r.id)).size.should.equal(1, 'the duplicate carries the id of the message that was sent');
    }
  });
});
