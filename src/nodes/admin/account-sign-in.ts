/**
 * "Sign in with Genesys Cloud" from the account dialog, through Node-RED's admin API (routes registered
 * once per admin app, like the other admin routes):
 *   POST /agentless-sms/accounts/:id/sign-in   (agentless-account.write) start: answers the authorize URL
 *                                              and sets the browser binder cookie
 *   GET  /agentless-sms/oauth/callback         where Genesys Cloud sends the browser back: no admin token
 *                                              can ride on a redirect, so the single-use state and the
 *                                              binder cookie protect it; the code is exchanged here
 *   GET  /agentless-sms/accounts/:id/sign-in   (agentless-account.read) who is signed in: a name, never a token
 * The logic lives in src/auth (sessions, exchange, token stores); this file is the HTTP wiring.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { SignInSessions } from '../../auth/sign-in-sessions';
import { checkRedirectUri, completeSignIn, credentialSecretOf, signInUrl } from '../../auth/sign-in';
import { accountTokenStore } from '../../auth/account-token-store';
import { extendChain } from '../../auth/token-vault';
import { genesysBases } from '../../providers/genesys-cloud';
import { DEFAULT_GENESYS_REGION } from '../../providers/genesys-regions';
import { systemClock } from '../../util/clock';
import type { AccountNode, AccountNodeCredentials } from '../kit/types';

const routedApps = new WeakSet<object>();
let currentRED: NodeAPI | null = null;
const sessions = new SignInSessions(systemClock);
/** The last completed sign-in per account (a name only), for a dialog whose account is not deployed yet. */
const lastSignIn = new Map<string, { user: string; at: number }>();
const COOKIE = 'agentless_sms_signin';
const PLACEHOLDERS = new Set(['__PWRD__', '__PWD__']);

function str(v: unknown, max = 2048): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

function validId(v: unknown): string | null {
  return typeof v === 'string' && /^[\w.-]{1,64}$/.test(v) ? v : null;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(res: Response, status: number, title: string, text: string, notify?: { account: string; ok: boolean }): void {
  // The opener (the account dialog) hears about the outcome; the message names no token.
  const script = notify
    ? `<script>try{if(window.opener){window.opener.postMessage(${JSON.stringify({ type: 'agentless-sms:sign-in', account: notify.account, ok: notify.ok })},location.origin);}}catch(e){}</script>`
    : '';
  res.status(status);
  res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' });
  res.send(`<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1 style="font-size:1.3rem" id="agentless-sms-sign-in-title">${escapeHtml(title)}</h1><p id="agentless-sms-sign-in-text">${escapeHtml(text)}</p>${script}</body></html>`);
}

function cookieOf(req: Request): string | undefined {
  const raw = String(req.headers.cookie ?? '');
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

function adminRoot(red: NodeAPI): string {
  const r = (red.settings as { httpAdminRoot?: string | false }).httpAdminRoot;
  const root = typeof r === 'string' ? r : '/';
  return (root.startsWith('/') ? root : `/${root}`).replace(/\/?$/, '/');
}

const REASONS: Record<string, string> = {
  unknown: 'This sign-in is unknown or was already used. Start again with "Sign in" in the account dialog.',
  expired: 'This sign-in took too long and expired. Start again with "Sign in" in the account dialog.',
  browser: 'This sign-in was started in another browser. Start again with "Sign in" in the account dialog of this browser.',
};

export function registerAccountSignInRoutes(RED: NodeAPI): void {
  currentRED = RED;
  if (routedApps.has(RED.httpAdmin)) return;
  routedApps.add(RED.httpAdmin);
  const red = () => currentRED ?? RED;

  RED.httpAdmin.post('/agentless-sms/accounts/:id/sign-in', RED.auth.needsPermission('agentless-account.write'), (req, res) => {
    void (async () => {
      const r = red();
      const id = validId(req.params.id);
      if (!id) return res.status(400).json({ ok: false, message: 'unknown account id' });
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const provider = body.provider === 'sandbox' || body.provider === 'genesys-cloud' ? body.provider : null;
      if (!provider) return res.status(400).json({ ok: false, message: 'signing in is for Genesys Cloud accounts (and the sandbox)' });
      const redirectUri = checkRedirectUri(body.redirectUri);
      if (!redirectUri) return res.status(400).json({ ok: false, message: 'the redirect URI must be this editor\'s .../agentless-sms/oauth/callback' });
      const stored = (r.nodes.getCredentials(id) ?? {}) as AccountNodeCredentials;
      const given = (body.credentials && typeof body.credentials === 'object' ? body.credentials : {}) as Record<string, unknown>;
      const pick = (k: 'clientId' | 'clientSecret') => {
        const v = str(given[k]);
        return v && !PLACEHOLDERS.has(v) ? v : stored[k] || '';
      };
      let authBase: string;
      let apiBase: string;
      let clientId = pick('clientId');
      let clientSecret = pick('clientSecret');
      if (provider === 'sandbox') {
        const node = r.nodes.getNode(id) as AccountNode | null;
        if (!node?.runtime || node.runtime.settings.provider !== 'sandbox') {
          return res.status(409).json({ ok: false, message: 'deploy the sandbox account first: its sign-in page runs in the deployed sandbox' });
        }
        authBase = apiBase = (await node.runtime.sandboxUrl()) ?? '';
        clientId ||= 'sandbox';
        clientSecret ||= 'sandbox';
      } else {
        const apiBaseUrl = str(body.apiBaseUrl) || undefined;
        const authBaseUrl = str(body.authBaseUrl) || undefined;
        for (const u of [apiBaseUrl, authBaseUrl]) if (u && !/^https?:\/\/[^\s/]+/.test(u)) return res.status(400).json({ ok: false, message: 'the API and auth base URLs must be http(s) URLs' });
        ({ apiBase, authBase } = genesysBases({ region: str(body.region, 100) || DEFAULT_GENESYS_REGION, apiBaseUrl, authBaseUrl }));
        if (!clientId || !clientSecret) return res.status(400).json({ ok: false, message: 'enter the OAuth client id and secret first' });
      }
      const user = str((req as { user?: { username?: unknown } }).user?.username, 200);
      const { state, binder } = sessions.start({ accountId: id, user, provider, authBase, apiBase, clientId, clientSecret, redirectUri });
      const maxAge = Math.floor(sessions.ttlMs / 1000);
      res.setHeader('Set-Cookie', `${COOKIE}=${binder}; Path=${adminRoot(r)}agentless-sms/oauth; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ ok: true, url: signInUrl({ authBase, clientId, redirectUri }, state), redirectUri });
    })().catch(() => res.status(500).json({ ok: false, message: 'could not start the sign-in' }));
  });

  RED.httpAdmin.get('/agentless-sms/accounts/:id/sign-in', RED.auth.needsPermission('agentless-account.read'), (req, res) => {
    const id = validId(req.params.id);
    if (!id) return void res.status(400).json({ ok: false, message: 'unknown account id' });
    const node = red().nodes.getNode(id) as AccountNode | null;
    const live = node?.runtime?.signInStatus?.();
    const last = lastSignIn.get(id);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      deployed: !!node,
      state: live && live.state !== 'not-applicable' ? live.state : last ? 'signed-in' : 'unknown',
      ...(live?.user || last?.user ? { user: live?.user ?? last?.user } : {}),
    });
  });

  RED.httpAdmin.get('/agentless-sms/oauth/callback', (req, res) => {
    void (async () => {
      const r = red();
      const q = req.query as Record<string, unknown>;
      const state = typeof q.state === 'string' ? q.state : '';
      if (!state) return page(res, 400, 'Sign-in failed', 'The answer from Genesys Cloud carries no state. Start again with "Sign in" in the account dialog.');
      const taken = sessions.take(state, cookieOf(req));
      if (!taken.ok) return page(res, 400, 'Sign-in failed', REASONS[taken.reason]);
      const session = taken.session;
      if (typeof q.error === 'string') {
        const why = str(q.error_description, 200) || str(q.error, 64);
        return page(res, 400, 'Sign-in not completed', `Genesys Cloud did not sign you in (${why}). Nothing was changed.`, { account: session.accountId, ok: false });
      }
      let result;
      try {
        result = await completeSignIn(session, typeof q.code === 'string' ? q.code : '', systemClock);
      } catch (err) {
        return page(res, 400, 'Sign-in failed', `${(err as Error).message}. Nothing was changed.`, { account: session.accountId, ok: false });
      }
      const node = r.nodes.getNode(session.accountId) as AccountNode | null;
      const stored = (r.nodes.getCredentials(session.accountId) ?? {}) as AccountNodeCredentials;
      try {
        if (node?.runtime?.userTokens) {
          // Running with this grant: in force at once (recovers a refused account without a deploy).
          await node.runtime.signIn(result.refreshToken, result.user);
        } else {
          // Not deployed (or deployed with another grant): keep it for the deploy that comes.
          const userDir = (r.settings as { userDir?: string }).userDir;
          const { store } = accountTokenStore({ accountId: session.accountId, userDir, secret: credentialSecretOf(r.settings as never) });
          const chain = extendChain([], store.fingerprint(stored.refreshToken ?? ''), store.fingerprint(result.refreshToken));
          await store.write({ refreshToken: result.refreshToken, chain, user: result.user, updatedAt: Date.now() });
          await r.nodes.addCredentials(session.accountId, { ...stored, refreshToken: result.refreshToken });
        }
      } catch (err) {
        return page(res, 500, 'Sign-in not saved', `The sign-in worked but could not be stored (${(err as Error).message}). Nothing was changed.`, { account: session.accountId, ok: false });
      }
      lastSignIn.set(session.accountId, { user: result.user.name, at: Date.now() });
      if (lastSignIn.size > 500) lastSignIn.delete(lastSignIn.keys().next().value as string);
      page(res, 200, `Signed in as ${result.user.name}`, 'You can close this window and deploy the account.', { account: session.accountId, ok: true });
    })().catch(() => page(res, 500, 'Sign-in failed', 'The sign-in failed unexpectedly. Nothing was changed.'));
  });
}
