/**
 * `npm run sandbox`: the simulator on its own, so any account's apiBaseUrl can point at it.
 * Options: --port N (default 8787), --host H (default 127.0.0.1), --rpm N (API requests per minute, 0 = unlimited),
 * --client-id / --client-secret (only these get a token), --webhook-url / --webhook-secret (signed status events).
 */
import { SandboxServer } from './server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const clientId = arg('client-id');
  const clientSecret = arg('client-secret');
  const webhookUrl = arg('webhook-url');
  const sandbox = new SandboxServer({
    requestsPerMinute: Number(arg('rpm') ?? 0),
    credentials: clientId && clientSecret ? { clientId, clientSecret } : undefined,
    webhook: webhookUrl ? { url: webhookUrl, secret: arg('webhook-secret') ?? '' } : undefined,
  });
  const url = await sandbox.start(Number(arg('port') ?? 8787), arg('host') ?? '127.0.0.1');
  console.log(`Sandbox listening on ${url}`);
  console.log(`  point an account's API base URL (and auth base URL) at ${url}`);
  console.log(`  sandbox phone: ${url}/sandbox/phone`);
  const stop = () => {
    void sandbox.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
