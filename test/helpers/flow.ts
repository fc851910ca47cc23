/**
 * Helpers for node tests in a real Node-RED runtime (node-red-node-test-helper): build flows with
 * capture nodes on every output and wait for messages.
 */
import helper from 'node-red-node-test-helper';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { builtNode } from './built';
import { SandboxServer, type SandboxOptions } from '../../src/sandbox/server';
import { NODE_RED_MAIN } from './node-red';

helper.init(NODE_RED_MAIN);

export const accountNode = builtNode('agentless-account');
export const senderNode = builtNode('agentless-sender');
export const sendSmsNode = builtNode('agentless-send-sms');
export const ALL_NODES = [accountNode, senderNode, sendSmsNode];

export { helper };

export type Msg = Record<string, any>;

/** Collects everything a helper node receives. */
export class Capture {
  readonly msgs: Msg[] = [];
  private waiters: { n: number; resolve: (m: Msg[]) => void }[] = [];

  constructor(node: any) {
    node.on('input', (msg: Msg) => {
      this.msgs.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (this.msgs.length >= w.n) {
          w.resolve(this.msgs.slice(0, w.n));
          return false;
        }
        return true;
      });
    });
  }

  /** Resolve once `n` messages arrived (rejects after `ms`). */
  wait(n = 1, ms = 5000): Promise<Msg[]> {
    if (this.msgs.length >= n) return Promise.resolve(this.msgs.slice(0, n));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`expected ${n} message(s), got ${this.msgs.length}`)), ms);
      this.waiters.push({
        n,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A tab, an account, a sender and a send-sms node wired to two capture nodes. */
export function sendFlow(account: Record<string, unknown>, sender: Record<string, unknown> = {}, send: Record<string, unknown> = {}): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    {
      id: 'acct',
      type: 'agentless-account',
      name: 'Test account',
      provider: 'sandbox',
      region: 'mypurecloud.com',
      apiBaseUrl: '',
      authBaseUrl: '',
      requestsPerMinute: '',
      sandboxPort: '',
      ...account,
    },
    {
      id: 'sender',
      type: 'agentless-sender',
      name: 'Test sender',
      account: 'acct',
      fromAddress: '+12025550100',
      channelUuid: '',
      mode: 'agentless',
      queueId: '',
      ratePerSecond: 100,
      burst: 100,
      queueLimit: 1000,
      defaultCountry: '',
      ...sender,
    },
    { id: 'send', type: 'agentless-send-sms', z: 'tab', name: '', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', wires: [['ok'], ['fail']], ...send },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'fail', type: 'helper', z: 'tab' },
  ];
}

/** A node of a flow by its id (tests change nodes by id, never by position). */
export function byId(flow: Msg[], id: string): Msg {
  const node = flow.find((n) => n.id === id);
  if (!node) throw new Error(`no node ${id} in the flow`);
  return node;
}

export async function loadSendFlow(flow: Msg[], credentials: Record<string, unknown> = {}) {
  await helper.load(ALL_NODES, flow, credentials);
  return {
    send: helper.getNode('send'),
    ok: new Capture(helper.getNode('ok')),
    fail: new Capture(helper.getNode('fail')),
  };
}

/**
 * Mocha hooks for node tests against a standalone sandbox on loopback: the server lives for the whole
 * describe block, is reset before each test, and each test gets a fresh runtime. With `userDir`, each
 * test also gets a fresh Node-RED user directory (durable queues, opt-out lists), removed afterwards.
 */
export function useLoopbackSandbox(opts: SandboxOptions, runtime: { userDir?: boolean } = {}): { server: SandboxServer; url: string; userDir: string } {
  const ctx = { server: new SandboxServer(opts), url: '', userDir: '' };
  before(async function () {
    ctx.url = await ctx.server.start();
  });
  after(async function () {
    await ctx.server.stop();
  });
  beforeEach(function (done) {
    ctx.server.reset();
    if (runtime.userDir) {
      ctx.userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentless-node-test-'));
      helper.settings({ userDir: ctx.userDir });
    }
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    if (ctx.userDir) fs.rmSync(ctx.userDir, { recursive: true, force: true });
  });
  return ctx;
}
