/**
 * One set of HTTP hooks per express app, shared by every receiver node: a redeploy replaces the
 * handler behind a path and never adds another route.
 *
 * Two hooks are installed, once:
 * - a raw-body capture at the top of the *root* app's stack. With Node-RED's defaults the editor's app
 *   (mounted at "/" before the node app) parses JSON bodies for every path, which would consume the
 *   stream before our route runs; signatures need the untouched bytes. The capture reads the bounded
 *   raw body for registered paths only and marks the request as parsed (`_body`) so body parsers skip it.
 * - a dispatcher on the node app (so httpNodeAuth applies; httpNodeMiddleware is run as core http-in runs it) that hands the
 *   request to the handler registered for its path.
 *
 * The way through the rest of express (the editor's app, its middleware, the node app) costs about a
 * quarter of the CPU of an acknowledgement. So once a POST to a path has reached the dispatcher, which
 * proves nothing on the way answers or claims that path, later POSTs to it are processed by the
 * capture straight away. Only where nothing on the way must see them: not with httpNodeAuth (it checks
 * every request), httpNodeMiddleware (a user's own allow list or logging) or httpAdminMiddleware
 * configured (`direct: false`).
 */
import type { IncomingMessage, ServerResponse } from 'http';

export interface RouteHandler {
  /** Reads the raw body or answers the request itself and returns null. */
  readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null>;
  process(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void>;
}

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
interface Layer {
  handle: unknown;
}
/** The parts of an express application we rely on (4.x and 5.x). */
export interface ExpressLikeApp {
  use(fn: Middleware): unknown;
  path?: () => string;
  parent?: ExpressLikeApp;
  _router?: { stack: Layer[] };
  router?: { stack: Layer[] };
}

type Req = IncomingMessage & { path?: string; _body?: boolean; [RAW]?: Buffer };
const RAW = Symbol('agentless-webhook-raw-body');

export class PathInUseError extends Error {
  constructor(readonly path: string) {
    super(`path ${path} is already used by another webhook receiver`);
  }
}

/** Collapse repeated slashes, ensure a leading slash, drop a trailing one, ignore case (as express does). */
export function normalizeRoutePath(p: string): string {
  const s = ('/' + p.trim()).replace(/\/{2,}/g, '/').replace(/\/$/, '');
  return (s || '/').toLowerCase();
}

/** The decoded, normalized path of a request (exported for tests). */
export function requestPath(req: { path?: string; url?: string }): string {
  const p = req.path ?? urlPath(req.url ?? '/');
  if (!p.includes('%')) return normalizeRoutePath(p);
  try {
    return normalizeRoutePath(decodeURIComponent(p));
  } catch {
    return normalizeRoutePath(p);
  }
}

/** Characters a path keeps unchanged through URL parsing (no dot segments, backslashes or bytes it escapes). */
const PLAIN_PATH = /^\/[\w\-~%/]*$/;

/**
 * The path of a request target as URL parsing gives it. The usual target (`/hooks/x?query`, no dots) is
 * sliced: building a URL per request costs more than the rest of the routing.
 */
function urlPath(url: string): string {
  const end = url.search(/[?#]/);
  const p = end < 0 ? url : url.slice(0, end);
  if (PLAIN_PATH.test(p) && !p.startsWith('//')) return p;
  return new URL(url, 'http://localhost').pathname;
}

const registries = new WeakMap<object, RouteRegistry>();

export interface RegistryOptions {
  /** Whether a path proven to reach the dispatcher may skip the rest of express (see above). */
  direct?: boolean;
  /**
   * Node-RED's httpNodeMiddleware (a function or an array of them). Core http-in applies it to each of
   * its routes; receivers get it too, before their handler, so a user's allow list or logging sees them.
   */
  middleware?: unknown;
}

function middlewareList(m: unknown): Middleware[] {
  const list = Array.isArray(m) ? m : [m];
  return list.filter((f): f is Middleware => typeof f === 'function');
}

export class RouteRegistry {
  private readonly routes = new Map<string, RouteHandler>();
  /** Paths whose POSTs reached the dispatcher with nothing on the way taking them. */
  private readonly provenPaths = new Set<string>();

  private constructor(
    private readonly app: ExpressLikeApp,
    private readonly direct: boolean,
    private readonly middleware: Middleware[] = [],
  ) {}

  /** Runs the user's middleware in order, then `done`; an error or an answer on the way ends it there. */
  private runMiddleware(req: Req, res: ServerResponse, done: () => void, fail: Next): void {
    let i = 0;
    const step: Next = (err) => {
      if (err) return fail(err);
      const mw = this.middleware[i++];
      if (!mw) return done();
      try {
        mw(req, res, step);
      } catch (e) {
        fail(e);
      }
    };
    step();
  }

  /** The registry of `app`, installing its hooks on first use only. */
  static forApp(app: ExpressLikeApp, opts: RegistryOptions = {}): RouteRegistry {
    let r = registries.get(app);
    if (!r) {
      r = new RouteRegistry(app, opts.direct === true, middlewareList(opts.middleware));
      r.install();
      registries.set(app, r);
    }
    return r;
  }

  get paths(): string[] {
    return [...this.routes.keys()];
  }

  register(path: string, handler: RouteHandler): void {
    const key = normalizeRoutePath(path);
    const owner = this.routes.get(key);
    if (owner && owner !== handler) throw new PathInUseError(key);
    this.routes.set(key, handler);
  }

  /** Removes the route only if `handler` still owns it (a replacement may already have taken it). */
  unregister(path: string, handler: RouteHandler): void {
    const key = normalizeRoutePath(path);
    if (this.routes.get(key) === handler) this.routes.delete(key);
    this.provenPaths.delete(key);
  }

  private mountPrefix(): string {
    const p = typeof this.app.path === 'function' ? this.app.path() : '';
    return p === '/' ? '' : normalizeRoutePath(p || '/') === '/' ? '' : normalizeRoutePath(p);
  }

  private install(): void {
    const capture: Middleware = (req: Req, res, next) => {
      if (req.method !== 'POST' || req[RAW] || req._body) return next();
      const full = requestPath(req);
      const prefix = this.mountPrefix();
      if (prefix && !full.startsWith(prefix + '/')) return next();
      const key = normalizeRoutePath(full.slice(prefix.length));
      const handler = this.routes.get(key);
      if (!handler) return next();
      handler.readBody(req, res).then(
        (raw) => {
          if (!raw) return; // answered already (413, 415, 408)
          if (this.direct && this.provenPaths.has(key)) {
            void handler.process(req, res, raw);
            return;
          }
          req[RAW] = raw;
          req._body = true; // tells body-parser the body is taken care of
          next();
        },
        (err) => next(err),
      );
    };
    const dispatch: Middleware = (req: Req, res, next) => {
      const key = requestPath(req);
      const handler = this.routes.get(key);
      if (!handler) return next();
      if (req.method !== 'POST') {
        res.statusCode = 405;
        res.setHeader('Allow', 'POST');
        res.end();
        return;
      }
      this.runMiddleware(
        req,
        res,
        () => {
          const raw = req[RAW];
          if (raw) {
            if (this.direct) this.provenPaths.add(key);
            void handler.process(req, res, raw);
            return;
          }
          if (req._body || req.readableEnded) {
            // Someone parsed the body before us and the raw bytes are gone: a setup we cannot verify.
            res.statusCode = 500;
            res.setHeader('Content-Type', 'application/json');
            res.end('{"error":"raw_body_unavailable"}');
            return;
          }
          handler.readBody(req, res).then(
            (buf) => (buf ? handler.process(req, res, buf) : undefined),
            (err) => next(err),
          );
        },
        next,
      );
    };

    this.app.use(dispatch);
    const root = rootOf(this.app);
    root.use(capture);
    const stack = (root._router ?? root.router)?.stack;
    if (stack) {
      const i = stack.findIndex((l) => l.handle === capture);
      if (i > 0) stack.unshift(...stack.splice(i, 1));
    }
  }
}

function rootOf(app: ExpressLikeApp): ExpressLikeApp {
  let a = app;
  while (a.parent) a = a.parent;
  return a;
}
