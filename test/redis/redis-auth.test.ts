/**
 * A signed-in Genesys user shared by two Node-RED instances through Redis (account coordination
 * `redis`): the sandbox rotates the refresh token on every use and retires the old one, so two instances
 * refreshing with the same token would strand one of them. With the shared encrypted token record and
 * the refresh lock, one refresh serves both instances (the other reuses its access token), also after a
 * 401 on both, and no refresh is ever refused. Redis never holds a token in the clear.
 */
import 'should';
import Redis from 'ioredis';
import { SandboxServer } from '../../src/sandbox/server';
import { Collector, RedProcess, sleep, until, enqueueNodes } from '../helpers/red-process';
import { RedisServer } from '../helpers/redis-server';
import { sandboxRefreshToken } from '../helpers/sandbox-sign-in';

const CREDS = { clientId: 'redis-auth-client', clientSecret: 'redis-auth-secret-value' };
const QUEUE = 'a1b23c4d-ab12-1abc-1234-1a23b4c56789';

describe('a signed-in user shared by two instances through Redis', function () {
  this.timeout(60_000);
  const redis = new RedisServer();
  const reds = [new RedProcess('agentless-redis-auth-'), new RedProcess('agentless-redis-auth-')];
  const collector = new Collector();
  let server: SandboxServer;

  const enqueue = async (red: RedProcess, prefix: string, count: number) => {
    for (let i = 0; i < 100; i++) {
      const r = await red.req('POST', '/enqueue', JSON.stringify({ prefix, count }), { 'content-type': 'application/json' });
      if (r.status === 202) return;
      await sleep(50);
    }
    throw new Error('flow did not start');
  };
  const outcomes = (prefix: string) => collector.items.filter((r) => typeof r.n === 'string' && r.n.startsWith(prefix));

  before(async function () {
    await redis.start();
    server = new SandboxServer({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
    const url = await server.start();
    const collectorUrl = await collector.start();
    const refreshToken = await sandboxRefreshToken(url, CREDS);
    const flow = [
      { id: 't', type: 'tab', label: 'shared user' },
      {
        id: 'acct',
        type: 'agentless-account',
        name: 'Genesys shared user',
        provider: 'genesys-cloud',
        region: 'mypurecloud.com',
        grant: 'authorization-code',
        apiBaseUrl: url,
        authBaseUrl: url,
        coordination: 'redis',
        redisUrl: redis.url,
        redisKeyPrefix: 'auth-test:',
        credentials: { ...CREDS, refreshToken },
      },
      { id: 'sender', type: 'agentless-sender', name: 'Queue', account: 'acct', fromAddress: '', mode: 'queue', queueId: QUEUE, ratePerSecond: 50, burst: 5, queueLimit: 1000 },
      ...enqueueNodes(
        `const out = []; for (let i = 0; i < msg.payload.count; i++) out.push({ to: '+120255501' + String(i).padStart(2, '0'), payload: 'hi', n: msg.payload.prefix + i, sms: { useExistingConversation: true } }); return [out];`,
      ),
      { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['r1'], ['r2']] },
      { id: 'r1', z: 't', type: 'function', outputs: 1, wires: [['post']], func: `msg.payload = { out: 1, n: msg.n }; return msg;` },
      { id: 'r2', z: 't', type: 'function', outputs: 1, wires: [['post']], func: `msg.payload = { out: 2, n: msg.n, code: msg.error && msg.error.code }; return msg;` },
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
    ];
    await Promise.all(reds.map((r) => r.start()));
    for (const red of reds) await red.deploy(flow);
  });

  after(async function () {
    for (const red of reds) await red.dispose();
    await collector.stop();
    await server.stop();
    await redis.stop();
  });

  it('one refresh for both instances, again after a 401 on both; none refused', async function () {
    await Promise.all(reds.map((red, i) => enqueue(red, `a${i}-`, 10)));
    (await until(() => outcomes('a').length >= 20, 30_000)).should.be.true(`only ${outcomes('a').length} of 20: ${JSON.stringify(collector.items)} ${reds.map((r) => r.log).join('\n')}`);
    outcomes('a')
      .every((r) => r.out === 1)
      .should.be.true(JSON.stringify(outcomes('a').filter((r) => r.out !== 1)));
    server.oauth.stats.refreshGrants.should.equal(1);

    server.control({ revokeTokens: true });
    await Promise.all(reds.map((red, i) => enqueue(red, `b${i}-`, 10)));
    (await until(() => outcomes('b').length >= 20, 30_000)).should.be.true(
      `only ${outcomes('b').length} of 20: ${JSON.stringify(
        collector.items
          .filter((r) => String(r.n).startsWith('b'))
          .map((r) => r.n)
          .sort(),
      )} ${JSON.stringify(server.requests.filter((r) => r.status !== 200 && r.status !== 202).slice(0, 20))} ${reds.map((r) => r.log).join('\n')}`,
    );
    outcomes('b')
      .every((r) => r.out === 1)
      .should.be.true(JSON.stringify(outcomes('b').filter((r) => r.out !== 1)));
    server.oauth.stats.refreshGrants.should.equal(2);
    server.oauth.stats.refusedGrants.should.equal(0);
  });

  it('keeps the shared record encrypted: no token in any Redis value', async function () {
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      const keys = await client.keys('auth-test:*auth*');
      keys.length.should.be.above(0);
      for (const k of keys) {
        const type = await client.type(k);
        if (type !== 'string') continue;
        const v = (await client.get(k)) ?? '';
        for (const s of [...server.oauth.issued, CREDS.clientSecret]) v.includes(s).should.be.false(`${k} holds a token in the clear`);
      }
    } finally {
      client.disconnect();
    }
  });
});
