/**
 * The package's admin routes in a real Node-RED (child process, over HTTP), as a hostile editor user
 * would call them: "Test connection" must not hand stored credentials (ours or another node's) to a URL
 * the caller picks, nor map ports or echo foreign answers; the opt-out CSV needs the write permission.
 */
import path from 'path';
import 'should';
import { RedProcess, ROOT, freePort, sleep } from '../helpers/red-process';
import { RecordingServer } from '../helpers/recording-server';
import { SandboxServer } from '../../src/sandbox/server';

const CCAI = { username: 'acme', password: 'stored-ccai-pass' };
const BROKER_PASSWORD = 'stored-broker-pass';
const json = { 'content-type': 'application/json' };

/** POST /flows answers before the nodes have started: wait until the account answers its routes. */
async function untilAccountStarted(red: RedProcess, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await red.req('GET', '/agentless-sms/accounts/acct/opt-outs.csv', '', headers)).status !== 404) return;
    await sleep(50);
  }
  throw new Error('the account did not start');
}

function allText(rec: RecordingServer): string {
  return JSON.stringify(rec.requests.map((r) => ({ h: r.headers, b: r.body, p: r.path })));
}
function basicSecrets(rec: RecordingServer): string {
  return rec.requests.map((r) => Buffer.from(String(r.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8')).join('\n');
}

describe('admin routes in a real runtime', function () {
  this.timeout(60_000);

  describe('test connection', function () {
    let red: RedProcess;
    const sandbox = new SandboxServer({ ccaiCredentials: CCAI });
    const attacker = new RecordingServer();
    const test = async (body: Record<string, unknown>) => {
      const r = await red.req('POST', '/agentless-sms/accounts/test', JSON.stringify(body), json);
      r.status.should.equal(200);
      return JSON.parse(r.body) as { ok: boolean; message: string };
    };

    before(async function () {
      await sandbox.start();
      await attacker.start();
      red = new RedProcess('agentless-admin-');
      await red.start();
      await red.deploy([
        { id: 'tab', type: 'tab', label: 'admin' },
        { id: 'acct', type: 'agentless-account', name: 'ccai', provider: 'ccai-platform', region: '', apiBaseUrl: sandbox.url, authBaseUrl: '', credentials: CCAI },
        { id: 'mq', type: 'mqtt-broker', name: 'broker', broker: '127.0.0.1', port: String(await freePort()), autoConnect: false, credentials: { user: 'broker-user', password: BROKER_PASSWORD } },
      ]);
      await untilAccountStarted(red);
    });
    after(async function () {
      await red.dispose();
      await sandbox.stop();
      await attacker.stop();
    });
    beforeEach(() => {
      attacker.requests.length = 0;
      sandbox.reset();
    });

    it("uses the stored credentials for the deployed account's own URLs", async function () {
      const r = await test({ id: 'acct', provider: 'ccai-platform', apiBaseUrl: sandbox.url, credentials: { username: '', password: '__PWD__' } });
      r.should.containDeep({ ok: true });
      r.message.should.not.containEql(CCAI.password);
    });

    it('never sends stored credentials to another URL: they must be typed in', async function () {
      const r = await test({ id: 'acct', provider: 'ccai-platform', apiBaseUrl: attacker.url, credentials: { username: 'acme', password: '__PWD__' } });
      r.ok.should.be.false();
      r.message.should.match(/type them in/);
      basicSecrets(attacker).should.not.containEql(CCAI.password);
      attacker.requests.should.be.empty();
    });

    it('never uses the stored credentials of a node that is not an agentless-account (an mqtt-broker password)', async function () {
      for (const id of ['mq', 'tab', 'nope']) {
        const r = await test({ id, provider: 'ccai-platform', apiBaseUrl: attacker.url, credentials: { username: 'x', password: '__PWD__' } });
        r.ok.should.be.false();
        const r2 = await test({ id, provider: 'avaamo', apiBaseUrl: attacker.url, credentials: { accessToken: '__PWD__' } });
        r2.message.should.not.containEql(BROKER_PASSWORD);
      }
      allText(attacker).should.not.containEql(BROKER_PASSWORD);
      basicSecrets(attacker).should.not.containEql(BROKER_PASSWORD);
    });

    it('a foreign host gets no credentials and its answer is not passed on: reachable or not, nothing more', async function () {
      attacker.answer = () => ({ status: 404, body: { message: 'internal-service-banner v1.2' } });
      const up = await test({ provider: 'ccai-platform', apiBaseUrl: attacker.url, credentials: { username: 'typed-user', password: 'typed-pass' } });
      up.ok.should.be.true();
      up.message.should.match(/reachable/);
      up.message.should.not.match(/404|banner|HTTP/);
      allText(attacker).should.not.containEql('typed-pass');
      basicSecrets(attacker).should.not.containEql('typed-pass');

      attacker.answer = () => ({ status: 500, body: 'stack trace of an internal host' });
      const err = await test({ provider: 'avaamo', apiBaseUrl: attacker.url, credentials: { accessToken: 'typed-token' } });
      err.message.should.not.match(/500|stack|try again/);
      allText(attacker).should.not.containEql('typed-token');

      const closed = `http://127.0.0.1:${await freePort()}`;
      const down = await test({ provider: 'ccai-platform', apiBaseUrl: closed, credentials: { username: 'u', password: 'p' } });
      down.ok.should.be.false();
      down.message.should.equal(`${closed} is not reachable`);
      const gen = await test({ provider: 'genesys-cloud', region: 'mypurecloud.com', apiBaseUrl: closed, authBaseUrl: closed, credentials: { clientId: 'a', clientSecret: 'b' } });
      gen.message.should.equal(`${closed} is not reachable`);
      Object.keys(gen).sort().should.eql(['message', 'ok']);
    });
  });

  describe('opt-out CSV export', function () {
    let red: RedProcess;
    let adminToken = '';
    let viewerToken = '';
    before(async function () {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bcrypt = require(path.join(ROOT, 'node_modules', 'bcryptjs'));
      red = new RedProcess('agentless-csv-', {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'viewer', password: bcrypt.hashSync('viewer-pw', 8), permissions: 'read' },
            { username: 'admin', password: bcrypt.hashSync('admin-pw', 8), permissions: '*' },
          ],
          // Anyone may read (the editor's read-only view); the export must still need write.
          default: { permissions: 'read' },
        },
      });
      await red.start();
      const token = async (username: string, password: string, scope: string) =>
        (JSON.parse((await red.req('POST', '/auth/token', JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }), json)).body) as { access_token: string }).access_token;
      adminToken = await token('admin', 'admin-pw', '*');
      const deploy = await red.req('POST', '/flows', JSON.stringify([{ id: 'acct', type: 'agentless-account', name: 's', provider: 'sandbox' }]), {
        ...json,
        authorization: `Bearer ${adminToken}`,
        'Node-RED-Deployment-Type': 'full',
      });
      [200, 204].should.containEql(deploy.status);
      await untilAccountStarted(red, { authorization: `Bearer ${adminToken}` });
      const imported = await red.req('POST', '/agentless-sms/accounts/acct/opt-outs', JSON.stringify({ csv: 'number\n+12025550123\n' }), { ...json, authorization: `Bearer ${adminToken}` });
      imported.status.should.equal(200, imported.body + red.log);
      viewerToken = await token('viewer', 'viewer-pw', 'read');
      viewerToken.should.be.a.String();
    });
    after(async function () {
      await red.dispose();
    });

    it('is refused to anonymous and read-only users, and given to a user with write permission', async function () {
      const anon = await red.req('GET', '/agentless-sms/accounts/acct/opt-outs.csv');
      anon.status.should.equal(401);
      anon.body.should.not.containEql('2025550123');
      const ro = await red.req('GET', '/agentless-sms/accounts/acct/opt-outs.csv', '', { authorization: `Bearer ${viewerToken}` });
      ro.status.should.equal(401);
      ro.body.should.not.containEql('2025550123');
      const ok = await red.req('GET', '/agentless-sms/accounts/acct/opt-outs.csv', '', { authorization: `Bearer ${adminToken}` });
      ok.status.should.equal(200);
      ok.body.should.containEql('+12025550123');
    });
  });
});
