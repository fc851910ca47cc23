/**
 * One system under test: a child Node-RED (test/helpers/red-process.ts) with a flow, its own sandbox
 * process, and a collector for what the flow reports.
 */
import { Collector, RedProcess, sleep, until } from '../../test/helpers/red-process';
import { SandboxProcess } from './sandbox';
import { cpuSeconds } from './procs';

export interface Done {
  kind: 'done';
  start: number;
  end: number;
  count: number;
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
