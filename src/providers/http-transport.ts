/**
 * One HTTP exchange on Node's own http/https clients: the request goes out with a keep-alive agent,
 * the answer comes back whatever its status (the adapters read every status themselves), no redirect
 * is followed, no proxy is used, and the body is bounded. JSON answers are parsed, anything else stays
 * text.
 *
 * Why not a general HTTP library: this path runs once per message, and measured here a general client
 * spent more CPU on config merging and adapters than the request itself. Failures keep Node's error
 * codes (ECONNREFUSED, ECONNRESET, ...) so the caller can tell "never left" from "may have arrived";
 * a timeout is ETIMEDOUT, an oversized answer ERR_BODY_TOO_LARGE.
 */
import http from 'http';
import https from 'https';

export interface TransportRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A string or Buffer goes as is; anything else as JSON (content-type application/json unless set). */
  data?: unknown;
  /** Called right before the request is written. */
  onWrite?: () => void;
}

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  data: unknown;
}

export interface TransportOptions {
  agents: { http: http.Agent; https: https.Agent };
  /** Whole exchange, from the request to the last byte of the answer. */
  timeoutMs: number;
  maxBodyBytes: number;
}

export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where a URL's requests go: parsed once per URL (an adapter's URLs are few and repeat per message). */
interface Target {
  secure: boolean;
  hostname: string;
  port: number | undefined;
  path: string;
  /** The Host header Node would send for it (the port only when it is not the default). */
  host: string;
  /** Credentials in the URL, sent as Basic authorization unless the request has its own (as Node does). */
  auth?: string;
}

/** URLs parsed lately; bounded, since status reads put message ids in their paths. */
const TARGETS_LIMIT = 256;
const targets = new Map<string, Target>();

function targetOf(raw: string): Target | TransportError {
  const known = targets.get(raw);
  if (known) return known;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new TransportError('ERR_INVALID_URL', `invalid URL: ${raw}`);
  }
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return new TransportError('ERR_INVALID_URL', `unsupported protocol ${url.protocol}`);
  const t: Target = {
    secure,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname + url.search,
    host: url.host,
  };
  if (url.username || url.password) t.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  if (targets.size >= TARGETS_LIMIT) targets.delete(targets.keys().next().value as string);
  targets.set(raw, t);
  return t;
}

/**
 * The request's header lines as Node takes them ready-made ([name, value, ...]): the caller's (the last
 * of two that differ only in case wins, as with setHeader), then Host, Accept and Content-Type unless
 * given (and the URL's credentials, as Node would add them), and the body's Content-Length. Node still checks every name and value.
 */
function headerList(given: Record<string, string> | undefined, t: Target, body: string | Buffer | undefined, json: boolean): string[] {
  const out: string[] = [];
  let hasHost = false;
  let hasAuth = false;
  let hasAccept = false;
  let hasType = false;
  if (given) {
    const at = new Map<string, number>();
    for (const name of Object.keys(given)) {
      const lower = name.toLowerCase();
      // The body's own length replaces a given one.
      if (lower === 'content-length' && body !== undefined) continue;
      if (lower === 'host') hasHost = true;
      else if (lower === 'accept') hasAccept = true;
      else if (lower === 'content-type') hasType = true;
      else if (lower === 'authorization') hasAuth = true;
      const i = at.get(lower);
      if (i !== undefined) {
        out[i] = name;
        out[i + 1] = given[name];
      } else {
        at.set(lower, out.length);
        out.push(name, given[name]);
      }
    }
  }
  if (!hasHost) out.push('Host', t.host);
  if (t.auth !== undefined && !hasAuth) out.push('Authorization', 'Basic ' + Buffer.from(t.auth).toString('base64'));
  if (json && !hasType) out.push('Content-Type', 'application/json');
  if (!hasAccept) out.push('Accept', 'application/json, text/plain, */*');
  if (body !== undefined) out.push('Content-Length', String(Buffer.byteLength(body)));
  return out;
}

export function exchange(req: TransportRequest, opts: TransportOptions): Promise<TransportResponse> {
  const t = targetOf(req.url);
  if (t instanceof TransportError) return Promise.reject(t);
  let body: string | Buffer | undefined;
  let json = false;
  if (req.data !== undefined && req.data !== null) {
    if (typeof req.data === 'string' || Buffer.isBuffer(req.data)) body = req.data;
    else {
      body = JSON.stringify(req.data);
      json = true;
    }
  }
  const headers = headerList(req.headers, t, body, json);

  return new Promise<TransportResponse>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const options = { hostname: t.hostname, port: t.port, path: t.path, method: req.method, headers, agent: t.secure ? opts.agents.https : opts.agents.http };
    const r = (t.secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBodyBytes) {
          abort(new TransportError('ERR_BODY_TOO_LARGE', `answer larger than ${opts.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new TransportError('ECONNRESET', 'the answer was cut off')));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8');
        let data: unknown = text;
        if (text) {
          try {
            data = JSON.parse(text);
          } catch {
            /* not JSON: the text itself */
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, data });
      });
    });
    const abort = (err: Error) => {
      fail(err);
      r.destroy();
    };
    const timer = setTimeout(() => abort(new TransportError('ETIMEDOUT', `no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    r.on('error', fail);
    req.onWrite?.();
    r.end(body);
  });
}
