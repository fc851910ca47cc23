/**
 * A private redis-server on a free loopback port for tests (no persistence). Tests that need Redis fail
 * with a clear message when redis-server is not installed: they never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import net from 'net';
import { freePort, sleep } from './red-process';

export class RedisServer {
  port = 0;
  private child: ChildProcess | null = null;
  log = '';

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const which = spawnSync('redis-server', ['--version']);
    if (which.error || which.status !== 0) {
      throw new Error('redis-server is not installed: the Redis half of these tests needs it (Debian: apt-get install -y redis-server; .ci/run installs it)');
    }
    if (!this.port) this.port = await freePort();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.port)) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error('redis-server did not start:\n' + this.log);
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
