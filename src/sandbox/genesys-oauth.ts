/**
 * The sandbox's Genesys Cloud login service: the client-credentials grant, and the Authorization Code
 * grant with a sign-in page for a few sandbox users, single-use codes bound to the client and the
 * redirect URI, refresh tokens that rotate on every use and can be revoked (POST /sandbox/control
 * `{"revokeRefreshTokens": true}`), and `GET /api/v2/users/me` for the signed-in user.
 *
 * Tokens remember whether a user or a client holds them, so the API routes can refuse the wrong kind
 * the way the platform does: the queue-based conversation routes answer a client token with
 * 400 "This request requires a user context...". That the agentless route refuses user tokens is our
 * model of "documented using a client credential grant" (the exact answer is not confirmed).
 *
 * Independent of the adapters: shares no request or response code with src/providers.
 */
import { randomBytes, randomUUID } from 'crypto';
import type { Route, RouteContext } from './server';

export interface SandboxUser {
  id: string;
  name: string;
  email: string;
}

/** The users the sandbox's sign-in page offers. */
export const SANDBOX_USERS: readonly SandboxUser[] = [
  { id: '5c1f3f0e-6a4b-4a70-9a55-0d1f7a6e0001', name: 'Sam Sandbox', email: 'sam.sandbox@example.com' },
  { id: '5c1f3f0e-6a4b-4a70-9a55-0d1f7a6e0002', name: 'Alex Agent', email: 'alex.agent@example.com' },
];

export const USER_CONTEXT_REQUIRED = 'This request requires a user context. Client credentials cannot be used for requests to this resource.';
export const CLIENT_GRANT_REQUIRED = 'This resource is available to the client credentials grant only; a user token cannot be used for requests to this resource.';

export interface SandboxToken {
  expiresAt: number;
  kind: 'client' | 'user';
  clientId: string;
  userId?: string;
  /** The refresh token this access token came from (revoking it revokes the access token too). */
  family?: string;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  expiresAt: number;
}

interface RefreshRecord {
  clientId: string;
  userId: string;
  family: string;
  expiresAt: number;
}

export interface OAuthOptions {
  /** Every refresh answers a new refresh token and retires the one used (default true). */
  rotateRefreshTokens: boolean;
  codeTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** When set, the only redirect URIs the sign-in page accepts (an OAuth client's registered list). */
  redirectUris?: string[];
}

/** Counters for tests and the control page; never the tokens themselves. */
export interface OAuthStats {
  clientGrants: number;
  codeGrants: number;
  refreshGrants: number;
  refusedGrants: number;
  signIns: number;
}

export class SandboxOAuth {
  readonly options: OAuthOptions = { rotateRefreshTokens: true, codeTtlSeconds: 60, refreshTokenTtlSeconds: 30 * 86_400 };
  readonly stats: OAuthStats = { clientGrants: 0, codeGrants: 0, refreshGrants: 0, refusedGrants: 0, signIns: 0 };
  /** Every code and token it ever issued (bounded), in process only: tests check none of them leaks. */
  readonly issued: string[] = [];
  private readonly codes = new Map<string, AuthCode>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();

  user(id: string | undefined): SandboxUser | undefined {
    return SANDBOX_USERS.find((u) => u.id === id);
  }

  control(body: Record<string, unknown>, tokens: Map<string, SandboxToken>): void {
    const o = body.oauth;
    if (o && typeof o === 'object') {
      const c = o as Record<string, unknown>;
      if (typeof c.rotateRefreshTokens === 'boolean') this.options.rotateRefreshTokens = c.rotateRefreshTokens;
      if (typeof c.codeTtlSeconds === 'number') this.options.codeTtlSeconds = c.codeTtlSeconds;
      if (typeof c.refreshTokenTtlSeconds === 'number') this.options.refreshTokenTtlSeconds = c.refreshTokenTtlSeconds;
      if (c.redirectUris === null) this.options.redirectUris = undefined;
      else if (Array.isArray(c.redirectUris)) this.options.redirectUris = c.redirectUris.map(String);
    }
    if (body.revokeRefreshTokens) {
      // A user's sessions revoked (admin action, password change): refresh tokens and their access tokens.
      this.refreshTokens.clear();
      for (const [t, info] of tokens) if (info.kind === 'user') tokens.delete(t);
    }
  }

  reset(): void {
    this.codes.clear();
    this.refreshTokens.clear();
    for (const k of Object.keys(this.stats) as (keyof OAuthStats)[]) this.stats[k] = 0;
  }

  issueCode(clientId: string, redirectUri: string, userId: string): string {
    const code = randomBytes(18).toString('base64url');
    this.remember(code);
    this.codes.set(code, { clientId, redirectUri, userId, expiresAt: Date.now() + this.options.codeTtlSeconds * 1000 });
    if (this.codes.size > 10_000) this.codes.delete(this.codes.keys().next().value as string);
    this.stats.signIns++;
    return code;
  }

  /** Single use: a code is gone after its first exchange, whatever the outcome. */
  takeCode(code: string): AuthCode | undefined {
    const c = this.codes.get(code);
    this.codes.delete(code);
    return c && c.expiresAt > Date.now() ? c : undefined;
  }

  issueRefresh(clientId: string, userId: string, family: string): string {
    const token = randomBytes(32).toString('base64url');
    this.remember(token);
    this.refreshTokens.set(token, { clientId, userId, family, expiresAt: Date.now() + this.options.refreshTokenTtlSeconds * 1000 });
    return token;
  }

  remember(secret: string): void {
    this.issued.push(secret);
    if (this.issued.length > 10_000) this.issued.shift();
  }

  useRefresh(token: string): RefreshRecord | undefined {
    const r = this.refreshTokens.get(token);
    if (!r || r.expiresAt <= Date.now()) return undefined;
    if (this.options.rotateRefreshTokens) this.refreshTokens.delete(token);
    return r;
  }
}

function oauthError(ctx: RouteContext, status: number, error: string, description: string): void {
  ctx.reply(status, { error, description, error_description: description });
}

/** Basic client authentication as the login service reads it; null (and answered) when refused. */
function clientOf(ctx: RouteContext): string | null {
  const auth = String(ctx.req.headers.authorization ?? '');
  if (!auth.startsWith('Basic ')) {
    oauthError(ctx, 401, 'invalid_client', 'client authentication is required');
    return null;
  }
  const [clientId, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
  const clientSecret = rest.join(':');
  const expected = ctx.server.options.credentials;
  const ok = clientId !== '' && clientSecret !== '' && (!expected || (expected.clientId === clientId && expected.clientSecret === clientSecret));
  if (!ok) {
    oauthError(ctx, 401, 'invalid_client', 'client not found or secret mismatch');
    return null;
  }
  return clientId;
}

function token(ctx: RouteContext): void {
  const form = new URLSearchParams(ctx.body.toString('utf8'));
  const clientId = clientOf(ctx);
  if (clientId === null) return;
  const server = ctx.server;
  const oauth = server.oauth;
  const ttl = server.options.tokenTtlSeconds;
  const grant = form.get('grant_type');
  if (grant === 'client_credentials') {
    const access = randomBytes(24).toString('base64url');
    server.issueToken(access, { kind: 'client', clientId });
    oauth.stats.clientGrants++;
    ctx.reply(200, { access_token: access, token_type: 'bearer', expires_in: ttl });
    return;
  }
  if (grant === 'authorization_code') {
    const code = oauth.takeCode(form.get('code') ?? '');
    // One answer for every way a code can be wrong, like the platform: it never says which.
    if (!code || code.clientId !== clientId || code.redirectUri !== (form.get('redirect_uri') ?? '')) {
      oauth.stats.refusedGrants++;
      oauthError(ctx, 400, 'invalid_grant', 'authorization code is invalid, expired, already used, or was issued to another client or redirect URI');
      return;
    }
    const family = randomUUID();
    const access = randomBytes(24).toString('base64url');
    server.issueToken(access, { kind: 'user', clientId, userId: code.userId, family });
    oauth.stats.codeGrants++;
    ctx.reply(200, { access_token: access, token_type: 'bearer', expires_in: ttl, refresh_token: oauth.issueRefresh(clientId, code.userId, family) });
    return;
  }
  if (grant === 'refresh_token') {
    const r = oauth.useRefresh(form.get('refresh_token') ?? '');
    if (!r || r.clientId !== clientId) {
      oauth.stats.refusedGrants++;
      oauthError(ctx, 400, 'invalid_grant', 'refresh token is invalid, expired or revoked');
      return;
    }
    const access = randomBytes(24).toString('base64url');
    server.issueToken(access, { kind: 'user', clientId, userId: r.userId, family: r.family });
    oauth.stats.refreshGrants++;
    const body: Record<string, unknown> = { access_token: access, token_type: 'bearer', expires_in: ttl };
    // Without rotation the same refresh token stays valid and is not repeated.
    if (oauth.options.rotateRefreshTokens) body.refresh_token = oauth.issueRefresh(clientId, r.userId, r.family);
    ctx.reply(200, body);
    return;
  }
  oauthError(ctx, 400, 'unsupported_grant_type', 'grant_type must be client_credentials, authorization_code or refresh_token');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(ctx: RouteContext, status: number, title: string, inner: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto;color:#222}h1{font-size:1.3rem}
label{display:block;margin:.4rem 0}button{font-size:1rem;padding:.4rem 1rem;margin-right:.5rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>${inner}</body></html>`;
  ctx.reply(status, html, { 'Content-Type': 'text/html; charset=utf-8' });
}

/** Only an absolute http(s) URL can be redirected to; anything else gets an error page, never a redirect. */
function redirectTarget(ctx: RouteContext, raw: string | null): URL | null {
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const allowed = ctx.server.oauth.options.redirectUris;
  if (allowed && !allowed.includes(raw)) return null;
  return u;
}

function authorizeParams(ctx: RouteContext, q: URLSearchParams): { clientId: string; redirect: URL; redirectUri: string; state: string } | null {
  const clientId = q.get('client_id') ?? '';
  const redirectUri = q.get('redirect_uri');
  const redirect = redirectTarget(ctx, redirectUri);
  if (!redirect) {
    page(ctx, 400, 'Sign-in refused', '<p>The redirect URI is missing or not registered for this OAuth client.</p>');
    return null;
  }
  const expected = ctx.server.options.credentials;
  if (!clientId || (expected && expected.clientId !== clientId)) {
    page(ctx, 400, 'Sign-in refused', '<p>Unknown OAuth client.</p>');
    return null;
  }
  return { clientId, redirect, redirectUri: redirectUri as string, state: q.get('state') ?? '' };
}

function back(ctx: RouteContext, redirect: URL, params: Record<string, string>): void {
  for (const [k, v] of Object.entries(params)) redirect.searchParams.set(k, v);
  ctx.reply(302, { redirect: redirect.toString() }, { Location: redirect.toString() });
}

/** GET /oauth/authorize: the sign-in page (choose a sandbox user). */
function authorizePage(ctx: RouteContext): void {
  const q = new URL(ctx.req.url ?? '/', 'http://sandbox').searchParams;
  const p = authorizeParams(ctx, q);
  if (!p) return;
  if (q.get('response_type') !== 'code') return back(ctx, p.redirect, { error: 'unsupported_response_type', state: p.state });
  const hidden = (n: string, v: string) => `<input type="hidden" name="${n}" value="${escapeHtml(v)}">`;
  const users = SANDBOX_USERS.map((u, i) => `<label><input type="radio" name="user" value="${u.id}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.name)} (${escapeHtml(u.email)})</label>`).join('');
  page(
    ctx,
    200,
    'Sandbox sign-in',
    `<p>Sign in to the sandbox's Genesys Cloud org as:</p><form method="post" action="/oauth/authorize">${users}
${hidden('client_id', p.clientId)}${hidden('redirect_uri', p.redirectUri)}${hidden('state', p.state)}
<p><button type="submit" name="action" value="allow" id="sandbox-sign-in">Sign in</button><button type="submit" name="action" value="deny" id="sandbox-deny">Cancel</button></p></form>`,
  );
}

/** POST /oauth/authorize: the user's choice; back to the redirect URI with a code (or an error). */
function authorizeSubmit(ctx: RouteContext): void {
  const form = new URLSearchParams(ctx.body.toString('utf8'));
  const p = authorizeParams(ctx, form);
  if (!p) return;
  if (form.get('action') !== 'allow') return back(ctx, p.redirect, { error: 'access_denied', state: p.state });
  const user = ctx.server.oauth.user(form.get('user') ?? '');
  if (!user) return page(ctx, 400, 'Sign-in refused', '<p>Choose a user.</p>');
  back(ctx, p.redirect, { code: ctx.server.oauth.issueCode(p.clientId, p.redirectUri, user.id), state: p.state });
}

/** GET /api/v2/users/me: the signed-in user (a user token only). */
function me(ctx: RouteContext, info: SandboxToken): void {
  const u = ctx.server.oauth.user(info.userId);
  if (!u) {
    ctx.reply(404, { message: 'user not found', code: 'not.found', status: 404 });
    return;
  }
  ctx.reply(200, { id: u.id, name: u.name, email: u.email, username: u.email, state: 'active', selfUri: `/api/v2/users/${u.id}` });
}

export function oauthRoutes(): Route[] {
  return [
    { method: 'POST', pattern: /^\/oauth\/token$/, auth: 'none', handle: token },
    { method: 'GET', pattern: /^\/oauth\/authorize$/, auth: 'none', handle: authorizePage },
    { method: 'POST', pattern: /^\/oauth\/authorize$/, auth: 'none', handle: authorizeSubmit },
    { method: 'GET', pattern: /^\/api\/v2\/users\/me$/, auth: 'bearer', context: 'user', api: true, handle: (c) => me(c, c.token!) },
  ];
}
