/** The sandbox's time-based fault: a 429 storm of known length, used by the 429 benchmark. */
import should from 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { request } from '../helpers/red-process';
import http from 'http';

describe('sandbox time-based fault (forMs)', function () {
  let server: SandboxServer;
  let port = 0;

  beforeEach(async () => {
    server = new SandboxServer();
    port = Number(new URL(await server.start()).port);
  });
  afterEach(() => server.stop());

  async function send(): Promise<{ status: number; retryAfter?: string }> {
    const tok = JSON.parse(
      (
        await request(port, 'POST', '/oauth/token', 'grant_type=client_credentials', {
          authorization: 'Basic ' + Buffer.from('a:b').toString('base64'),
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).body,
    ).access_token;
    const body = JSON.stringify({ fromAddress: '+12025550100', toAddress: '+12025550123', toAddressMessengerType: 'sms', textBody: 'hi' });
    return new Promise((resolve, reject) => {
      const r = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/api/v2/conversations/messages/agentless', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  }

  it('answers every matching request with the fault until the time is up, then recovers', async () => {
    server.control({ faults: [{ status: 429, count: 1, retryAfter: 5, path: 'agentless', forMs: 300 }] });
    // More requests than `count`: the timed fault ignores the count.
    for (let i = 0; i < 3; i++) {
      const r = await send();
      r.status.should.equal(429);
      should(r.retryAfter).equal('5');
    }
    await new Promise((r) => setTimeout(r, 350));
    (await send()).status.should.equal(202);
    server.requests
      .filter((q) => q.path.endsWith('agentless'))
      .map((q) => q.status)
      .should.eql([429, 429, 429, 202]);
  });

  it('leaves count-based faults as they were', async () => {
    server.control({ faults: [{ status: 503, count: 1, path: 'agentless' }] });
    (await send()).status.should.equal(503);
    (await send()).status.should.equal(202);
  });
});
