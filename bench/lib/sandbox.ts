/** A handle on a sandbox running in a child process (bench/sandbox-process.ts), driven over HTTP. */
import type { ChildProcess } from 'child_process';
import { firstJsonLine, httpJson, killChild, spawnTs } from './procs';

export const AGENTLESS_PATH = '/api/v2/conversations/messages/agentless';
export const CREDS = { clientId: 'bench-client', clientSecret: 'bench-secret' };

export interface ApiRequest {
  method: string;
  path: string;
  status: number;
  at: number;
}

export class SandboxProcess {
  url = '';
  private child: ChildProcess | null = null;

  async start(): Promise<string> {
    this.child = spawnTs('sandbox-process.ts');
    this.url = (await firstJsonLine<{ url: string }>(this.child, 30_000)).url;
    return this.url;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async control(body: Record<string, unknown>): Promise<void> {
    await httpJson(`${this.url}/sandbox/control`, 'POST', body);
  }

  async reset(): Promise<void> {
    await httpJson(`${this.url}/sandbox/reset`, 'POST', {});
  }

  /** Every answered request to the agentless send route, in order. */
  async sends(): Promise<ApiRequest[]> {
    const r = await httpJson(`${this.url}/sandbox/requests`);
    return (r.body.requests as ApiRequest[]).filter((q) => q.path === AGENTLESS_PATH);
  }

  /** Texts of the messages the platform accepted, in arrival order. */
  async texts(): Promise<string[]> {
    const r = await httpJson(`${this.url}/sandbox/messages`);
    return (r.body.messages as { textBody?: string }[]).map((m) => m.textBody ?? '');
  }

  /** A bearer token, for the baselines that call the API from a function node. */
  async token(): Promise<string> {
    const basic = Buffer.from(`${CREDS.clientId}:${CREDS.clientSecret}`).toString('base64');
    const r = await httpJson(`${this.url}/oauth/token`, 'POST', 'grant_type=client_credentials', { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' });
    return r.body.access_token as string;
  }

  async stop(): Promise<void> {
    await killChild(this.child);
    this.child = null;
  }
}
