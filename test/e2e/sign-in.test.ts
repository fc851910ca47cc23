/**
 * "Sign in with Genesys Cloud" in a real editor: the account dialog's button opens the (sandbox's) login
 * page in a pop-up, the user signs in there, and the dialog shows the user's name; the browser never
 * holds a token. Then the dialog is saved and the flow deployed with the Deploy button, and a queue-mode
 * message goes out as that user: the editor's save and deploy kept the server-side refresh token.
 */
import assert from 'node:assert';
import { SandboxServer } from '../../src/sandbox/server';
import { until } from '../helpers/red-process';
import path from 'path';
import { ARTIFACTS, EditorSession } from './editor';

const CREDS = { clientId: 'e2e-client', clientSecret: 'e2e-client-secret-value' };
const QUEUE = 'a1b23c4d-ab12-1abc-1234-1a23b4c56789';

describe('editor: sign in a Genesys Cloud user from the account dialog', function () {
  const session = new EditorSession();
  const sandbox = new SandboxServer({ credentials: CREDS, queuedToSentMs: 60_000, sentToFinalMs: 60_000 });

  before(async function () {
    const url = await sandbox.start();
    await session.start();
    await session.red.deploy([
      { id: 'tab1', type: 'tab', label: 'Queue' },
      {
        id: 'acct',
        type: 'agentless-account',
        name: 'Genesys (signed-in user)',
        provider: 'genesys-cloud',
        region: 'mypurecloud.com',
        grant: 'authorization-code',
        apiBaseUrl: url,
        authBaseUrl: url,
        credentials: CREDS,
      },
      { id: 'sender', type: 'agentless-sender', name: 'Support queue', account: 'acct', fromAddress: '', mode: 'queue', queueId: QUEUE, ratePerSecond: 5, burst: 1, queueLimit: 100 },
      {
        id: 'inj',
        z: 'tab1',
        type: 'inject',
        name: 'text',
        props: [{ p: 'payload' }, { p: 'to', v: '+12025550123', vt: 'str' }],
        payload: 'Signed in from the editor',
        payloadType: 'str',
        repeat: '',
        crontab: '',
        once: false,
        onceDelay: 0.1,
        topic: '',
        x: 120,
        y: 80,
        wires: [['send']],
      },
      { id: 'send', z: 'tab1', type: 'agentless-send-sms', sender: 'sender', to: 'to', toType: 'msg', text: 'payload', textType: 'msg', x: 320, y: 80, wires: [['dbg'], ['dbg']] },
      { id: 'dbg', z: 'tab1', type: 'debug', name: 'out', active: true, tosidebar: true, complete: 'true', targetType: 'full', x: 520, y: 80, wires: [] },
    ]);
    await session.open();
  });

  after(async function () {
    await session.stop();
    await sandbox.stop();
  });

  it('clicks Sign in, signs in on the login page, and sees the user name in the dialog', async function () {
    const page = session.page;
    await page.evaluate(() => (window as any).RED.editor.editConfig('', 'agentless-account', 'acct'));
    await page.waitForSelector('#agentless-account-sign-in', { state: 'visible' });
    const redirect = await page.textContent('#agentless-account-redirect');
    assert.match(redirect ?? '', /\/agentless-sms\/oauth\/callback/);
    await session.shot('sign-in-1-dialog');

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#agentless-account-sign-in')]);
    await popup.waitForSelector('#sandbox-sign-in', { timeout: 15_000 });
    await popup.screenshot({ path: path.join(ARTIFACTS, 'sign-in-2-login-page.png') });
    await popup.click('#sandbox-sign-in');
    await popup.waitForSelector('#agentless-sms-sign-in-title', { timeout: 15_000 });
    assert.match((await popup.textContent('#agentless-sms-sign-in-title')) ?? '', /Signed in as Sam Sandbox/);
    await popup.close();

    await page.waitForFunction(() => /Signed in as Sam Sandbox/.test(document.querySelector('#agentless-account-sign-in-result')?.textContent ?? ''), undefined, { timeout: 15_000 });
    await session.shot('sign-in-3-signed-in');
    // The browser holds no token: not in the form, not in the editor's node.
    const inBrowser = await page.evaluate(() =>
      JSON.stringify({ v: (document.querySelector('#node-config-input-refreshToken') as HTMLInputElement).value, n: (window as any).RED.nodes.node('acct').credentials ?? null }),
    );
    for (const t of sandbox.oauth.issued) assert.ok(!inBrowser.includes(t), 'a token reached the browser');

    // Save the dialog with a change (so the account is redeployed), deploy with the button, send.
    await page.fill('#node-config-input-name', 'Genesys (Sam)');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-dialog-ok', { state: 'detached' }).catch(() => undefined);
    await page.waitForSelector('#red-ui-header-button-deploy:not(.disabled)');
    await page.click('#red-ui-header-button-deploy');
    // Deployed: the button goes back to disabled (nothing left to deploy).
    await page.waitForSelector('#red-ui-header-button-deploy.disabled', { timeout: 15_000 }).catch(async (e) => {
      await session.shot('sign-in-deploy-failed');
      throw e;
    });
    await session.shot('sign-in-4-deployed');
    // The inject button's route, as clicking it does.
    let answered = false;
    for (let i = 0; i < 50 && !answered; i++) {
      await new Promise((r) => setTimeout(r, 200));
      answered = (await session.red.req('POST', '/inject/inj')).status === 200 && (await until(() => sandbox.state.messages.length > 0, 1500));
    }
    assert.ok(answered, `no message reached the platform:\n${session.red.log}`);
    assert.equal(sandbox.state.messages[0].textBody, 'Signed in from the editor');
    assert.equal(sandbox.oauth.stats.refusedGrants, 0);
    assert.deepEqual(session.errors, []);
  });
});
