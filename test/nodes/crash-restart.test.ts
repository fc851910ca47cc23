/**
 * Durability against a real crash: a child Node-RED with 200 messages queued is killed with SIGKILL and
 * started again on the same user directory. Every message must come out exactly once as accepted or
 * ambiguous_send, and the platform must never receive one twice.
 */
import 'should';
import { until } from '../helpers/red-process';
import { CrashLane, enqueueWhenRunning, restartUntilAllOut } from '../helpers/crash-flow';

const CREDS = { clientId: 'crash-client', clientSecret: 'crash-secret' };
const TOTAL = 200;

describe('send-sms across kill -9 and restart', function () {
  this.timeout(90_000);
  const lane = new CrashLane('agentless-crash-', { label: 'crash', credentials: CREDS, textPrefix: 'crash test ', sender: { ratePerSecond: 40, burst: 1, queueLimit: 1000 } });
  const { red, collector, server } = lane;
  before(() => lane.start());
  after(() => lane.stop());

  it('loses nothing and sends nothing twice', async function () {
    await enqueueWhenRunning(red, TOTAL);
    (await until(() => server.state.messages.length >= 20, 10_000)).should.be.true();
    await red.stop('SIGKILL');
    const atCrash = server.state.messages.length;
    atCrash.should.be.below(TOTAL, 'the crash must happen with messages still queued');

    const { accepted, ambiguous } = await restartUntilAllOut(red, collector, TOTAL);
    (accepted.length + ambiguous.length).should.equal(TOTAL);
    ambiguous.length.should.be.belowOrEqual(1, 'at most the one request in flight at the crash is ambiguous');

    // The platform never received a message twice.
    const texts = server.state.messages.map((m) => m.textBody);
    new Set(texts).size.should.equal(texts.length);
    texts.length.should.be.within(accepted.length, accepted.length + ambiguous.length);
  });
});
