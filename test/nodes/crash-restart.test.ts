/**
 * Durability against a real crash: a child Node-RED with 200 messages queued is killed with SIGKILL and
 * started again on the same user directory. Every message must come out exactly once as accepted or
 * ambiguous_send, and the platform must never receive one twice.
 */
import should from 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { Collector, RedProcess, until, enqueueNodes } from '../helpers/red-process';

const CREDS = { clientId: 'crash-client', clientSecret: 'crash-secret' };
const TOTAL = 200;

describe('send-sms across kill -9 and restart', function () {
  this.timeout(90_000);
  const red = new RedProcess('agentless-crash-');
  const collector = new Collector();
  let server: SandboxServer;

  before(async function () {
    server = new SandboxServer({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
    const url = await server.start();
    const collectorUrl = await collector.start();
    await red.start();
    const report = (out: number) => ({
      id: `report${out}`, z: 't', type: 'function', name: `report ${out}`, outputs: 1, wires: [['post']],
      func: `msg.payload = { out: ${out}, n: msg.n, code: msg.error ? msg.error.code : null, id: msg.sms ? msg.sms.id : null }; return msg;`,
    });
    await red.deploy([
      { id: 't', type: 'tab', label: 'crash' },
      { id: 'acct', type: 'agentless-account', name: 'Genesys on loopback', provider: 'genesys-cloud', region: 'mypurecloud.com', apiBaseUrl: url, authBaseUrl: url, credentials: CREDS },
      { id: 'sender', type: 'agentless-sender', name: 'Main number', account: 'acct', fromAddress: '+12025550100', mode: 'agentless', ratePerSecond: 40, burst: 1, queueLimit: 1000 },
      ...enqueueNodes(`const out = []; for (let i = 0; i < msg.payload.count; i++) out.push({ to: '+12025550123', payload: 'crash test ' + i, n: i }); return [out];`),
      { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['report1'], ['report2']] },
      report(1),
      report(2),
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
    ]);
  });

  after(async function () {
    await red.dispose();
    await collector.stop();
    await server.stop();
  });

  it('loses nothing and sends nothing twice', async function () {
    // Wait for the flow to be running, then queue everything in one request.
    let answered = false;
    for (let i = 0; i < 100 && !answered; i++) {
      const r = await red.req('POST', '/enqueue', JSON.stringify({ count: TOTAL }), { 'content-type': 'application/json' });
      answered = r.status === 202;
      if (!answered) await new Promise((res) => setTimeout(res, 50));
    }
    answered.should.be.true();
    (await until(() => server.state.messages.length >= 20, 10_000)).should.be.true();
    await red.stop('SIGKILL');
    const atCrash = server.state.messages.length;
    atCrash.should.be.below(TOTAL, 'the crash must happen with messages still queued');

    await red.start();
    const finals = () => new Set(collector.items.map((r) => r.n)).size;
    (await until(() => finals() >= TOTAL, 30_000)).should.be.true(`only ${finals()} of ${TOTAL} messages came out`);
    await new Promise((r) => setTimeout(r, 500));

    // Each n has one final kind of outcome (a report repeated after the crash carries the same outcome).
    const byN = new Map<number, Set<string>>();
    for (const r of collector.items) {
      const kind = r.out === 1 ? 'accepted' : r.code;
      if (!byN.has(r.n)) byN.set(r.n, new Set());
      byN.get(r.n)!.add(kind);
    }
    byN.size.should.equal(TOTAL);
    let accepted = 0;
    let ambiguous = 0;
    for (const [n, kinds] of byN) {
      kinds.size.should.equal(1, `message ${n} came out as ${[...kinds].join(' and ')}`);
      const kind = [...kinds][0];
      if (kind === 'accepted') accepted++;
      else if (kind === 'ambiguous_send') ambiguous++;
      else should.fail(kind, 'accepted or ambiguous_send', `message ${n} failed with ${kind}`);
    }
    (accepted + ambiguous).should.equal(TOTAL);
    ambiguous.should.be.belowOrEqual(1, 'at most the one request in flight at the crash is ambiguous');

    // The platform never received a message twice.
    const texts = server.state.messages.map((m) => m.textBody);
    new Set(texts).size.should.equal(texts.length);
    texts.length.should.be.within(accepted, accepted + ambiguous);
  });
});
