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

function hasHeader(headers: Record<string, string>, name: string): boolean {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return true;
  return false;
}

export function exchange(req: TransportRequest, opts: TransportOptions): Promise<TransportResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.reject(new TransportError('ERR_INVALID_URL', `invalid URL: ${req.url}`));
  }
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return Promise.reject(new TransportError('ERR_INVALID_URL', `unsupported protocol ${url.protocol}`));
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let body: string | Buffer | undefined;
  if (req.data !== undefined && req.data !== null) {
    if (typeof req.data === 'string' || Buffer.isBuffer(req.data)) body = req.data;
    else {
      body = JSON.stringify(req.data);
      if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
    }
  }
  if (!hasHeader(headers, 'accept')) headers.Accept = 'application/json, text/plain, */*';
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));

  return new Promise<TransportResponse>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const r = (secure ? https : http).request(url, { method: req.method, headers, agent: secure ? opts.agents.https : opts.agents.http }, (res) => {
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
    r.end(body);
  });
}
