/**
 * "Test connection" from the account dialog: build a provider from the form's values (or, for credential
 * fields left as the editor's placeholder or empty, the deployed node's stored credentials), ask it to
 * check itself, and answer `{ok, message}` only. Nothing here ever returns a credential.
 */
import { createProvider } from './factory';
import { DEFAULT_GENESYS_REGION } from './genesys-regions';
import { PROVIDERS, ProviderName, unlimitedBudget, type AccountCredentials } from './types';
import { systemClock } from '../util/clock';
import { silentLogger } from '../util/logger';

const CREDENTIAL_KEYS = ['clientId', 'clientSecret', 'username', 'password', 'accessToken'] as const;
/** What the editor shows in a password field whose stored value it does not have. */
export const EDITOR_PLACEHOLDER = '__PWD__';

function str(v: unknown, max = 2048): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** Replace any credential value that an error message might echo (defence in depth: adapters never echo them). */
function scrub(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

export async function checkConnection(form: Record<string, unknown>, stored: AccountCredentials | undefined): Promise<{ ok: boolean; message: string }> {
  const provider = str(form.provider) as ProviderName;
  if (!(PROVIDERS as readonly string[]).includes(provider)) return { ok: false, message: 'choose a platform first' };
  if (provider === 'sandbox') return { ok: true, message: 'the sandbox needs no credentials; it starts on deploy' };
  const given = (form.credentials && typeof form.credentials === 'object' ? form.credentials : {}) as Record<string, unknown>;
  const creds: AccountCredentials = {};
  for (const k of CREDENTIAL_KEYS) {
    const v = str(given[k]);
    creds[k] = v && v !== EDITOR_PLACEHOLDER ? v : stored?.[k] || undefined;
  }
  const apiBaseUrl = str(form.apiBaseUrl) || undefined;
  const authBaseUrl = str(form.authBaseUrl) || undefined;
  for (const u of [apiBaseUrl, authBaseUrl]) {
    if (u && !/^https?:\/\/[^\s/]+/.test(u)) return { ok: false, message: `"${u.slice(0, 100)}" is not an http(s) URL` };
  }
  const secrets = Object.values(creds);
  let handle;
  try {
    handle = await createProvider({ provider, region: str(form.region, 100) || DEFAULT_GENESYS_REGION, apiBaseUrl, authBaseUrl, requestTimeoutMs: 15_000 }, creds, {
      budget: unlimitedBudget,
      clock: systemClock,
      logger: silentLogger,
    });
  } catch (err) {
    return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), secrets) };
  }
  try {
    const r = await handle.provider.testConnection();
    return { ok: r.ok, message: scrub(r.message, secrets) };
  } catch (err) {
    return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), secrets) };
  } finally {
    await handle.provider.close().catch(() => {});
  }
}
