/**
 * Simulated Avaamo outbound SMS: `POST /sms/{channel_uuid}/send.json` with `to_phone` and custom params,
 * answering `{"success": true}`. Avaamo's error bodies are not documented: the sandbox answers
 * `{"success": false, "error": "..."}` with a fitting HTTP status, which the adapter reads leniently.
 * When the sandbox is given an `avaamoAccessToken`, the `access-token` header must carry it.
 */
import type { Route, RouteContext } from './server';
import { refusedNumber } from './rules';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function handle(ctx: RouteContext, channel: string): void {
  const fail = (status: number, error: string) => ctx.reply(status, { success: false, error });
  const expected = ctx.server.options.avaamoAccessToken;
  if (expected && ctx.req.headers['access-token'] !== expected) return fail(401, 'Invalid access token');
  if (!UUID.test(channel)) return fail(404, 'Channel not found');
  let body: Record<string, unknown>;
  try {
    const v = JSON.parse(ctx.body.toString('utf8') || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(400, 'Invalid request body');
    body = v as Record<string, unknown>;
  } catch {
    return fail(400, 'Invalid request body');
  }
  const to = body.to_phone;
  if (typeof to !== 'string' || !to) return fail(400, 'to_phone is required');
  if (!/^\+?[1-9]\d{6,14}$/.test(to.replace(/[\s().-]/g, '')) || refusedNumber(to)) return fail(400, 'Invalid phone number');
  // The agent's greeting is what goes out: the sandbox phone shows it as the text.
  ctx.server.state.add('avaamo', `channel:${channel}`, to, '(Avaamo agent greeting)', body);
  ctx.reply(200, { success: true });
}

export function avaamoRoutes(): Route[] {
  return [{ method: 'POST', pattern: /^\/sms\/([^/]+)\/send\.json$/, auth: 'none', api: true, handle: (c) => handle(c, decodeURIComponent(c.params[0])) }];
}
