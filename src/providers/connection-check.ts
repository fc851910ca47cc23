/**
 * "Test connection" from the account dialog: build a provider from the form's values, ask it to check
 * itself, and answer `{ok, message}` only. Nothing here ever returns a credential.
 *
 * The route is reachable by anyone with the account's write permission, who also chooses the URLs, so:
 * - stored credentials are used only for the deployed `agentless-account` the form belongs to, and only
 *   while the form's platform and URLs equal the deployed ones: a stored secret is never sent anywhere
 *   its owner did not deploy it to. Otherwise the credentials must be typed into the dialog.
 * - a host that is neither a platform's own (Genesys Cloud regions, Avaamo) nor the deployed account's
 *   gets no credentials and one bit of answer, reachable or not: no status codes, bodies or error
 *   details that would map someone's internal network.
 */
import { createProvider } from './factory';
import { DEFAULT_GENESYS_REGION, GENESYS_REGIONS } from './genesys-regions';
import { AVAAMO_DEFAULT_BASE_URL } from './avaamo';
import { HttpClient, trimSlash } from './http-client';
import { PROVIDERS, ProviderName, unlimitedBudget, type AccountCredentials, type AccountSettings } from './types';
import { systemClock } from '../util/clock';
import { silentLogger } from '../util/logger';

const CREDENTIAL_KEYS = ['clientId', 'clientSecret', 'username', 'password', 'accessToken'] as const;
/** What the editor shows in a password field whose stored value it does not have. */
export const EDITOR_PLACEHOLDER = '__PWD__';

/** The deployed account a form belongs to: its settings and stored credentials. */
export interface DeployedAccount {
  settings: Pick<AccountSettings, 'provider' | 'region' | 'apiBaseUrl' | 'authBaseUrl'>;
  credentials: AccountCredentials;
}

export interface ConnectionAnswer {
  ok: boolean;
  message: string;
}

function str(v: unknown, max = 2048): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** Replace any credential value that an error message might echo (defence in depth: adapters never echo them). */
function scrub(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

function sameUrl(a: string | undefined, b: string | undefined): boolean {
  const n = (u: string | undefined) => trimSlash((u ?? '').trim());
  return n(a) === n(b);
}

/** The form asks about exactly what is deployed: same platform, and the same URLs (region included). */
function matchesDeployed(s: AccountSettings, d: DeployedAccount['settings']): boolean {
  if (s.provider !== d.provider || !sameUrl(s.apiBaseUrl, d.apiBaseUrl) || !sameUrl(s.authBaseUrl, d.authBaseUrl)) return false;
  const genesys = s.provider === 'genesys-cloud';
  return !genesys || (s.region || DEFAULT_GENESYS_REGION) === (d.region || DEFAULT_GENESYS_REGION);
}

function origin(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** Origins a platform itself serves (https only): Genesys Cloud's api/login hosts of every region, Avaamo. */
const PLATFORM_ORIGINS = new Set<string>([...GENESYS_REGIONS.flatMap((r) => [`https://api.${r.domain}`, `https://login.${r.domain}`]), AVAAMO_DEFAULT_BASE_URL]);

/** The origins the adapter would talk to for these settings (what its constructor computes). */
function originsOf(provider: unknown): string[] {
  const p = provider as { apiBase?: string; authBase?: string };
  return [p.apiBase, p.authBase].filter((u): u is string => typeof u === 'string').map((u) => origin(u) ?? u);
}

/** Any HTTP answer at all means reachable; nothing of the answer is kept. */
async function reachable(originUrl: string): Promise<boolean> {
  const http = new HttpClient({ provider: 'sandbox', budget: unlimitedBudget, clock: systemClock, timeoutMs: 5000 });
  try {
    await http.request({ method: 'GET', url: `${originUrl}/`, skipBudget: true });
    return true;
  } catch {
    return false;
  } finally {
    await http.close(0);
  }
}

/**
 * `live`: the deployed account's provider, for a signed-in (authorization-code) account: its check uses
 * the stored refresh token (which the form never holds) and names the signed-in user.
 */
export async function checkConnection(
  form: Record<string, unknown>,
  deployed: DeployedAccount | undefined,
  live?: () => Promise<{ testConnection(): Promise<{ ok: boolean; message: string }> }>,
): Promise<ConnectionAnswer> {
  const provider = str(form.provider) as ProviderName;
  if (!(PROVIDERS as readonly string[]).includes(provider)) return { ok: false, message: 'choose a platform first' };
  if (str(form.grant) === 'authorization-code' && (provider === 'genesys-cloud' || provider === 'sandbox')) {
    if (!live) return { ok: false, message: 'deploy the account and sign in first: a signed-in account is checked with its stored sign-in' };
    try {
      const r = await (await live()).testConnection();
      return { ok: r.ok, message: scrub(r.message, [deployed?.credentials.clientSecret, deployed?.credentials.refreshToken]) };
    } catch (err) {
      return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), [deployed?.credentials.clientSecret, deployed?.credentials.refreshToken]) };
    }
  }
  if (provider === 'sandbox') return { ok: true, message: 'the sandbox needs no credentials; it starts on deploy' };
  const apiBaseUrl = str(form.apiBaseUrl) || undefined;
  const authBaseUrl = str(form.authBaseUrl) || undefined;
  for (const u of [apiBaseUrl, authBaseUrl]) {
    if (u && !/^https?:\/\/[^\s/]+/.test(u)) return { ok: false, message: `"${u.slice(0, 100)}" is not an http(s) URL` };
  }
  const settings: AccountSettings = { provider, region: str(form.region, 100) || DEFAULT_GENESYS_REGION, apiBaseUrl, authBaseUrl, requestTimeoutMs: 15_000 };
  const useStored = deployed !== undefined && matchesDeployed(settings, deployed.settings);

  const given = (form.credentials && typeof form.credentials === 'object' ? form.credentials : {}) as Record<string, unknown>;
  const creds: AccountCredentials = {};
  let wantsStored = false;
  for (const k of CREDENTIAL_KEYS) {
    const v = str(given[k]);
    if (v && v !== EDITOR_PLACEHOLDER) creds[k] = v;
    else {
      if (v === EDITOR_PLACEHOLDER) wantsStored = true;
      creds[k] = useStored ? deployed!.credentials[k] || undefined : undefined;
    }
  }
  if (wantsStored && !useStored) {
    return {
      ok: false,
      message: deployed
        ? 'the stored credentials are only used with the platform and URLs this account is deployed with: type them in to test other settings'
        : 'this account is not deployed, so it has no stored credentials: type them in to test',
    };
  }

  const secrets = Object.values(creds);
  let handle;
  try {
    handle = await createProvider(settings, creds, { budget: unlimitedBudget, clock: systemClock, logger: silentLogger });
  } catch (err) {
    return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), secrets) };
  }
  try {
    const known = new Set(PLATFORM_ORIGINS);
    if (deployed && deployed.settings.provider !== 'sandbox') {
      // The deployed account's own hosts: what its owner deployed is not foreign to it.
      const deployedHandle = await createProvider(
        { ...deployed.settings, region: deployed.settings.region || DEFAULT_GENESYS_REGION },
        {},
        { budget: unlimitedBudget, clock: systemClock, logger: silentLogger },
      ).catch(() => null);
      if (deployedHandle) {
        for (const o of originsOf(deployedHandle.provider)) known.add(o);
        await deployedHandle.provider.close().catch(() => {});
      }
    }
    const foreign = [...new Set(originsOf(handle.provider))].filter((o) => !known.has(o));
    if (foreign.length) {
      for (const o of foreign) {
        if (!(await reachable(o))) return { ok: false, message: `${o} is not reachable` };
      }
      return {
        ok: true,
        message: `${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} reachable. It is not a platform host of ${provider}, so credentials are not sent there from this dialog: deploy the account to test them`,
      };
    }
    const r = await handle.provider.testConnection();
    return { ok: r.ok, message: scrub(r.message, secrets) };
  } catch (err) {
    return { ok: false, message: scrub(err instanceof Error ? err.message : String(err), secrets) };
  } finally {
    await handle.provider.close().catch(() => {});
  }
}
