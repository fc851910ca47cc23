/**
 * The server side of "Sign in with Genesys Cloud": where the browser is sent, and what happens with the
 * code it brings back (exchanged here, on the server, with the client secret; the signed-in user named
 * with GET /api/v2/users/me). The refresh token goes to the account's token store and the runtime's
 * credentials only: the browser sees the user's name.
 */
import { SmsError } from '../util/errors';
import { HttpClient } from '../providers/http-client';
import { GenesysLogin, authorizeUrl, fetchSignedInUser } from '../providers/genesys-oauth';
import { unlimitedBudget } from '../providers/types';
import type { Clock } from '../util/clock';
import type { SignInSession } from './sign-in-sessions';
import type { SignedInUser } from './token-vault';

export const CALLBACK_PATH = 'agentless-sms/oauth/callback';

/** The redirect URI the editor computed from its own address; only this package's callback is accepted. */
export function checkRedirectUri(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 2048) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.search || u.hash || u.username || u.password || !u.pathname.endsWith(`/${CALLBACK_PATH}`)) return null;
  return u.toString();
}

export function signInUrl(session: Pick<SignInSession, 'authBase' | 'clientId' | 'redirectUri'>, state: string): string {
  return authorizeUrl(session.authBase, session.clientId, session.redirectUri, state);
}

export interface SignInResult {
  refreshToken: string;
  user: SignedInUser;
}

export async function completeSignIn(session: SignInSession, code: string, clock: Clock): Promise<SignInResult> {
  if (typeof code !== 'string' || !code || code.length > 4096) throw new SmsError('auth_failed', 'the sign-in came back without an authorization code');
  const http = new HttpClient({ provider: session.provider, budget: unlimitedBudget, clock, timeoutMs: 15_000 });
  try {
    const login = new GenesysLogin(http, session.authBase, { clientId: session.clientId, clientSecret: session.clientSecret }, session.provider);
    const grant = await login.authorizationCode(code, session.redirectUri);
    if (!grant.refreshToken) {
      throw new SmsError('auth_failed', 'Genesys Cloud signed the user in but issued no refresh token: the OAuth client must use the "Code Authorization" grant type');
    }
    const user = await fetchSignedInUser(http, session.apiBase, grant.accessToken, session.provider);
    return { refreshToken: grant.refreshToken, user };
  } finally {
    await http.close().catch(() => undefined);
  }
}

/** A pasted or stored refresh token that cannot be one (empty, whitespace, control characters, huge). */
export function isUsableRefreshToken(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 8 && v.length <= 4096 && /^[\x21-\x7e]+$/.test(v);
}

/** Node-RED's key for credentials: `credentialSecret`, else the generated `_credentialSecret`; null when encryption is off. */
export function credentialSecretOf(settings: { get?: (k: string) => unknown; credentialSecret?: unknown } | undefined): string | null {
  if (!settings) return null;
  const read = (k: string): unknown => {
    try {
      return typeof settings.get === 'function' ? settings.get(k) : (settings as Record<string, unknown>)[k];
    } catch {
      return undefined;
    }
  };
  const user = read('credentialSecret') ?? settings.credentialSecret;
  if (user === false) return null;
  if (typeof user === 'string' && user) return user;
  const system = read('_credentialSecret');
  return typeof system === 'string' && system ? system : null;
}
