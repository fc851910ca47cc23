/**
 * The Genesys-compatible sandbox in its own process, so its CPU does not share an event loop with the
 * load generator or Node-RED. Prints one JSON line `{"url": ...}` once it listens.
 */
import { SandboxServer } from '../src/sandbox/server';

async function main(): Promise<void> {
  // Long status timers: the bench measures sending, and fewer timers keep the simulator light.
  const sandbox = new SandboxServer({ queuedToSentMs: 600_000, sentToFinalMs: 600_000 });
  // The bench counts every message it sent; the default cap is for long-running demos.
  sandbox.state.maxMessages = 1_000_000;
  const url = await sandbox.start(0, '127.0.0.1');
  process.stdout.write(JSON.stringify({ url }) + '\n');
  process.on('SIGTERM', () => void sandbox.stop().then(() => process.exit(0)));
}

void main();
