/**
 * The provider transport on a loopback server: what goes on the wire (headers made once per request,
 * Node still checking them) and what comes back, whatever the status.
 */
import should from 'should';
import http from 'http';
import https from 'https';
import type { AddressInfo } from 'net';
import { exchange, TransportError, type TransportOptions } from '../../src/providers/http-transport';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}

describe('provider HTTP transport', function () {
  let server: http.Server;
  let base = '';
  const seen: Seen[] = [];
  let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end();
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const opts: TransportOptions = { agents, timeoutMs: 2000, maxBodyBytes: 1024 };

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() });
        answer(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    agents.http.destroy();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    answer = (_req, res) => res.end();
  });

  /** Header names as sent (lower-cased) with their values, in order. */
  const lines = (s: Seen) => {
    const out: [string, string][] = [];
    for (let i = 0; i < s.rawHeaders.length; i += 2) out.push([s.rawHeaders[i].toLowerCase(), s.rawHeaders[i + 1]]);
    return out;
  };

  it('sends a JSON body with its type, length, Host, Accept and keep-alive, and the caller headers once each', async () => {
    answer = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'm-1' }));
    };
    const r = await exchange({ method: 'POST', url: `${base}/api/v2/x?y=1`, headers: { Authorization: 'Bearer t', 'x-a': '1', 'X-A': '2' }, data: { to: '+12025550123', text: 'héllo' } }, opts);
    should(r.status).equal(200);
    should(r.data).eql({ id: 'm-1' });
    const s = seen[0];
    should(s.method).equal('POST');
    should(s.url).equal('/api/v2/x?y=1');
    const body = JSON.stringify({ to: '+12025550123', text: 'héllo' });
    should(s.body).equal(body);
    const h = lines(s);
    should(h.map(([k]) => k).sort()).eql(['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host', 'x-a']);
    should(Object.fromEntries(h)).eql({
      authorization: 'Bearer t',
      'x-a': '2',
      host: base.slice('http://'.length),
      'content-type': 'application/json',
      accept: 'application/json, text/plain, */*',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'keep-alive',
    });
  });

  it("keeps the caller's Content-Type, Accept and Host, replaces a stale Content-Length, and sends a string body as is", async () => {
    await exchange(
      {
        method: 'POST',
        url: `${base}/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'Content-Length': '999', Host: 'login.example' },
        data: 'grant_type=client_credentials',
      },
      opts,
    );
    const h = Object.fromEntries(lines(seen[0]));
    should(h).containEql({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'content-length': '29', host: 'login.example' });
    should(lines(seen[0]).filter(([k]) => k === 'content-type' || k === 'host' || k === 'content-length')).have.length(3);
    should(seen[0].body).equal('grant_type=client_credentials');
  });

  it('a GET has no body and no Content-Length; the same URL again goes to the same place', async () => {
    for (let i = 0; i < 3; i++) await exchange({ method: 'GET', url: `${base}/api/v2/conversations/messages/m-1/details` }, opts);
    should(seen.map((s) => s.url)).eql(Array(3).fill('/api/v2/conversations/messages/m-1/details'));
    should(lines(seen[2]).map(([k]) => k)).not.containEql('content-length');
    should(seen[2].body).equal('');
  });

  it('turns credentials in the URL into Basic authorization unless the request has its own', async () => {
    const withAuth = base.replace('http://', 'http://us%40er:p%3Ass@');
    await exchange({ method: 'GET', url: `${withAuth}/a` }, opts);
    await exchange({ method: 'GET', url: `${withAuth}/b`, headers: { authorization: 'Bearer own' } }, opts);
    should(Object.fromEntries(lines(seen[0])).authorization).equal('Basic ' + Buffer.from('us@er:p:ss').toString('base64'));
    should(Object.fromEntries(lines(seen[0])).host).equal(base.slice('http://'.length));
    should(lines(seen[1]).filter(([k]) => k === 'authorization')).eql([['authorization', 'Bearer own']]);
  });

  it('answers every status, text as text, and refuses what must not go out', async () => {
    answer = (_req, res) => {
      res.statusCode = 503;
      res.end('down');
    };
    should(await exchange({ method: 'GET', url: `${base}/x` }, opts)).containDeep({ status: 503, data: 'down' });
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return (err as TransportError).code;
      }
      return 'resolved';
    };
    should(await code(exchange({ method: 'GET', url: 'not a url' }, opts))).equal('ERR_INVALID_URL');
    should(await code(exchange({ method: 'GET', url: 'ftp://example.com/x' }, opts))).equal('ERR_INVALID_URL');
    // A header value with a line break would let a caller inject headers: Node refuses it.
    should(await code(exchange({ method: 'GET', url: `${base}/x`, headers: { 'x-bad': 'a\r\nInjected: 1' } }, opts))).equal('ERR_INVALID_CHAR');
    should(seen).have.length(1);
    answer = (_req, res) => res.end('x'.repeat(2048));
    should(await code(exchange({ method: 'GET', url: `${base}/big` }, opts))).equal('ERR_BODY_TOO_LARGE');
    answer = () => {};
    should(await code(exchange({ method: 'GET', url: `${base}/slow` }, { ...opts, timeoutMs: 100 }))).equal('ETIMEDOUT');
  });
});
