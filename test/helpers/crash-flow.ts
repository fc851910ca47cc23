/**
 * What the kill -9 tests share: a child-process flow that queues `count` numbered messages to one
 * send-sms node and reports each outcome (`{ out, n, code }`) to a collector, the enqueue call that waits
 * for the flow to be running, and the tally of outcomes by message that every such test checks.
 */
import should from 'should';
import { SandboxServer } from '../../src/sandbox/server';
import { Collector, RedProcess, enqueueNodes, until } from './red-process';

export interface CrashFlowOptions {
  label: string;
  sandboxUrl: string;
  collectorUrl: string;
  credentials: { clientId: string; clientSecret: string };
  /** Each message's text is this and its number. */
  textPrefix: string;
  /** Properties of the account and the sender beyond the loopback Genesys defaults. */
  account?: Record<string, unknown>;
  sender: Record<string, unknown>;
}

/**
 * The parts of a kill -9 test: a sandbox that keeps every message at queued (so no status traffic
 * interferes), a collector and a child Node-RED, started with `crashFlow` deployed and stopped after.
 */
export class CrashLane {
  readonly red: RedProcess;
  readonly collector = new Collector();
  readonly server: SandboxServer;

  constructor(
    userDirPrefix: string,
    private readonly flow: Omit<CrashFlowOptions, 'sandboxUrl' | 'collectorUrl'>,
  ) {
    this.red = new RedProcess(userDirPrefix);
    this.server = new SandboxServer({ credentials: flow.credentials, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });
  }

  async start(): Promise<void> {
    const sandboxUrl = await this.server.start();
    const collectorUrl = await this.collector.start();
    await this.red.start();
    await this.red.deploy(crashFlow({ ...this.flow, sandboxUrl, collectorUrl }));
  }

  async stop(): Promise<void> {
    await this.red.dispose();
    await this.collector.stop();
    await this.server.stop();
  }
}

export function crashFlow(o: CrashFlowOptions): Record<string, unknown>[] {
  const report = (out: number) => ({
    id: `report${out}`,
    z: 't',
    type: 'function',
    name: `report ${out}`,
    outputs: 1,
    wires: [['post']],
    func: `msg.payload = { out: ${out}, n: msg.n, code: msg.error ? msg.error.code : null, id: msg.sms ? msg.sms.id : null }; return msg;`,
  });
  return [
    { id: 't', type: 'tab', label: o.label },
    {
      id: 'acct',
      type: 'agentless-account',
      name: 'Genesys on loopback',
      provider: 'genesys-cloud',
      region: 'mypurecloud.com',
      apiBaseUrl: o.sandboxUrl,
      authBaseUrl: o.sandboxUrl,
      credentials: o.credentials,
      ...o.account,
    },
    { id: 'sender', type: 'agentless-sender', name: 'Main number', account: 'acct', fromAddress: '+12025550100', mode: 'agentless', ...o.sender },
    ...enqueueNodes(`const out = []; for (let i = 0; i < msg.payload.count; i++) out.push({ to: '+12025550123', payload: ${JSON.stringify(o.textPrefix)} + i, n: i }); return [out];`),
    { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['report1'], ['report2']] },
    report(1),
    report(2),
    { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: o.collectorUrl, wires: [] },
  ];
}

/** Queue `count` messages in one request, retrying until the flow (deployed just before) answers. */
export async function enqueueWhenRunning(red: RedProcess, count: number): Promise<void> {
  let answered = false;
  for (let i = 0; i < 100 && !answered; i++) {
    const r = await red.req('POST', '/enqueue', JSON.stringify({ count }), { 'content-type': 'application/json' });
    answered = r.status === 202;
    if (!answered) await new Promise((res) => setTimeout(res, 50));
  }
  answered.should.be.true();
}

/**
 * Start the killed Node-RED again on its user directory and wait until every one of the `total`
 * messages has reported an outcome (and a moment more, for late repeats); then the tally below.
 */
export async function restartUntilAllOut(red: RedProcess, collector: Collector, total: number): Promise<{ accepted: number[]; ambiguous: number[] }> {
  await red.start();
  const finals = () => new Set(collector.items.map((r) => r.n)).size;
  (await until(() => finals() >= total, 30_000)).should.be.true(`only ${finals()} of ${total} messages came out`);
  await new Promise((r) => setTimeout(r, 500));
  return outcomesByMessage(collector.items, total);
}

/**
 * The messages by outcome, checking that all `total` came out and each with one kind of outcome (a
 * report repeated after the crash carries the same one), accepted or ambiguous_send.
 */
export function outcomesByMessage(items: { out: number; n: number; code: string | null }[], total: number): { accepted: number[]; ambiguous: number[] } {
  const kindOf = new Map<number, Set<string>>();
  for (const r of items) {
    const kind = r.out === 1 ? 'accepted' : String(r.code);
    if (!kindOf.has(r.n)) kindOf.set(r.n, new Set());
    kindOf.get(r.n)!.add(kind);
  }
  kindOf.size.should.equal(total);
  const accepted: number[] = [];
  const ambiguous: number[] = [];
  for (const [n, kinds] of kindOf) {
    kinds.size.should.equal(1, `message ${n} came out as ${[...kinds].join(' and ')}`);
    const kind = [...kinds][0];
    if (kind === 'accepted') accepted.push(n);
    else if (kind === 'ambiguous_send') ambiguous.push(n);
    else should.fail(kind, 'accepted or ambiguous_send', `message ${n} failed with ${kind}`);
  }
  return { accepted: accepted.sort((a, b) => a - b), ambiguous: ambiguous.sort((a, b) => a - b) };
}
