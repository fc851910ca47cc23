/**
 * A password inside the account's Redis URL (a flow property, exported with the flow) is refused with a
 * configuration error pointing to the Redis password credential; nothing connects and nothing is sent.
 * Runs without Redis: the refusal comes before any connection.
 */
import assert from 'assert';
import should from 'should';
import { redisOptions } from '../../src/coordination/redis-connection';
import { SmsError } from '../../src/util/errors';
import { helper, loadSendFlow, sendFlow, useLoopbackSandbox } from '../helpers/flow';

describe('Redis URL with a password', function () {
  this.timeout(20_000);
  const sandbox = useLoopbackSandbox({}, { userDir: true });

  it('the account does not start; the log names the password credential and never the password', async function () {
    // An account on the loopback sandbox, so that "nothing is sent" is checked where a send would arrive.
    const account = { provider: 'genesys-cloud', apiBaseUrl: sandbox.url, authBaseUrl: sandbox.url, coordination: 'redis', redisUrl: 'redis://app:hunter2-secret@127.0.0.1:1/0' };
    const { send, fail } = await loadSendFlow(sendFlow(account), { acct: { clientId: 'c', clientSecret: 's' } });
    const logged = helper
      .log()
      .args.map((a: unknown[]) => a[0] as { level: number; id?: string; msg?: unknown })
      .filter((e: { id?: string }) => e.id === 'acct');
    const text = logged.map((e: { msg?: unknown }) => String(e.msg)).join('\n');
    text.should.match(/Redis URL contains a password/);
    text.should.match(/Redis password credential/);
    text.should.not.containEql('hunter2-secret');
    send.receive({ to: '+12025550123', payload: 'hello' });
    const [msg] = await fail.wait(1);
    msg.error.code.should.equal('config_missing');
    JSON.stringify(msg).should.not.containEql('hunter2-secret');
    sandbox.server.requests.should.be.empty();
  });

  it('redisOptions refuses user:password@ but keeps an ACL user name and the password credential', function () {
    assert.throws(() => redisOptions({ url: 'redis://:pw@host:6379', tls: false }), (e: SmsError) => e.code === 'config_missing' && !e.message.includes('pw@'));
    assert.throws(() => redisOptions({ url: 'rediss://u:pw@host:6380/2', tls: false }), (e: SmsError) => e.code === 'config_missing');
    const o = redisOptions({ url: 'redis://app@host:6379/3', password: 'from-credential', tls: false });
    should(o).containDeep({ host: 'host', port: 6379, username: 'app', password: 'from-credential', db: 3 });
  });
});
