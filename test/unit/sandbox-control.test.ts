/**
 * The sandbox's control routes over HTTP: only JSON, addressed to a loopback host, from no page or a
 * loopback page. A cross-site form post (text/plain needs no preflight) or a DNS-rebound Host changes nothing.
 */
import http from 'http';
import 'should';
import { SandboxServer } from '../../src/sandbox/server';

function post(url: string, p: string, body: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = http.request({ host: u.hostname, port: u.port, path: p, method: 'POST', headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end(body);
  });
}

describe('sandbox control routes', function () {
  let server: SandboxServer;
  let url: string;
  before(async function () {
    server = new SandboxServer();
    url = await server.start();
  });
  after(() => server.stop());
  beforeEach(() => {
    server.reset();
    server.control({ requestsPerMinute: 0 });
  });

  const change = JSON.stringify({ requestsPerMinute: 7 });
  const json = { 'content-type': 'application/json' };

  it('accepts JSON from a local client', async function () {
    (await post(url, '/sandbox/control', change, json)).should.equal(200);
    server.options.requestsPerMinute.should.equal(7);
    (await post(url, '/sandbox/control', JSON.stringify({ requestsPerMinute: 8 }), { 'content-type': 'application/json; charset=utf-8', origin: url })).should.equal(200);
    server.options.requestsPerMinute.should.equal(8);
    (await post(url, '/sandbox/control', JSON.stringify({ requestsPerMinute: 9 }), { ...json, host: `localhost:${new URL(url).port}` })).should.equal(200);
    server.options.requestsPerMinute.should.equal(9);
  });

  it('refuses text/plain and form posts (what a cross-site page can send without a preflight)', async function () {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      (await post(url, '/sandbox/control', change, { 'content-type': type })).should.equal(415, type);
    }
    (await post(url, '/sandbox/control', change, {})).should.equal(415);
    server.options.requestsPerMinute.should.equal(0);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async function () {
    (await post(url, '/sandbox/control', change, { ...json, host: 'attacker.example:80' })).should.equal(403);
    (await post(url, '/sandbox/control', change, { ...json, origin: 'http://attacker.example' })).should.equal(403);
    (await post(url, '/sandbox/control', change, { ...json, origin: 'null' })).should.equal(403);
    server.options.requestsPerMinute.should.equal(0);
  });

  it('guards reset the same way', async function () {
    await fetch(`${url}/api/v2/conversations/messages/agentless`, { method: 'POST', headers: json, body: '{}' });
    server.requests.should.have.length(1);
    (await post(url, '/sandbox/reset', '{}', { 'content-type': 'text/plain' })).should.equal(415);
    (await post(url, '/sandbox/reset', '{}', { ...json, origin: 'https://attacker.example' })).should.equal(403);
    server.requests.should.have.length(1);
    (await post(url, '/sandbox/reset', '{}', json)).should.equal(200);
    server.requests.should.be.empty();
  });
});
