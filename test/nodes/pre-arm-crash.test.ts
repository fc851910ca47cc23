/**
 * The crash window of strict order with the next start record written ahead: a child Node-RED sending
 * as fast as it can (concurrency 1) is killed with SIGKILL while one request is held by the platform and
 * the two messages behind it are armed (their start records on disk, their requests never made). After
 * the restart nothing is lost and nothing is sent twice: the three are reported ambiguous_send (the
 * armed ones conservatively: they never left), and the sandbox's record of what it received is the truth.
 */
import fs from 'fs';
import path from 'path';
import 'should';
import { until } from '../helpers/red-process';
import { CrashLane, enqueueWhenRunning, restartUntilAllOut } from '../helpers/crash-flow';

const CREDS = { clientId: 'arm-client', clientSecret: 'arm-secret' };
const TOTAL = 120;

type Rec = { op: string; id?: string; job?: { id: string; msg: { n: number } } };

describe('send-sms strict order: kill -9 with the next messages armed', function () {
  this.timeout(90_000);
  const lane = new CrashLane('agentless-arm-crash-', {
    label: 'arm crash',
    credentials: CREDS,
    textPrefix: 'arm test ',
    account: { requestsPerMinute: 1_000_000 },
    // Pace and budget out of the way, strict order (concurrency 1, the default): every message is armed behind the one in flight.
    sender: { ratePerSecond: 100_000, burst: 1000, queueLimit: 1000 },
  });
  const { red, collector, server } = lane;
  before(() => lane.start());
  after(() => lane.stop());
  const queueFile = path.join(red.userDir, 'agentless-sms', 'senders', 'sender', 'sender-queue.jsonl');

  /** Messages (by n) whose start record is on disk without a result: requested, or armed. */
  function openStarts(): number[] {
    if (!fs.existsSync(queueFile)) return [];
    const nOf = new Map<string, number>();
    const open = new Set<string>();
    for (const line of fs.readFileSync(queueFile, 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as Rec;
      if (r.op === 'add' && r.job) nOf.set(r.job.id, r.job.msg.n);
      else if (r.op === 'start') open.add(r.id!);
      else open.delete(r.id!);
    }
    return [...open].map((id) => nOf.get(id)!).sort((a, b) => a - b);
  }

  it('reports the held and the armed messages ambiguous_send, loses nothing and sends nothing twice', async function () {
    await enqueueWhenRunning(red, TOTAL);
    (await until(() => server.state.messages.length >= 10, 10_000)).should.be.true();
    // The next send is held by the platform without being taken (no answer for 30 s, nothing recorded).
    server.control({ faults: [{ status: 503, count: 1, delayMs: 30_000, path: 'agentless' }] });
    // The held request and the two messages behind it, armed: three start records without a result,
    // which stay so while the platform holds the request (sends flowing change them every millisecond).
    let seen = '';
    const settled = async () => {
      const now = openStarts().join(',');
      const same = now === seen && openStarts().length === 3 && server.inFlight === 1;
      seen = now;
      await new Promise((r) => setTimeout(r, 300));
      return same && openStarts().join(',') === now;
    };
    let stuck = false;
    for (let i = 0; i < 30 && !stuck; i++) stuck = await settled();
    stuck.should.be.true(`open starts: ${openStarts().join(', ')}, ${server.inFlight} request(s) held by the platform`);
    const [held, ...armed] = openStarts();
    armed.should.eql([held + 1, held + 2], 'the armed messages are the next ones in order');
    const receivedBefore = server.state.messages.length;
    await red.stop('SIGKILL');
    // Nothing went out after the held request: the armed messages were never requested.
    server.state.messages.length.should.equal(receivedBefore);
    for (const n of armed) server.state.messages.map((m) => m.textBody).should.not.containEql(`arm test ${n}`);

    const { accepted, ambiguous } = await restartUntilAllOut(red, collector, TOTAL);
    ambiguous.should.eql([held, ...armed], 'exactly the held and the armed messages are ambiguous');

    // The platform's record is the truth: it received each accepted message once, and neither ambiguous one.
    const texts = server.state.messages.map((m) => m.textBody);
    new Set(texts).size.should.equal(texts.length, 'nothing was sent twice');
    [...texts].sort().should.eql(accepted.map((n) => `arm test ${n}`).sort());
  });
});
