/**
 * A rotated refresh token survives a real crash: a child Node-RED signed in with a refresh token (the
 * deployed credential) sends in queue mode; the sandbox rotates the token on the refresh and retires the
 * old one. The child is killed with SIGKILL the moment the first API request with the new access token
 * arrives (the token was used, so it must already be on disk), then started again on the same user
 * directory without a deploy: its next message must go out with the rotated token, with no refused
 * refresh. Afterwards no file in the user directory holds a token or the client secret in the clear.
 */
import fs from 'fs';
import path from 'path';
import should from 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { Collector, RedProcess, until } from '../helpers/red-process';
import { sandboxRefreshToken } from '../helpers/sandbox-sign-in';

const CREDS = { clientId: 'crash-auth-client', clientSecret: 'crash-auth-secret-value' };
const QUEUE = 'a1b23c4d-ab12-1abc-1234-1a23b4c56789';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

describe('a rotated refresh token across kill -9 and restart', function () {
  this.timeout(90_000);
  const red = new RedProcess('agentless-rotate-');
  const collector = new Collector();
  let server: SandboxServer;

  before(async function () {
    server = new SandboxServer({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
    const url = await server.start();
    const collectorUrl = await collector.start();
    const refreshToken = await sandboxRefreshToken(url, CREDS);
    await red.start();
    await red.deploy([
      { id: 't', type: 'tab', label: 'rotate' },
      { id: 'acct', type: 'agentless-account', name: 'Signed in', provider: 'genesys-cloud', region: 'mypurecloud.com', grant: 'authorization-code', apiBaseUrl: url, authBaseUrl: url, credentials: { ...CREDS, refreshToken } },
      { id: 'sender', type: 'agentless-sender', name: 'Queue', account: 'acct', fromAddress: '', mode: 'queue', queueId: QUEUE, ratePerSecond: 10, burst: 1, queueLimit: 100 },
      { id: 'in', z: 't', type: 'http in', url: '/send', method: 'post', wires: [['send', 'resp']] },
      { id: 'resp', z: 't', type: 'http response', statusCode: '202', wires: [] },
      { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'payload.to', toType: 'msg', text: 'payload.text', textType: 'msg', wires: [['report'], ['report']] },
      {
        id: 'report', z: 't', type: 'function', name: 'outcome to collector', outputs: 1, wires: [['post']],
        func: 'msg.payload = { to: msg.sms && msg.sms.to, code: msg.error ? msg.error.code : null, error: msg.error || null, sms: msg.sms }; return msg;',
      },
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
    ]);
  });

  after(async function () {
    await red.dispose();
    await collector.stop();
    await server.stop();
  });

  const send = async (to: string) => {
    for (let i = 0; i < 100; i++) {
      const r = await red.req('POST', '/send', JSON.stringify({ to, text: `text to ${to}` }), { 'content-type': 'application/json' });
      if (r.status === 202) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('the flow did not answer');
  };

  it('keeps the rotated token: the restarted runtime refreshes with it and sends', async function () {
    await send('+12025550123');
    // Killed as soon as the rotated chain is in use: the refresh happened and an API call followed.
    (await until(() => server.oauth.stats.refreshGrants === 1 && server.requests.some((r) => r.path === '/api/v2/conversations/messages'), 10_000)).should.be.true(JSON.stringify(collector.items) + red.log);
    await red.stop('SIGKILL');

    await red.start();
    await send('+12025550124');
    (await until(() => collector.items.some((r) => r.to === '+12025550124'), 15_000)).should.be.true(red.log);
    const second = collector.items.find((r) => r.to === '+12025550124');
    should(second.code).equal(null, JSON.stringify(second.error));
    server.oauth.stats.refusedGrants.should.equal(0);
    server.oauth.stats.refreshGrants.should.equal(2);
    server.state.messages.filter((m) => m.toAddress === '+12025550124').should.have.length(1);
  });

  it('writes no token and no secret into any plain file, msg or log, and the vault is private', function () {
    const secrets = [...server.oauth.issued, CREDS.clientSecret];
    secrets.length.should.be.above(3);
    const files = filesUnder(red.userDir);
    const vault = files.filter((f) => f.endsWith('auth.vault'));
    vault.should.have.length(1);
    (fs.statSync(vault[0]).mode & 0o077).should.equal(0);
    for (const f of files) {
      const text = fs.readFileSync(f, 'latin1');
      for (const s of secrets) text.includes(s).should.be.false(`${path.relative(red.userDir, f)} holds a token or secret in the clear`);
    }
    const seen = JSON.stringify(collector.items) + red.log;
    for (const s of secrets) seen.includes(s).should.be.false('a token or secret reached a msg or the log');
  });
});
