/**
 * A real Node-RED serves the German catalogs and help of every node and of the sidebar plugin from
 * the built package (the build copies src/locales/** beside the node files), and still serves en-US.
 */
import assert from 'node:assert';
import { RedProcess } from '../helpers/red-process';

const PKG = '@agentless-sms/node-red';
const TYPES = ['agentless-account', 'agentless-sender', 'agentless-send-sms', 'agentless-get-status', 'agentless-webhook-receiver'];

describe('locales in a real Node-RED', function () {
  this.timeout(60_000);
  const red = new RedProcess('agentless-locales-');
  before(async () => red.start());
  after(async () => red.dispose());

  it('serves the de catalog of every node and of the sidebar plugin', async function () {
    for (const ns of [...TYPES, 'agentless-sms-sidebar']) {
      const de = await red.req('GET', `/locales/${PKG}/${ns}?lng=de`);
      const en = await red.req('GET', `/locales/${PKG}/${ns}?lng=en-US`);
      assert.equal(de.status, 200, ns);
      assert.notEqual(de.body, en.body, `${ns}: de catalog is the en-US one`);
      assert.ok(Object.keys(JSON.parse(de.body)).length > 0, ns);
    }
    const sender = JSON.parse((await red.req('GET', `/locales/${PKG}/agentless-sender?lng=de`)).body);
    assert.equal(sender['agentless-sender'].tabs.reliability, 'Zuverlässigkeit');
  });

  it('serves German help for every node when the editor asks in de', async function () {
    const de = await red.req('GET', '/nodes', '', { accept: 'text/html', 'accept-language': 'de' });
    const en = await red.req('GET', '/nodes', '', { accept: 'text/html', 'accept-language': 'en-US' });
    assert.equal(de.status, 200);
    for (const t of TYPES) assert.ok(de.body.includes(`data-help-name="${t}"`), t);
    assert.match(de.body, /<h3>Referenzen<\/h3>/);
    assert.match(en.body, /<h3>References<\/h3>/);
    assert.doesNotMatch(en.body, /<h3>Referenzen<\/h3>/);
  });
});
