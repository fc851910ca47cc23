/**
 * What the kill -9 tests share: a child-process flow that queues `count` numbered messages to one
 * send-sms node and reports each outcome (`{ out, n, code }`) to a collector, the enqueue call that waits
 * for the flow to be running, and the tally of outcomes by message that every such test checks.
 */
import should from 'should';
import { type RedProcess, enqueueNodes } from './red-process';

export interface CrashFlowOptions {
  label: string;
  sandboxUrl: string;
  collectorUrl: string;
  credentials: Record<string, string>;
  /** Each message's text is this and its number. */
  textPrefix: string;
  /** Properties of the account and the sender beyond the loopback Genesys defaults. */
  account?: Record<string, unknown>;
  sender: Record<string, unknown>;
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
