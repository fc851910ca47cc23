/**
 * The flows under test. "ours": http in -> split -> agentless-send-sms. "baseline": what a Node-RED
 * user builds without this package: http in -> split -> delay (rate limit) -> function -> http request.
 * Both end in a tally function that counts outcomes in flow context and POSTs to the bench's collector
 * once all N are through, with the time each outcome left (and reports every failure of ours
 * individually, for ambiguity counts). "core": the throughput curve's core-node send path (coreSendFlow).
 */
import { AGENTLESS_PATH, CREDS } from './sandbox';

export const TO = '+12025550123';
export const FROM = '+12025550100';

/** POST /enqueue {count, prefix}: N messages with text `${prefix} ${i}`, start time kept in flow context. */
function head(next: string) {
  return [
    { id: 'in', z: 't', type: 'http in', url: '/enqueue', method: 'post', wires: [['split', 'resp']] },
    { id: 'resp', z: 't', type: 'http response', statusCode: '202', wires: [] },
    {
      id: 'split',
      z: 't',
      type: 'function',
      name: 'one msg per n',
      outputs: 1,
      wires: [[next]],
      func: `flow.set('count', 0); flow.set('total', msg.payload.count); flow.set('start', Date.now()); flow.set('times', []);
const out = []; for (let i = 0; i < msg.payload.count; i++) out.push({ to: '${TO}', payload: msg.payload.prefix + ' ' + i, n: i });
return [out];`,
    },
  ];
}

function tail(collectorUrl: string) {
  return [
    {
      id: 'tally',
      z: 't',
      type: 'function',
      name: 'count outcomes',
      outputs: 1,
      wires: [['post']],
      func: `const c = (flow.get('count') || 0) + 1; flow.set('count', c);
const times = flow.get('times'); if (times) times.push(Date.now());
const out = [];
const code = msg.error ? msg.error.code : (msg.statusCode && msg.statusCode >= 300 ? 'http_' + msg.statusCode : null);
if (code) out.push({ payload: { kind: 'failure', code: code, n: msg.n } });
if (c === flow.get('total')) out.push({ payload: { kind: 'done', start: flow.get('start'), end: Date.now(), count: c, times: times || [] } });
return [out];`,
    },
    { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
  ];
}

export interface SendFlowOptions {
  sandboxUrl: string;
  collectorUrl: string;
  ratePerSecond: number;
  burst?: number;
  requestsPerMinute?: number;
  queueLimit?: number;
  concurrency?: number;
  /** Extra account settings (e.g. Redis coordination). */
  account?: Record<string, unknown>;
}

export function oursSendFlow(o: SendFlowOptions): unknown[] {
  return [
    { id: 't', type: 'tab', label: 'bench ours' },
    {
      id: 'acct',
      type: 'agentless-account',
      name: 'Genesys sandbox',
      provider: 'genesys-cloud',
      region: 'mypurecloud.com',
      apiBaseUrl: o.sandboxUrl,
      authBaseUrl: o.sandboxUrl,
      requestsPerMinute: o.requestsPerMinute ?? 1_000_000,
      credentials: CREDS,
      ...(o.account ?? {}),
    },
    {
      id: 'sender',
      type: 'agentless-sender',
      name: 'Bench number',
      account: 'acct',
      fromAddress: FROM,
      mode: 'agentless',
      ratePerSecond: o.ratePerSecond,
      burst: o.burst ?? 1,
      queueLimit: o.queueLimit ?? 200_000,
      concurrency: o.concurrency ?? 1,
    },
    ...head('send'),
    { id: 'send', z: 't', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['tally'], ['tally']] },
    ...tail(o.collectorUrl),
  ];
}

/** A function node 'mk' turning each message into the agentless request for an `http request` node 'hreq'. */
function buildRequest(sandboxUrl: string, token: string): Record<string, unknown> {
  return {
    id: 'mk',
    z: 't',
    type: 'function',
    name: 'build request',
    outputs: 1,
    wires: [['hreq']],
    func: `msg.url = ${JSON.stringify(sandboxUrl + AGENTLESS_PATH)};
msg.method = 'POST';
msg.headers = { authorization: 'Bearer ${token}', 'content-type': 'application/json' };
msg.payload = { fromAddress: '${FROM}', toAddress: msg.to, toAddressMessengerType: 'sms', textBody: msg.payload };
return msg;`,
  };
}

export function baselineSendFlow(o: SendFlowOptions & { token: string }): unknown[] {
  return [
    { id: 't', type: 'tab', label: 'bench baseline' },
    ...head('rl'),
    delayNode('rl', 'rate limit', { pauseType: 'rate', timeout: '5', rate: String(o.ratePerSecond) }, 'mk'),
    buildRequest(o.sandboxUrl, o.token),
    { id: 'hreq', z: 't', type: 'http request', method: 'use', ret: 'obj', url: '', wires: [['tally']] },
    ...tail(o.collectorUrl),
  ];
}

/**
 * The send path built from core nodes with nothing durable, for the throughput curve: a function node
 * keeps C requests in flight (each answer lets the next message through), a function builds the request
 * and a keep-alive `http request` node sends it. What a Node-RED user gets without this package at the
 * same in-flight count, and so the floor of a flow's own cost against the plain client loop.
 */
export function coreSendFlow(o: { sandboxUrl: string; collectorUrl: string; token: string; concurrency: number }): unknown[] {
  return [
    { id: 't', type: 'tab', label: 'bench core nodes' },
    ...head('gate'),
    {
      id: 'gate',
      z: 't',
      type: 'function',
      name: 'keep C in flight',
      outputs: 1,
      wires: [['mk']],
      func: `const q = context.get('q') || []; let open = context.get('open') || 0;
if (msg.released) open--; else q.push(msg);
while (open < ${o.concurrency} && q.length) { open++; node.send(q.shift()); }
context.set('q', q); context.set('open', open);
return null;`,
    },
    buildRequest(o.sandboxUrl, o.token),
    { id: 'hreq', z: 't', type: 'http request', method: 'use', ret: 'obj', url: '', persist: true, wires: [['tally', 'release']] },
    { id: 'release', z: 't', type: 'function', name: 'next one', outputs: 1, wires: [['gate']], func: 'return { released: true };' },
    ...tail(o.collectorUrl),
  ];
}

/** A core delay node as the editor saves it: `delay` holds each msg `timeout` s, `rate` lets `rate` per second through. */
function delayNode(id: string, name: string, p: { pauseType: 'delay' | 'rate'; timeout: string; rate: string }, next: string): Record<string, unknown> {
  return {
    id,
    z: 't',
    type: 'delay',
    name,
    pauseType: p.pauseType,
    timeout: p.timeout,
    timeoutUnits: 'seconds',
    rate: p.rate,
    nbRateUnits: '1',
    rateUnits: 'second',
    randomFirst: '1',
    randomLast: '5',
    randomUnits: 'seconds',
    drop: false,
    allowrate: false,
    outputs: 1,
    wires: [[next]],
  };
}

export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('bench-webhook-secret-32-bytes!!!').toString('base64');

/**
 * Webhook receivers: ours at /hooks/ours (and /hooks/ours-stalled), the core-node baseline
 * http in -> http response at /hooks/plain (and /hooks/plain-stalled). The stalled variants feed a
 * delay node holding every message for 1 s before a function, so thousands of messages are in flight
 * downstream. The baseline acknowledges first (http response wired straight from http in), the best a
 * user can do with core nodes; it checks no signature and drops no duplicate.
 */
export function webhookFlow(): unknown[] {
  const sink = (id: string) => ({ id, z: 't', type: 'function', name: 'consume', outputs: 1, func: 'return null;', wires: [[]] });
  const stall = (id: string, next: string) => delayNode(id, 'slow downstream', { pauseType: 'delay', timeout: '1', rate: '1' }, next);
  const rx = (id: string, p: string, next: string) => ({
    id,
    z: 't',
    type: 'agentless-webhook-receiver',
    path: p,
    auth: 'standard-webhooks',
    credentials: { secret: WEBHOOK_SECRET },
    wires: [[next], [next], [next], [next]],
  });
  return [
    { id: 't', type: 'tab', label: 'bench webhooks' },
    rx('rx', '/hooks/ours', 'sink1'),
    sink('sink1'),
    rx('rxs', '/hooks/ours-stalled', 'stall1'),
    stall('stall1', 'sink2'),
    sink('sink2'),
    { id: 'pin', z: 't', type: 'http in', url: '/hooks/plain', method: 'post', wires: [['presp', 'sink3']] },
    { id: 'presp', z: 't', type: 'http response', statusCode: '200', wires: [] },
    sink('sink3'),
    { id: 'pins', z: 't', type: 'http in', url: '/hooks/plain-stalled', method: 'post', wires: [['presps', 'stall2']] },
    { id: 'presps', z: 't', type: 'http response', statusCode: '200', wires: [] },
    stall('stall2', 'sink4'),
    sink('sink4'),
  ];
}
