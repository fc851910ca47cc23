/**
 * One system under test: a child Node-RED (test/helpers/red-process.ts) with a flow, its own sandbox
 * process, and a collector for what the flow reports.
 */
import { Collector, RedProcess, sleep, until } from '../../test/helpers/red-process';
import { SandboxProcess } from './sandbox';
import { cpuSeconds } from './procs';
import { baselineSendFlow, oursSendFlow } from './flows';

export interface Done {
  kind: 'done';
  start: number;
  end: number;
  count: number;
  /** When each outcome reached the tally (ms, in arrival order). */
  times: number[];
}

export class Lane {
  readonly red: RedProcess;
  readonly sandbox = new SandboxProcess();
  readonly collector = new Collector();

  constructor(readonly name: string) {
    this.red = new RedProcess(`bench-${name}-`);
  }

  async start(): Promise<void> {
    await Promise.all([this.sandbox.start(), this.collector.start(), this.red.start()]);
  }

  /** Deploy and wait until the flow answers (deploys return before the flows have started). */
  async deploy(flows: unknown[], probe: () => Promise<boolean> = () => this.enqueueReady()): Promise<void> {
    await this.red.deploy(flows);
    for (let i = 0; i < 200; i++) {
      if (await probe()) return;
      await sleep(50);
    }
    throw new Error(`${this.name}: flow never became ready\n${this.red.log}`);
  }

  private async enqueueReady(): Promise<boolean> {
    try {
      return (await this.red.req('POST', '/enqueue', JSON.stringify({ count: 0, prefix: 'probe' }), { 'content-type': 'application/json' })).status === 202;
    } catch {
      return false;
    }
  }

  async enqueue(count: number, prefix: string): Promise<void> {
    this.collector.items.length = 0;
    const r = await this.red.req('POST', '/enqueue', JSON.stringify({ count, prefix }), { 'content-type': 'application/json' });
    if (r.status !== 202) throw new Error(`${this.name}: enqueue answered ${r.status}`);
  }

  done(): Done | undefined {
    return this.collector.items.find((x) => x && x.kind === 'done');
  }

  failures(): { code: string; n: number }[] {
    return this.collector.items.filter((x) => x && x.kind === 'failure');
  }

  async waitDone(ms: number): Promise<Done> {
    if (!(await until(() => this.done() !== undefined, ms))) throw new Error(`${this.name}: not done within ${ms} ms (${this.collector.items.length} reports)`);
    return this.done()!;
  }

  cpu(): number {
    return cpuSeconds(this.red.pid);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.red.dispose(), this.collector.stop(), this.sandbox.stop()]);
  }
}

/**
 * This package and the core-node baseline side by side for the sending measures: each in its own
 * Node-RED with its own sandbox, deployed with the same pace.
 */
export class SendPair {
  readonly ours: Lane;
  readonly base: Lane;
  private token = '';

  constructor(name: string) {
    this.ours = new Lane(`${name}-ours`);
    this.base = new Lane(`${name}-base`);
  }

  async start(): Promise<void> {
    await Promise.all([this.ours.start(), this.base.start()]);
    this.token = await this.base.sandbox.token();
  }

  /** Deploy (or redeploy after a restart) both flows at `ratePerSecond`. */
  async deploy(ratePerSecond: number): Promise<void> {
    const { ours, base } = this;
    await Promise.all([
      ours.deploy(oursSendFlow({ sandboxUrl: ours.sandbox.url, collectorUrl: ours.collector.url, ratePerSecond })),
      base.deploy(baselineSendFlow({ sandboxUrl: base.sandbox.url, collectorUrl: base.collector.url, ratePerSecond, token: this.token })),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.ours.stop(), this.base.stop()]);
  }
}
