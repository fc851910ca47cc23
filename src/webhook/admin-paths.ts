/**
 * Receiver paths that would shadow Node-RED's own admin API. The receiver's raw-body capture runs at the
 * top of the root app, so with the default settings (editor and http nodes both at "/") a receiver at
 * `/flows` would swallow every deploy: the flow that configured it could then never be replaced from the
 * editor. Such paths are refused, in the editor and at run time.
 */
import { normalizeRoutePath } from './route-registry';

/**
 * First path segments of the admin and editor routes of node-red 3.x-5.x (@node-red/editor-api:
 * admin, editor, auth, comms; core nodes' admin routes: inject, debug, udp-ports) and of this package.
 */
export const ADMIN_ROUTE_SEGMENTS: readonly string[] = [
  'agentless-sms',
  'auth',
  'comms',
  'context',
  'credentials',
  'debug',
  'diagnostics',
  'favicon.ico',
  'flow',
  'flows',
  'icons',
  'inject',
  'library',
  'locales',
  'nodes',
  'plugins',
  'projects',
  'red',
  'resources',
  'settings',
  'theme',
  'types',
  'udp-ports',
  'vendor',
];

const SEGMENTS = new Set(ADMIN_ROUTE_SEGMENTS);

function firstSegment(p: string): string {
  return normalizeRoutePath(p).split('/')[1] ?? '';
}

function joinRoot(root: string | false | undefined, p: string): string | null {
  if (root === false) return null;
  const r = normalizeRoutePath(typeof root === 'string' ? root : '/');
  return normalizeRoutePath((r === '/' ? '' : r) + normalizeRoutePath(p));
}

/**
 * The admin route a receiver path would shadow, or null. `path` is relative to httpNodeRoot. Refused:
 * a path whose first segment names an admin route (whatever the roots, so a flow stays valid when it
 * moves to an install with the default settings), and a path that lands on an admin route under this
 * install's httpAdminRoot.
 */
export function adminRouteClash(path: string, roots: { httpNodeRoot?: string | false; httpAdminRoot?: string | false } = {}): string | null {
  const own = firstSegment(path);
  if (SEGMENTS.has(own)) return '/' + own;
  const full = joinRoot(roots.httpNodeRoot, path);
  const admin = joinRoot(roots.httpAdminRoot, '/');
  if (full === null || admin === null) return null;
  const prefix = admin === '/' ? '' : admin;
  if (prefix && full !== prefix && !full.startsWith(prefix + '/')) return null;
  const rest = full.slice(prefix.length);
  const seg = firstSegment(rest);
  return SEGMENTS.has(seg) ? `${prefix}/${seg}` : null;
}
