/**
 * Sign a sandbox user in the way a browser would, over HTTP: submit the sandbox's sign-in form, follow
 * the redirect's code, and (optionally) exchange it. Used by tests that need a refresh token without the
 * editor (the editor's own path is covered by the browser test and the admin-route tests).
 */
import http from 'http';

export function httpRequest(url: string, method: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: s }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Submit the sandbox sign-in page for `userIndex`; returns the redirect target (code and state in its query). */
export async function sandboxAuthorize(sandboxUrl: string, clientId: string, redirectUri: string, state = 's', userId = '5c1f3f0e-6a4b-4a70-9a55-0d1f7a6e0001'): Promise<URL> {
  const form = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, state, user: userId, action: 'allow' }).toString();
  const r = await httpRequest(`${sandboxUrl}/oauth/authorize`, 'POST', form, { 'content-type': 'application/x-www-form-urlencoded' });
  if (r.status !== 302 || !r.headers.location) throw new Error(`sandbox sign-in answered ${r.status}: ${r.body}`);
  return new URL(r.headers.location);
}

/** A refresh token for a sandbox user (sign-in plus code exchange). */
export async function sandboxRefreshToken(sandboxUrl: string, creds: { clientId: string; clientSecret: string }, redirectUri = 'http://127.0.0.1:9/callback'): Promise<string> {
  const back = await sandboxAuthorize(sandboxUrl, creds.clientId, redirectUri);
  const code = back.searchParams.get('code') ?? '';
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }).toString();
  const basic = Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64');
  const r = await httpRequest(`${sandboxUrl}/oauth/token`, 'POST', form, { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` });
  const body = JSON.parse(r.body) as { refresh_token?: string };
  if (r.status !== 200 || !body.refresh_token) throw new Error(`code exchange answered ${r.status}`);
  return body.refresh_token;
}
