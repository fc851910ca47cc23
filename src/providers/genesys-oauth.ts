/**
 * The Genesys Cloud login service as a client sees it: `POST {login}/oauth/token` with Basic client
 * authentication for the three grants this package uses (client credentials; authorization code;
 * refresh token), the authorize URL the editor's "Sign in" opens, and `GET /api/v2/users/me` to name the
 * signed-in user. Token-endpoint answers map to stable codes here, in one place:
 *   2xx with access_token -> the grant;  400/401 (invalid_grant, invalid_client, ...) -> auth_failed
 *   (a refused refresh token is marked `reason: sign-in-required`);  5xx -> provider_unavailable.
 * Nothing here logs or echoes a token, a code or a secret: errors carry the server's description only.
 */
import { SmsError } from '../util/errors';
import type { HttpClient } from './http-client';
import type { ProviderName } from './types';

export interface OAuthClient {
  clientId?: string;
  clientSecret?: string;
}

export interface GrantAnswer {
  accessToken: string;
  /** Seconds, as the server said. */
  expiresIn: number;
  /** Present when the server issued (or rotated to) a refresh token. */
  refreshToken?: string;
}

export interface GenesysUser {
  id: string;
  name: string;
}

/** `msg.error.details.reason` of an auth_failed that only signing in again can fix. */
export const SIGN_IN_REQUIRED = 'sign-in-required';

/** For an SmsError or its `msg.error` form. */
export function isSignInRequired(err: unknown): boolean {
  const e = err as { code?: unknown; details?: { reason?: unknown } } | null;
  return !!e && typeof e === 'object' && e.code === 'auth_failed' && e.details?.reason === SIGN_IN_REQUIRED;
}

export function signInRequired(message: string, provider: ProviderName, httpStatus?: number, oauthError?: string): SmsError {
  return new SmsError('auth_failed', message, { provider, httpStatus, details: { reason: SIGN_IN_REQUIRED, ...(oauthError ? { oauthError } : {}) } });
}

export function authorizeUrl(authBase: string, clientId: string, redirectUri: string, state: string): string {
  const u = new URL(`${authBase}/oauth/authorize`);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', clientId);
  u.searchParams.set('redirect_uri', redirectUri);
  u.searchParams.set('state', state);
  return u.toString();
}

/** The short reason the login service gave (never the request). */
function why(status: number, body: Record<string, unknown>): string {
  for (const k of ['error_description', 'description', 'error'] as const) if (typeof body[k] === 'string' && body[k]) return String(body[k]).slice(0, 300);
  return `HTTP ${status}`;
}

export class GenesysLogin {
  constructor(
    private readonly http: HttpClient,
    readonly authBase: string,
    private readonly client: OAuthClient,
    private readonly provider: ProviderName,
  ) {}

  clientCredentials(): Promise<GrantAnswer> {
    return this.grant('grant_type=client_credentials', 'login');
  }

  authorizationCode(code: string, redirectUri: string): Promise<GrantAnswer> {
    return this.grant(new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }).toString(), 'code');
  }

  refresh(refreshToken: string): Promise<GrantAnswer> {
    return this.grant(new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(), 'refresh');
  }

  private async grant(form: string, kind: 'login' | 'code' | 'refresh'): Promise<GrantAnswer> {
    const { clientId, clientSecret } = this.client;
    if (!clientId || !clientSecret) {
      throw new SmsError('auth_failed', 'Genesys Cloud account has no client id or client secret', { provider: this.provider });
    }
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    let res;
    try {
      res = await this.http.request({
        method: 'POST',
        url: `${this.authBase}/oauth/token`,
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        data: form,
        skipBudget: true,
      });
    } catch (err) {
      // Whatever happened to the token request, the message itself was not written: safe to retry it.
      if (err instanceof SmsError)
        throw new SmsError(err.code, err.message, { retryable: err.retryable, provider: this.provider, sent: 'no', httpStatus: err.httpStatus, retryAfterMs: err.retryAfterMs });
      throw err;
    }
    const body = (res.data && typeof res.data === 'object' ? res.data : {}) as Record<string, unknown>;
    if (res.status >= 200 && res.status < 300 && typeof body.access_token === 'string' && body.access_token) {
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 3600;
      const out: GrantAnswer = { accessToken: body.access_token, expiresIn };
      if (typeof body.refresh_token === 'string' && body.refresh_token) out.refreshToken = body.refresh_token;
      return out;
    }
    if (res.status >= 500 || (res.status >= 200 && res.status < 300)) {
      throw new SmsError('provider_unavailable', `Genesys Cloud login service answered ${res.status}${res.status < 300 ? ' without an access token' : ''}`, {
        httpStatus: res.status,
        retryable: true,
        provider: this.provider,
      });
    }
    const oauthError = typeof body.error === 'string' ? body.error.slice(0, 64) : undefined;
    if (kind === 'refresh' && (oauthError === 'invalid_grant' || res.status === 400 || res.status === 401)) {
      // Revoked, expired, or already rotated away: only a new sign-in helps, so do not hammer the service.
      return Promise.reject(signInRequired(`Genesys Cloud refused the refresh token (${why(res.status, body)}): sign in again in the account`, this.provider, res.status, oauthError));
    }
    const label = kind === 'code' ? 'sign-in' : 'login';
    throw new SmsError('auth_failed', `Genesys Cloud ${label} failed: ${why(res.status, body)}`, {
      httpStatus: res.status,
      provider: this.provider,
      ...(oauthError ? { details: { oauthError } } : {}),
    });
  }
}

/** GET /api/v2/users/me with a user's access token: who signed in (id and name only). */
export async function fetchSignedInUser(http: HttpClient, apiBase: string, accessToken: string, provider: ProviderName): Promise<GenesysUser> {
  const res = await http.request({ method: 'GET', url: `${apiBase}/api/v2/users/me`, headers: { Authorization: `Bearer ${accessToken}` }, skipBudget: true });
  const body = (res.data && typeof res.data === 'object' ? res.data : {}) as Record<string, unknown>;
  if (res.status >= 200 && res.status < 300 && typeof body.id === 'string') {
    const name = typeof body.name === 'string' && body.name ? body.name : typeof body.username === 'string' ? body.username : body.id;
    return { id: body.id.slice(0, 100), name: String(name).slice(0, 200) };
  }
  const message = typeof body.message === 'string' ? body.message.slice(0, 300) : `HTTP ${res.status}`;
  throw new SmsError(res.status === 401 ? 'auth_failed' : 'provider_rejected', `Genesys Cloud could not name the signed-in user: ${message}`, { httpStatus: res.status, provider });
}
