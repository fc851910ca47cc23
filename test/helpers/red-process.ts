/**
 * A real Node-RED in a child process (default settings: editor and http nodes both at "/"), with this
 * package loaded from the repository through `nodesDir`. Used where the test helper is not enough:
 * raw request bodies under default settings, restarts on the same user directory, and SIGKILL.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import type { AddressInfo } from 'net';
import { NODE_RED_CLI } from './node-red';
import { assertFreshBuild } from './built';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface HttpAnswer {
  status: number;
  body: string;
}

export function request(port: number, method: string, p: string, body = '', headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: p, method, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: s }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` every 20 ms until it holds or `ms` passed; returns whether it held. */
export async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

export class RedProcess {
  readonly userDir: string;
  port = 0;
  private child: ChildProcess | null = null;
  log = '';
  /** Node flags for the child (the bench's profiler sets `--cpu-prof`). */
  nodeArgs: string[] = [];

  /** The child's process id while it runs (the benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * `settings` is merged over the defaults below (top-level keys replace). `settingsSource` is JavaScript
   * for settings JSON cannot carry (functions such as httpNodeMiddleware), assigned over them.
   */
  constructor(prefix = 'agentless-red-', settings: Record<string, unknown> = {}, settingsSource?: string) {
    assertFreshBuild();
    this.userDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.writeFileSync(
      path.join(this.userDir, 'settings.js'),
      `module.exports = ${JSON.stringify({
        uiHost: '127.0.0.1',
        nodesDir: ROOT,
        credentialSecret: 'test-secret',
        flowFile: 'flows.json',
        telemetry: { enabled: false },
        editorTheme: { tours: false },
        logging: { console: { level: 'warn' } },
        ...settings,
      })};${settingsSource ? `\nObject.assign(module.exports, ${settingsSource});` : ''}`,
    );
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const child = spawn(process.execPath, [...this.nodeArgs, NODE_RED_CLI, '-u', this.userDir, '-s', path.join(this.userDir, 'settings.js'), '-p', String(this.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    for (let i = 0; i < 300; i++) {
      try {
        if ((await request(this.port, 'GET', '/settings')).status === 200) return;
      } catch {
        /* not up yet */
      }
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error('Node-RED did not start:\n' + this.log);
  }

  /** SIGTERM waits for a clean shutdown; SIGKILL is the crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  async deploy(flows: unknown[]): Promise<void> {
    const r = await request(this.port, 'POST', '/flows', JSON.stringify(flows), { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' });
    if (![200, 204].includes(r.status)) throw new Error(`deploy failed: ${r.status} ${r.body}`);
  }

  req(method: string, p: string, body = '', headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return request(this.port, method, p, body, headers);
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/** An HTTP server on loopback that records every JSON body POSTed to it. */
export class Collector {
  readonly items: any[] = [];
  private server = http.createServer((rq, rs) => {
    let s = '';
    rq.on('data', (c) => (s += c));
    rq.on('end', () => {
      try {
        this.items.push(JSON.parse(s));
      } catch {
        this.items.push(s);
      }
      rs.end('ok');
    });
  });
  url = '';

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise((r) => this.server.close(r));
  }
}

/**
 * The front of the child-process flows: `POST /enqueue` answers 202 at once, and `split` (a function body
 * returning `[msgs]`) turns its payload into one msg per message for the node `send`.
 */
export function enqueueNodes(split: string): Record<string, unknown>[] {
  return [
    { id: 'in', z: 't', type: 'http in', url: '/enqueue', method: 'post', wires: [['split', 'resp']] },
    { id: 'resp', z: 't', type: 'http response', statusCode: '202', wires: [] },
    { id: 'split', z: 't', type: 'function', name: 'one msg per n', outputs: 1, wires: [['send']], func: split },
  ];
}
