/**
 * The durable files of a real Node-RED (child process, own user directory): node ids from the flow
 * file never steer a store path outside the user directory, files are 0600 and directories 0700, an
 * oversized msg is refused before it is stored, and after the disk fails and comes back (a file-size
 * limit put on the running process with prlimit, then lifted) the send-sms status clears by itself
 * while the failed counter counts every output-2 answer.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { Collector, RedProcess, sleep, until } from '../helpers/red-process';

const CREDS = { clientId: 'files-client', clientSecret: 'files-secret' };
const TAG = `agentless-escape-${process.pid}-${Date.now()}`;
// Deep enough to climb out of any temporary user directory to "/", then into the temp directory.
const UP = '../'.repeat(12) + os.tmpdir().replace(/^\//, '') + '/';
const SENDER_ID = `${UP}${TAG}-sender`;
const ACCOUNT_ID = `${UP}${TAG}-account`;
const HOOK_ID = `${UP}${TAG}-hook`;

function walk(dir: string): { p: string; dir: boolean; mode: number }[] {
  const out: { p: string; dir: boolean; mode: number }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    out.push({ p, dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) out.push(...walk(p));
  }
  return out;
}

function setFileSizeLimit(pid: number, soft: string): void {
  const r = spawnSync('prlimit', ['--pid', String(pid), `--fsize=${soft}:unlimited`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`prlimit (util-linux) is needed for this test: ${r.error?.message ?? r.stderr}`);
}

describe('store files of a real Node-RED', function () {
  this.timeout(60_000);
  const red = new RedProcess('agentless-files-');
  const collector = new Collector();
  let server: SandboxServer;

  const sends = () => server.requests.filter((r) => r.method === 'POST' && /agentless/.test(r.path));
  const go = async (body: Record<string, unknown>) => {
    const r = await red.req('POST', '/go', JSON.stringify(body), { 'content-type': 'application/json' });
    return JSON.parse(r.body) as { out: number; code?: string };
  };
  const statuses = () => collector.items.filter((i) => i && i.status).map((i) => String(i.status.text ?? ''));

  before(async function () {
    server = new SandboxServer({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
    const url = await server.start();
    const collectorUrl = await collector.start();
    await red.start();
    await red.deploy([
      { id: 't', type: 'tab', label: 'files' },
      { id: ACCOUNT_ID, type: 'agentless-account', name: 'Genesys on loopback', provider: 'genesys-cloud', region: 'mypurecloud.com', apiBaseUrl: url, authBaseUrl: url, credentials: CREDS },
      { id: SENDER_ID, type: 'agentless-sender', name: 'Main number', account: ACCOUNT_ID, fromAddress: '+12025550100', mode: 'agentless', ratePerSecond: 50, burst: 5, queueLimit: 100 },
      { id: 'in', z: 't', type: 'http in', url: '/go', method: 'post', wires: [['prep']] },
      {
        id: 'prep', z: 't', type: 'function', outputs: 1, wires: [['send']],
        func: `msg.to = msg.payload.to || '+12025550123'; if (msg.payload.big) msg.blob = Buffer.alloc(5 * 1024 * 1024, 7); msg.payload = 'store files test'; return msg;`,
      },
      { id: 'send', z: 't', type: 'agentless-send-sms', sender: SENDER_ID, to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['out1'], ['out2']] },
      { id: 'out1', z: 't', type: 'function', outputs: 1, wires: [['resp']], func: `msg.payload = { out: 1 }; delete msg.blob; return msg;` },
      { id: 'out2', z: 't', type: 'function', outputs: 1, wires: [['resp']], func: `msg.payload = { out: 2, code: msg.error && msg.error.code }; delete msg.blob; return msg;` },
      { id: 'resp', z: 't', type: 'http response', statusCode: '200', wires: [] },
      { id: HOOK_ID, z: 't', type: 'agentless-webhook-receiver', path: '/hook', auth: 'none', account: ACCOUNT_ID, wires: [[], [], [], []] },
      { id: 'watch', z: 't', type: 'status', scope: ['send'], wires: [['asBody']] },
      { id: 'asBody', z: 't', type: 'function', outputs: 1, wires: [['post']], func: `msg.payload = { status: msg.status }; return msg;` },
      { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
    ]);
    for (let i = 0; i < 100; i++) {
      const r = await red.req('POST', '/go', JSON.stringify({ to: 'not a number' }), { 'content-type': 'application/json' });
      if (r.status === 200) break;
      await sleep(50);
    }
  });

  after(async function () {
    await red.dispose();
    await collector.stop();
    await server.stop();
    for (const name of fs.readdirSync(os.tmpdir())) if (name.startsWith(TAG)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  });

  it('keeps every store inside the user directory whatever the node ids say, with files 0600 and directories 0700', async () => {
    (await go({})).out.should.equal(1);
    const hook = await red.req('POST', '/hook', JSON.stringify({ id: 'evt-1', status: 'delivered', conversationId: 'c1' }), { 'content-type': 'application/json' });
    hook.status.should.be.below(500);
    const escaped = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(TAG));
    escaped.should.deepEqual([], 'a store was written outside the user directory');

    const root = path.join(red.userDir, 'agentless-sms');
    const entries = walk(root);
    const files = entries.filter((e) => !e.dir).map((e) => path.relative(root, e.p)).sort();
    files.some((f) => /^senders\/id-[0-9a-f]{32}\/sender-queue\.jsonl$/.test(f)).should.be.true(files.join(', '));
    files.some((f) => /^accounts\/id-[0-9a-f]{32}\/opt-outs\.jsonl$/.test(f)).should.be.true(files.join(', '));
    files.some((f) => /^webhooks\/id-[0-9a-f]{32}\.jsonl$/.test(f)).should.be.true(files.join(', '));
    const lax = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${path.relative(root, e.p)} ${e.mode.toString(8)}`);
    lax.should.deepEqual([]);
    (fs.statSync(root).mode & 0o777).should.equal(0o700);
  });

  it('refuses a msg too large to store with msg_too_large, before anything is sent', async () => {
    const before = sends().length;
    const r = await go({ big: true });
    r.should.deepEqual({ out: 2, code: 'msg_too_large' });
    await sleep(200);
    sends().length.should.equal(before);
  });

  it('clears "store unavailable" by itself when the disk comes back, and counts every output-2 answer as failed', async () => {
    const pid = red.pid!;
    const counts = () => {
      const last = statuses().filter((s) => /sent \d+, failed \d+/.test(s)).pop() ?? '';
      return last;
    };
    // Sent so far: 2 (warm-up refusals aside); refusals so far: the warm-up invalid numbers and the big msg.
    (await go({})).out.should.equal(1);
    (await until(() => /sent 2, failed/.test(counts()), 5000)).should.be.true(JSON.stringify(collector.items.slice(-5)));
    const failedBefore = Number(/failed (\d+)/.exec(counts())![1]);
    failedBefore.should.be.aboveOrEqual(2, 'the invalid-number and msg_too_large answers were not counted');

    setFileSizeLimit(pid, '1');
    try {
      (await go({})).should.deepEqual({ out: 2, code: 'store_unavailable' });
      (await until(() => /unavailable/.test(statuses().pop() ?? ''), 5000)).should.be.true(statuses().slice(-3).join(' | '));
    } finally {
      setFileSizeLimit(pid, 'unlimited');
    }
    const n = statuses().length;
    // No message is sent now: the status must recover by itself.
    (await until(() => statuses().length > n && !/unavailable/.test(statuses().pop() ?? ''), 20_000)).should.be.true(
      `status still: ${statuses().slice(-3).join(' | ')}`,
    );
    statuses().pop()!.should.match(new RegExp(`sent 2, failed ${failedBefore + 1}`));
    (await go({})).out.should.equal(1);
  });
});
