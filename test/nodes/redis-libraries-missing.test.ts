/**
 * An account set to Redis coordination on a Node-RED without the Redis libraries: the account says so
 * (error log, which the debug sidebar shows, and its status), and every message leaves on output 2 with
 * dependency_missing and the install command, never reaching the platform. The loader is pointed at a
 * package name that is not installed through the test-only setting `agentlessSms.redisPackages`.
 */
import should from 'should';
import { helper, loadSendFlow, sendFlow, useLoopbackSandbox } from '../helpers/flow';

const CREDS = { clientId: 'client-1', clientSecret: 's3cret-value' };
const ABSENT = '@agentless-sms/not-installed-redis-queue';

describe('Redis coordination without the Redis libraries installed', function () {
  const sandbox = useLoopbackSandbox({ credentials: CREDS });
  beforeEach(() => helper.settings({ agentlessSms: { redisPackages: { bullmq: ABSENT, ioredis: 'ioredis' } } }));
  afterEach(() => helper.settings({}));

  it('answers every message with dependency_missing naming "npm install", and sends nothing', async function () {
    const account = { provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, coordination: 'redis', redisUrl: 'redis://127.0.0.1:1' };
    const { send, ok, fail } = await loadSendFlow(sendFlow(account), { acct: CREDS });
    send.receive({ to: '+12025550123', payload: 'hello', _msgid: 'm1' });
    send.receive({ to: '+12025550124', payload: 'hello again' });
    const out = await fail.wait(2);
    should(ok.msgs).be.empty();
    for (const msg of out) {
      msg.error.should.containDeep({ code: 'dependency_missing', retryable: false });
      msg.error.message.should.match(/npm install bullmq@\d+ ioredis@\d+/);
      msg.error.message.should.containEql(ABSENT);
    }
    sandbox.server.requests.should.have.length(0);

    const acct = helper.getNode('acct');
    const statuses = (acct.status as unknown as { getCalls(): { thisValue: { id: string }; args: [{ fill: string; text: string }] }[] }).getCalls().filter((c) => c.thisValue.id === 'acct');
    statuses.map((c) => c.args[0]).should.containDeep([{ fill: 'red', text: 'agentless-account.status.dependency_missing' }]);
    const errors = helper
      .log()
      .args.map((a: [{ level: number; id?: string; msg?: unknown }]) => a[0])
      .filter((e: { level: number; id?: string }) => e.level === helper.log().ERROR && e.id === 'acct');
    errors.should.have.length(1);
    String(errors[0].msg).should.match(/npm install bullmq@\d+ ioredis@\d+/);
  });
});
