/**
 * After a path's first POST has gone the whole way through express, later POSTs to it are answered
 * straight from the raw-body capture. These check that the short cut answers as the long way did, and
 * that it is never taken where something on the way must see every request (httpNodeAuth,
 * httpNodeMiddleware).
 */
import assert from 'node:assert';
import bcrypt from 'bcryptjs';
import { signStandardWebhook } from '../../src/webhook/signature';
import { Collector, RedProcess, until } from '../helpers/red-process';

const SECRET = 'whsec_' + Buffer.from('direct-path-test-secret-32-byte!').toString('base64');

function event(eventId: string, messageId: string, status: string) {
  const body = JSON.stringify({ type: 'message.status', id: eventId, data: { id: messageId, conversationId: 'c', to: '+12025550123', from: '+12025550100', status, normalizedReceipts: [], timestamp: '2024-01-01T00:00:00Z' } });
  const ts = Math.floor(Date.now() / 1000);
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(SECRET, eventId, ts, body) } };
}

async function startWith(red: RedProcess, collectorUrl: string): Promise<void> {
  await red.start();
  await red.deploy([
    { id: 't', type: 'tab', label: 'rx' },
    { id: 'rx', z: 't', type: 'agentless-webhook-receiver', path: '/hooks/direct', auth: 'standard-webhooks', credentials: { secret: SECRET }, wires: [['f'], ['f'], ['f'], ['f']] },
    { id: 'f', z: 't', type: 'function', func: 'msg.payload = { id: msg.sms.id, status: msg.sms.status }; return msg;', outputs: 1, wires: [['post']] },
    { id: 'post', z: 't', type: 'http request', method: 'POST', ret: 'txt', url: collectorUrl, wires: [] },
  ]);
}

describe('webhook receiver: POSTs after the first skip the rest of express', function () {
  this.timeout(60_000);

  describe('default settings', () => {
    const red = new RedProcess('wh-direct-');
    const collector = new Collector();
    before(async () => startWith(red, await collector.start()));
    after(async () => {
      await red.dispose();
      await collector.stop();
    });

    it('answers the same way before and after the short cut, emits each event once and still refuses bad signatures', async () => {
      let first: { status: number; body: string } | undefined;
      for (let i = 0; i < 100 && first?.status !== 200; i++) {
        const e = event('d-0', 'm-0', 'delivery-success');
        first = await red.req('POST', '/hooks/direct', e.body, e.headers);
        if (first.status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepStrictEqual(first, { status: 200, body: '{"status":"accepted"}' });
      const answers: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const e = event(`d-${i}`, `m-${i}`, 'delivery-success');
        const a = await red.req('POST', '/hooks/direct', e.body, e.headers);
        const again = await red.req('POST', '/hooks/direct', e.body, e.headers);
        answers.push(`${a.status} ${a.body} / ${again.status} ${again.body}`);
      }
      assert.deepStrictEqual(answers, Array(5).fill('200 {"status":"accepted"} / 200 {"status":"duplicate"}'));
      const e = event('d-9', 'm-9', 'delivery-success');
      const forged = await red.req('POST', '/hooks/direct', e.body, { ...e.headers, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') });
      assert.strictEqual(forged.status, 401);
      assert.ok(await until(() => collector.items.length >= 6, 5000));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepStrictEqual(
        collector.items.map((x) => x.id),
        ['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5'],
      );
    });
  });

  describe('with httpNodeAuth', () => {
    const red = new RedProcess('wh-direct-auth-', { httpNodeAuth: { user: 'hooks', pass: bcrypt.hashSync('s3cret', 4) } });
    const collector = new Collector();
    const basic = 'Basic ' + Buffer.from('hooks:s3cret').toString('base64');
    before(async () => startWith(red, await collector.start()));
    after(async () => {
      await red.dispose();
      await collector.stop();
    });

    it('checks the credentials of every request, also after many have gone through', async () => {
      let ok = 0;
      for (let i = 0; i < 100 && ok < 5; i++) {
        const e = event(`a-${i}`, `m-${i}`, 'delivery-success');
        const r = await red.req('POST', '/hooks/direct', e.body, { ...e.headers, authorization: basic });
        if (r.status === 200) ok++;
        else await new Promise((r2) => setTimeout(r2, 50));
      }
      assert.strictEqual(ok, 5);
      const e = event('a-x', 'm-x', 'delivery-success');
      assert.strictEqual((await red.req('POST', '/hooks/direct', e.body, e.headers)).status, 401);
      const wrong = 'Basic ' + Buffer.from('hooks:wrong').toString('base64');
      assert.strictEqual((await red.req('POST', '/hooks/direct', e.body, { ...e.headers, authorization: wrong })).status, 401);
    });
  });

  describe('with httpNodeMiddleware', () => {
    // A user's own gate in front of every http node: here, requests marked x-blocked are refused.
    const gate = `{ httpNodeMiddleware: function (req, res, next) { if (req.headers['x-blocked']) { res.statusCode = 403; res.end('blocked'); } else next(); } }`;
    const red = new RedProcess('wh-direct-mw-', {}, gate);
    const collector = new Collector();
    before(async () => startWith(red, await collector.start()));
    after(async () => {
      await red.dispose();
      await collector.stop();
    });

    it('passes every request through the middleware, also after many have gone through', async () => {
      let ok = 0;
      for (let i = 0; i < 100 && ok < 5; i++) {
        const e = event(`g-${i}`, `m-${i}`, 'delivery-success');
        const r = await red.req('POST', '/hooks/direct', e.body, e.headers);
        if (r.status === 200) ok++;
        else await new Promise((r2) => setTimeout(r2, 50));
      }
      assert.strictEqual(ok, 5);
      const e = event('g-x', 'm-x', 'delivery-success');
      const r = await red.req('POST', '/hooks/direct', e.body, { ...e.headers, 'x-blocked': '1' });
      assert.deepStrictEqual({ status: r.status, body: r.body }, { status: 403, body: 'blocked' });
    });
  });
});
