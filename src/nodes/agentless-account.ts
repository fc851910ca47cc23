/**
 * agentless-account: a config node holding one platform tenant: provider, endpoints, credentials, and
 * the API request budget that every sender and status poll of the tenant draws from.
 */
import type { NodeAPI } from 'node-red';
import type { AccountCredentials, AccountDef, AccountNode } from './types';
import { AccountRuntime } from '../providers/account';
import { PROVIDERS, ProviderName, unlimitedBudget } from '../providers/types';
import { createProvider } from '../providers/factory';
import { silentLogger } from '../util/logger';
import { DEFAULT_GENESYS_REGION } from '../providers/genesys-regions';
import { systemClock } from '../util/clock';
import { nodeLogger } from './node-logger';

const CREDENTIAL_KEYS = ['clientId', 'clientSecret', 'username', 'password', 'accessToken'] as const;
/** What the editor shows in a password field whose stored value it does not have. */
const EDITOR_PLACEHOLDER = '__PWD__';
/** Admin apps that already have the test route: a Node-RED runtime loads this module once, tests many times. */
const routedApps = new WeakSet<object>();
let currentRED: NodeAPI | null = null;

function str(v: unknown, max = 2048): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** Replace any credential value that an error message might echo (defence in depth: adapters never echo them). */
function scrub(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

/**
 * POST /agentless-sms/accounts/test: check the form's values (or, for fields left as the placeholder or
 * empty, the deployed node's stored credentials) against the platform. Answers `{ok, message}` only.
 */
async function testAccount(RED: NodeAPI, body: Record<string, unknown>): Promise<{ ok: boolean; message: string }> {
  const provider = str(body.provider) as ProviderName;
  if (!(PROVIDERS as readonly string[]).includes(provider)) return { ok: false, message: 'choose a platform first' };
  if (provider === 'sandbox') return { ok: true, message: 'the sandbox needs no credentials; it starts on deploy' };
  const id = str(body.id, 64);
  const deployed = id ? (RED.nodes.getCredentials(id) as AccountCredentials | undefined) : undefined;
  const given = (body.credentials && typeof body.credentials === 'object' ? body.credentials : {}) as Record<string, unknown>;
  const creds: AccountCredentials = {};
  for (const k of CREDENTIAL_KEYS) {
    const v = str(given[k]);
    creds[k] = v && v !== EDITOR_PLACEHOLDER ? v : deployed?.[k] || undefined;
  }
  const apiBaseUrl = str(body.apiBaseUrl) || undefined;
  const authBaseUrl = str(body.authBaseUrl) || undefined;
  for (const u of [apiBaseUrl, authBaseUrl]) {
    if (u && !/^https?:\/\/[^\s/]+/.test(u)) return { ok: false, message: `"${u.slice(0, 100)}" is not an http(s) URL` };
  }
  let handle;
  try {
    handle = await createProvider(
      { provider, region: str(body.region, 100) || DEFAULT_GENESYS_REGION, apiBaseUrl, authBaseUrl, requestTimeoutMs: 15_000 },
      creds,
      { budget: unlimitedBudget, clock: systemClock, logger: silentLogger },
    );
  } catch (err) {
    return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), Object.values(creds)) };
  }
  try {
    const r = await handle.provider.testConnection();
    return { ok: r.ok, message: scrub(r.message, Object.values(creds)) };
  } catch (err) {
    return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), Object.values(creds)) };
  } finally {
    await handle.provider.close().catch(() => {});
  }
}

export = function (RED: NodeAPI) {
  currentRED = RED;
  if (!routedApps.has(RED.httpAdmin)) {
    routedApps.add(RED.httpAdmin);
    RED.httpAdmin.post('/agentless-sms/accounts/test', RED.auth.needsPermission('agentless-account.write'), (req, res) => {
      const red = currentRED ?? RED;
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      testAccount(red, body).then(
        (r) => res.json(r),
        () => res.status(500).json({ ok: false, message: 'the check failed unexpectedly' }),
      );
    });
  }
  function AgentlessAccountNode(this: AccountNode, config: AccountDef) {
    RED.nodes.createNode(this, config);
    const provider = (PROVIDERS as readonly string[]).includes(config.provider) ? config.provider : 'sandbox';
    const creds = this.credentials ?? {};
    this.runtime = new AccountRuntime(
      {
        provider,
        region: config.region || DEFAULT_GENESYS_REGION,
        apiBaseUrl: (config.apiBaseUrl || '').trim() || undefined,
        authBaseUrl: (config.authBaseUrl || '').trim() || undefined,
        sandboxPort: Number(config.sandboxPort) || 0,
      },
      { clientId: creds.clientId, clientSecret: creds.clientSecret, username: creds.username, password: creds.password, accessToken: creds.accessToken },
      unlimitedBudget,
      { clock: systemClock, logger: nodeLogger(this) },
    );
    if (provider === 'sandbox') {
      this.runtime.sandboxUrl().then(
        (url) => this.log(RED._('agentless-account.log.sandbox', { url: `${url}/sandbox/phone` })),
        (err: Error) => this.error(err.message),
      );
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      this.runtime.close().then(done, done);
    });
  }

  RED.nodes.registerType<AccountNode, AccountDef, {}, AccountCredentials>('agentless-account', AgentlessAccountNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      accessToken: { type: 'password' },
    },
  });
};
