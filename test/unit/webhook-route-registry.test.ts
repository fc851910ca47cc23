/**
 * The route registry on real express apps laid out as Node-RED lays them out (a root app, something
 * before the node app, the node app): the first POST to a path goes the whole way; once it has reached
 * the dispatcher, later POSTs are answered from the capture and skip what lies between, unless the
 * registry was told nothing may be skipped.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import express from 'express';
import should from 'should';
import { RouteRegistry, requestPath, type ExpressLikeApp, type RouteHandler } from '../../src/webhook/route-registry';

async function setup(direct: boolean) {
  const root = express();
  const between: string[] = [];
  // Stands for the editor's app and its middleware, mounted before the node app.
  root.use((req, _res, next) => {
    between.push(`${req.method} ${req.url}`);
    next();
  });
  const nodeApp = express();
  root.use('/', nodeApp);
  const processed: string[] = [];
  const handler: RouteHandler = {
    readBody: (req) =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
      }),
    process: async (_req, res, raw) => {
      processed.push(raw.toString());
      res.statusCode = 200;
      res.end('ok');
    },
  };
  RouteRegistry.forApp(nodeApp as unknown as ExpressLikeApp, { direct }).register('/hook', handler);
  const server = http.createServer(root);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const post = (p: string, body: string) =>
    new Promise<number>((resolve, reject) => {
      const r = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      r.on('error', reject);
      r.end(body);
    });
  return { between, processed, post, close: () => new Promise((r) => server.close(r)) };
}

describe('webhook: route registry short cut', () => {
  it('sends only the first POST of a path through the rest of express', async () => {
    const s = await setup(true);
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push(await s.post('/hook', `b${i}`));
      should(codes).eql([200, 200, 200, 200]);
      should(s.processed).eql(['b0', 'b1', 'b2', 'b3']);
      should(s.between).eql(['POST /hook']);
      // Other paths are untouched.
      await s.post('/other', 'x');
      should(s.between).eql(['POST /hook', 'POST /other']);
    } finally {
      await s.close();
    }
  });

  it('sends every POST the whole way when nothing may be skipped', async () => {
    const s = await setup(false);
    try {
      for (let i = 0; i < 3; i++) await s.post('/hook', `b${i}`);
      should(s.processed).eql(['b0', 'b1', 'b2']);
      should(s.between).eql(['POST /hook', 'POST /hook', 'POST /hook']);
    } finally {
      await s.close();
    }
  });
});

describe('webhook: request path', () => {
  it('reads the path of a target the way URL parsing does, with or without the quick slice', () => {
    const viaUrl = (u: string) => requestPath({ url: new URL(u, 'http://localhost').pathname });
    for (const url of [
      '/hooks/ours',
      '/hooks/ours?x=1&y=/z',
      '/hooks/ours#frag',
      '/Hooks//Ours/',
      '/a/../hooks/ours',
      '/hooks/./ours',
      '/hooks\\ours',
      '/hooks/%6Furs',
      '/hooks/%E2%82%AC',
      '/hooks/%zz',
      'http://example.test/hooks/ours?q=1',
      '/hooks/ünïcode',
      '/hooks/v1.2',
    ]) {
      should(requestPath({ url })).equal(viaUrl(url), url);
    }
    should(requestPath({ url: '/Hooks/Ours?x' })).equal('/hooks/ours');
    should(requestPath({ url: '/hooks/%6Furs' })).equal('/hooks/ours');
    should(requestPath({ url: '/a/../hooks/ours' })).equal('/hooks/ours');
    should(requestPath({ url: '//evil/hooks' })).equal(viaUrl('//evil/hooks'));
  });

  it("prefers express's own path when it has set one", () => {
    should(requestPath({ path: '/Hooks/x', url: '/other' })).equal('/hooks/x');
  });
});
