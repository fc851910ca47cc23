import fs from 'fs';
import path from 'path';
import assert from 'assert';
import should from 'should';
import { ADMIN_ROUTE_SEGMENTS, adminRouteClash } from '../../src/webhook/admin-paths';

describe('webhook: receiver paths on admin routes', () => {
  it('refuses a path equal to or under an admin route, whatever its case and slashes', () => {
    for (const p of [
      '/flows',
      'flows',
      '/Flows/',
      '//flows//x',
      '/nodes/foo',
      '/settings',
      '/auth/token',
      '/credentials/x/y',
      '/plugins',
      '/icons',
      '/locales/x',
      '/library/a',
      '/debug/view',
      '/inject/1',
      '/comms',
      '/agentless-sms/accounts/test',
    ]) {
      assert.notStrictEqual(adminRouteClash(p), null, p);
    }
    should(adminRouteClash('/flows/x')).equal('/flows');
  });

  it('accepts paths that only share a prefix with an admin route', () => {
    for (const p of ['/flowsheet', '/sms/flows', '/agentless/status', '/webhooks/settings', '/nodesx']) assert.strictEqual(adminRouteClash(p), null, p);
  });

  it('refuses a path that lands on an admin route under httpAdminRoot', () => {
    should(adminRouteClash('/admin/flows', { httpNodeRoot: '/', httpAdminRoot: '/admin' })).equal('/admin/flows');
    should(adminRouteClash('/flows', { httpNodeRoot: '/admin', httpAdminRoot: '/admin' })).equal('/flows');
    should(adminRouteClash('/sms', { httpNodeRoot: '/', httpAdminRoot: '/admin' })).be.null();
    should(adminRouteClash('/admin/sms', { httpNodeRoot: '/', httpAdminRoot: '/admin' })).be.null();
    should(adminRouteClash('/x/settings', { httpNodeRoot: '/', httpAdminRoot: false })).be.null();
  });

  it('the editor refuses the same list', () => {
    const html = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'editor', 'agentless-webhook-receiver.html'), 'utf8');
    const m = /var ADMIN_ROUTES = (\[[^\]]*\]);/.exec(html);
    should(m).not.be.null();
    should(JSON.parse(m![1])).eql([...ADMIN_ROUTE_SEGMENTS]);
  });
});
