/**
 * The package in a real editor, driven like a newcomer would: the palette, building a flow through
 * the dialogs, deploying with the Deploy button, the debug sidebar, Import > Examples, the help
 * sidebar and the live "SMS senders" tab. Screenshots go to test-artifacts/e2e/.
 */
import assert from 'node:assert';
import type { Page } from 'playwright-core';
import { loadExamples, packageNodeTypes } from '../helpers/examples';
import { ARTIFACTS, EditorSession } from './editor';

const PKG = '@agentless-sms/node-red';

/** Drag a palette node onto the workspace at (x, y) in page coordinates; returns the new node's id. */
async function dragFromPalette(page: Page, type: string, filter: string, x: number, y: number): Promise<string> {
  const before: string[] = await page.evaluate((t) => {
    const ids: string[] = [];
    (window as any).RED.nodes.eachNode((n: any) => {
      if (n.type === t) ids.push(n.id);
    });
    return ids;
  }, type);
  await page.fill('#red-ui-palette-search input', filter);
  const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await item.waitFor({ state: 'visible' });
  // The filter re-lays out the palette: let it settle before measuring where to grab.
  await page.waitForTimeout(300);
  await item.scrollIntoViewIfNeeded();
  const box = (await item.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(x, y, { steps: 20 });
  await page.mouse.up();
  await page.fill('#red-ui-palette-search input', '');
  const id = await page.waitForFunction(
    ([t, known]) => {
      let found = '';
      (window as any).RED.nodes.eachNode((n: any) => {
        if (n.type === t && !(known as string[]).includes(n.id)) found = n.id;
      });
      return found || null;
    },
    [type, before] as const,
  );
  return (await id.jsonValue()) as string;
}

async function portCenter(page: Page, nodeId: string, selector: string): Promise<{ x: number; y: number }> {
  const box = (await page.locator(`g.red-ui-flow-node-group[id="${nodeId}"] ${selector}`).first().boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Wire output `port` of `from` to the input of `to` by dragging between the ports. */
async function wire(page: Page, from: string, to: string, port = 0): Promise<void> {
  const a = await portCenter(page, from, `.red-ui-flow-port-output >> nth=${port}`);
  const b = await portCenter(page, to, '.red-ui-flow-port-input');
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 15 });
  await page.mouse.up();
}

async function openNodeDialog(page: Page, id: string): Promise<void> {
  await page.locator(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node`).dblclick();
  await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
}

/** Set a typedInput (by its <input> selector) to a type and value, as its type menu and text box would. */
async function setTypedInput(page: Page, selector: string, type: string, value: string): Promise<void> {
  await page.evaluate(
    ([sel, t, v]) => {
      const $ = (window as any).$;
      $(sel).typedInput('type', t);
      $(sel).typedInput('value', v);
    },
    [selector, type, value] as const,
  );
}

/** Bring a sidebar tab to the front through its icon in the sidebar tab bar (or the tab menu). */
async function showSidebar(page: Page, id: string): Promise<void> {
  const button = page.locator(`#red-ui-tab-${id}-link-button`);
  if (await button.isVisible().catch(() => false)) await button.click();
  else await page.evaluate((t) => (window as any).RED.sidebar.show(t), id);
  await page.waitForSelector(`#red-ui-tab-${id}.active`);
}

async function deploy(page: Page): Promise<void> {
  await page.click('#red-ui-header-button-deploy');
  await page.waitForSelector('.red-ui-notification:has-text("Successfully deployed")', { timeout: 15_000 });
  // Notifications fade out; wait so the next deploy's notification is its own.
  await page.waitForSelector('.red-ui-notification:has-text("Successfully deployed")', { state: 'detached', timeout: 15_000 });
}

/** Error and warning notifications currently shown, and debug-sidebar messages at error/warn level. */
async function problems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    document.querySelectorAll('.red-ui-notification-error, .red-ui-notification-warning').forEach((e) => out.push('notification: ' + e.textContent));
    document.querySelectorAll('.red-ui-debug-msg-level-20, .red-ui-debug-msg-level-30').forEach((e) => out.push('debug: ' + e.textContent));
    return out;
  });
}

describe('editor (real browser)', function () {
  this.timeout(300_000);
  const s = new EditorSession();

  before(async function () {
    await s.start();
  });
  after(async function () {
    await s.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await s.shot(`failed-${this.currentTest.title.replace(/[^\w-]+/g, '_').slice(0, 60)}`).catch(() => undefined);
    // Any console error or page error fails the test that caused it.
    const errs = s.errors.splice(0);
    assert.deepEqual(errs, [], errs.join('\n'));
  });

  it('shows our nodes in their own palette category', async function () {
    const cat = s.page.locator('#red-ui-palette-container-agentless_sms');
    await cat.waitFor();
    const types = await cat.locator('.red-ui-palette-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-palette-type')));
    for (const t of packageNodeTypes().filter((n) => !n.config)) assert.ok(types.includes(t.type), `${t.type} not in the palette: ${types}`);
    await cat.scrollIntoViewIfNeeded();
    await s.shot('01-palette');
  });

  it('builds inject -> send sms -> debug through the dialogs, deploys, sends, and shows the result', async function () {
    const page = s.page;
    const inject = await dragFromPalette(page, 'inject', 'inject', 400, 250);
    const send = await dragFromPalette(page, 'agentless-send-sms', 'send sms', 650, 250);
    const debug = await dragFromPalette(page, 'debug', 'debug', 900, 250);
    await wire(page, inject, send);
    await wire(page, send, debug, 0);
    const wired = await page.evaluate(
      ([a, b, c]) => {
        const RED = (window as any).RED;
        return (
          RED.nodes.filterLinks({ source: RED.nodes.node(a) }).some((l: any) => l.target.id === b) &&
          RED.nodes.filterLinks({ source: RED.nodes.node(b), sourcePort: 0 }).some((l: any) => l.target.id === c)
        );
      },
      [inject, send, debug] as const,
    );
    assert.ok(wired, 'wires were not created by dragging');

    // The inject: msg.payload is the text, msg.to the number (a second property row).
    await openNodeDialog(page, inject);
    await setTypedInput(page, '#node-input-property-container li:nth-child(1) .node-input-prop-property-value', 'str', 'Hello from the editor');
    await page.click('#node-input-property-container-div ~ * .red-ui-editableList-addButton, .red-ui-editableList-addButton');
    await setTypedInput(page, '#node-input-property-container li:nth-child(3) .node-input-prop-property-name', 'msg', 'to');
    await setTypedInput(page, '#node-input-property-container li:nth-child(3) .node-input-prop-property-value', 'str', '+12025550123');
    await s.shot('02-inject-dialog');
    await page.click('#node-dialog-ok');

    // send sms: add a sender, and in its dialog add a sandbox account (the default provider).
    await openNodeDialog(page, send);
    await page.click('#node-input-btn-sender-add');
    await page.waitForSelector('#node-config-input-account', { state: 'attached' });
    await page.fill('#node-config-input-name', 'Main number');
    await page.fill('#node-config-input-fromAddress', '+12025550100');
    await page.click('#node-config-input-btn-account-add');
    await page.waitForSelector('#node-config-input-provider', { state: 'attached' });
    // A newcomer looking at Genesys Cloud sees the region names and what is still missing.
    await page.selectOption('#node-config-input-provider', 'genesys-cloud');
    await page.waitForSelector('#node-config-input-region', { state: 'visible' });
    const missing = page.locator('#agentless-account-missing');
    await missing.waitFor({ state: 'visible' });
    assert.match((await missing.textContent()) || '', /client ID and a client secret/);
    assert.match((await page.locator('#node-config-input-region option:checked').textContent()) || '', /Americas \(US East\)/);
    await s.shot('03a-account-dialog-genesys');
    await page.selectOption('#node-config-input-provider', 'sandbox');
    await missing.waitFor({ state: 'hidden' });
    await page.fill('#node-config-input-name', 'Sandbox');
    await s.shot('03-account-dialog');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-fromAddress', { state: 'visible' });
    // An invalid from number is marked at once, with a message saying what is expected.
    await page.fill('#node-config-input-fromAddress', '2025550100');
    // The editor validates on key-up and change, as typing would cause.
    await page.locator('#node-config-input-fromAddress').press('End');
    await page.locator('#node-config-input-fromAddress').hover();
    const tip = page.locator('.red-ui-popover', { hasText: 'international form' });
    await tip.waitFor({ state: 'visible' });
    assert.ok(await page.locator('#node-config-input-fromAddress.input-error').count(), 'invalid from number not marked');
    await s.shot('04a-sender-dialog-invalid-number');
    await page.fill('#node-config-input-fromAddress', '+12025550100');
    await page.locator('#node-config-input-fromAddress').press('End');
    await page.locator('#node-config-input-name').hover();
    assert.equal(await page.locator('#node-config-input-fromAddress.input-error').count(), 0, 'valid from number still marked');
    await s.shot('04-sender-dialog');
    // The other two tabs of the sender dialog: defaults filled in, nothing to change for a first flow.
    await page.waitForTimeout(500);
    await page.click('#agentless-sender-tabs a[href="#agentless-sender-tab-reliability"]');
    await page.waitForSelector('#node-config-input-maxAttempts', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-maxAttempts'), '5');
    assert.equal(await page.inputValue('#node-config-input-concurrency'), '1');
    await s.shot('04b-sender-dialog-reliability');
    // Node-RED's tab bar reads two clicks within 400 ms as a double click, whichever tabs they hit.
    await page.waitForTimeout(500);
    await page.click('#agentless-sender-tabs a[href="#agentless-sender-tab-compliance"]');
    await page.waitForSelector('#node-config-input-maxSegments', { state: 'visible' });
    await s.shot('04c-sender-dialog-compliance');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-input-sender', { state: 'visible' });
    await s.shot('05-send-sms-dialog');
    await page.click('#node-dialog-ok');

    // debug: show msg.sms (the id of the accepted message).
    await openNodeDialog(page, debug);
    await setTypedInput(page, '#node-input-typed-complete', 'msg', 'sms');
    await page.click('#node-dialog-ok');

    const invalid = await page.evaluate(() => {
      const bad: string[] = [];
      (window as any).RED.nodes.eachNode((n: any) => {
        if (!n.valid) bad.push(n.type);
      });
      (window as any).RED.nodes.eachConfig((n: any) => {
        if (!n.valid) bad.push(n.type);
      });
      return bad;
    });
    assert.deepEqual(invalid, []);
    await deploy(page);
    await s.shot('06-deployed');

    await showSidebar(page, 'debug');
    await page.locator(`g.red-ui-flow-node-group[id="${inject}"] .red-ui-flow-node-button`).click();
    const msg = page.locator('.red-ui-debug-msg', { hasText: 'msg.sms' });
    await msg.first().waitFor({ timeout: 15_000 });
    await msg
      .first()
      .locator('.red-ui-debug-msg-object-handle, .red-ui-debug-msg-element')
      .first()
      .click()
      .catch(() => undefined);
    const text = (await msg.first().textContent()) || '';
    // The expanded object view runs a type label into the next key ("objectid: ..."), so allow that.
    assert.match(text, /(^|[^a-zA-Z]|object)id: "[0-9a-f-]{8,}"/);
    assert.match(text, /status:\s*"queued"/);
    assert.match(text, /\+12025550123/);
    assert.deepEqual(await problems(page), []);
    await s.shot('07-debug-result');
  });

  it('shows live sender numbers in the SMS senders sidebar tab, changing after a send', async function () {
    const page = s.page;
    await showSidebar(page, 'agentless-sms');
    const sent = page.locator('.agentless-sms-sender .agentless-sms-sent').first();
    await sent.waitFor({ timeout: 15_000 });
    const before = Number(await sent.textContent());
    assert.ok(before >= 1, `sent ${before}`);
    const inject: string = await page.evaluate(() => {
      let id = '';
      (window as any).RED.nodes.eachNode((n: any) => {
        if (n.type === 'inject') id = n.id;
      });
      return id;
    });
    await page.locator(`g.red-ui-flow-node-group[id="${inject}"] .red-ui-flow-node-button`).click();
    await page.waitForFunction((n) => Number(document.querySelector('.agentless-sms-sender .agentless-sms-sent')?.textContent) > n, before, { timeout: 15_000 });
    await s.shot('08-sidebar');
  });

  it('adds get status after send sms and a delivery webhook through their dialogs, and deploys', async function () {
    const page = s.page;
    const ids: Record<string, string> = await page.evaluate(() => {
      const out: Record<string, string> = {};
      (window as any).RED.nodes.eachNode((n: any) => {
        out[n.type] = n.id;
      });
      return out;
    });
    const status = await dragFromPalette(page, 'agentless-get-status', 'get status', 900, 400);
    await wire(page, ids['agentless-send-sms'], status, 0);
    await wire(page, status, ids['debug'], 0);
    await openNodeDialog(page, status);
    const account = await page.evaluate(() => {
      let id = '';
      (window as any).RED.nodes.eachConfig((n: any) => {
        if (n.type === 'agentless-account') id = n.id;
      });
      return id;
    });
    await page.selectOption('#node-input-account', account);
    await s.shot('11-get-status-dialog');
    await page.click('#node-dialog-ok');

    const hook = await dragFromPalette(page, 'agentless-webhook-receiver', 'webhook', 400, 450);
    await openNodeDialog(page, hook);
    await page.fill('#node-input-path', '/sms/status');
    await page.fill('#node-input-secret', 'whsec_' + Buffer.from('a newcomer secret of 32 bytes!!!').toString('base64'));
    await s.shot('12-webhook-receiver-dialog');
    await page.click('#node-dialog-ok');

    // Labels say what each node uses; every output port has a label.
    // No local named functions in the page: the test compiler would wrap them in a helper the page lacks.
    const labels = await page.evaluate(
      ([a, b, c]) => {
        const RED = (window as any).RED;
        const nodes = [a, b, c].map((id) => RED.nodes.node(id));
        return {
          send: RED.utils.getNodeLabel(nodes[0]),
          status: RED.utils.getNodeLabel(nodes[1]),
          hook: RED.utils.getNodeLabel(nodes[2]),
          ports: nodes.flatMap((n: any) => Array.from({ length: n.outputs }, (_, i) => n._def.outputLabels.call(n, i))),
        };
      },
      [ids['agentless-send-sms'], status, hook] as const,
    );
    assert.equal(labels.send, 'send sms via Main number');
    assert.equal(labels.status, 'get status (Sandbox)');
    assert.equal(labels.hook, 'POST /sms/status');
    assert.equal(labels.ports.length, 2 + 3 + 5);
    for (const l of labels.ports) assert.ok(typeof l === 'string' && l.length > 3 && !l.includes('agentless-'), `port label ${l}`);

    await deploy(page);
    await showSidebar(page, 'debug');
    await page.evaluate(() => (window as any).RED.debug.clearMessages && (window as any).RED.debug.clearMessages());
    await page.locator(`g.red-ui-flow-node-group[id="${ids['inject']}"] .red-ui-flow-node-button`).click();
    // The sandbox reports the test number delivered: get status routes it to output 1, into the debug node.
    const delivered = page.locator('.red-ui-debug-msg', { hasText: 'delivered' });
    await delivered.first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await problems(page), []);
    await s.shot('13-send-and-wait-deployed');
  });

  it('opens the help of every node of the package', async function () {
    const page = s.page;
    for (const { type } of packageNodeTypes()) {
      await page.evaluate((t) => (window as any).RED.sidebar.help.show(t), type);
      const help = page.locator('.red-ui-help >> visible=true').first();
      await help.waitFor();
      const shown = (await help.textContent()) || '';
      const html = await page.evaluate((t) => (window as any).RED.nodes.getNodeHelp(t) || '', type);
      assert.ok(html.length > 100, `help of ${type} is missing or too short`);
      assert.ok(shown.length > 50, `help sidebar shows little for ${type}: ${shown}`);
      await s.shot(`09-help-${type}`);
    }
  });

  it('speaks German to a German browser: palette, sender dialog and help', async function () {
    const context = await s.browser.newContext({ locale: 'de-DE', viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`http://127.0.0.1:${s.red.port}/`);
      await page.waitForSelector('.red-ui-palette-node[data-palette-type="agentless-send-sms"]', { timeout: 60_000 });
      const palette = await page.locator('.red-ui-palette-node[data-palette-type="agentless-send-sms"] .red-ui-palette-label').textContent();
      assert.equal((palette || '').replace(/\s+/g, ' ').trim(), 'SMS senden');
      const sender: string = await page.evaluate(() => {
        let id = '';
        (window as any).RED.nodes.eachConfig((n: any) => {
          if (n.type === 'agentless-sender') id = n.id;
        });
        return id;
      });
      await page.evaluate((id) => (window as any).RED.editor.editConfig('', 'agentless-sender', id), sender);
      await page.waitForSelector('#agentless-sender-tabs', { state: 'visible' });
      const tabs = await page.locator('#agentless-sender-tabs .red-ui-tab-label').allTextContents();
      assert.deepEqual(
        tabs.map((t) => t.trim()),
        ['Senden', 'Zuverlässigkeit', 'Compliance'],
      );
      await page.evaluate(() => (window as any).RED.sidebar.help.show('agentless-sender'));
      await page.locator('.red-ui-help h3', { hasText: 'Zuverlässigkeit' }).first().waitFor();
      await page.screenshot({ path: `${ARTIFACTS}/14-de-sender-dialog-and-help.png` });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  for (const ex of loadExamples()) {
    it(`imports "${ex.name}" through Import > Examples and deploys it cleanly`, async function () {
      const page = s.page;
      // Start from an empty workspace so examples cannot clash with one another.
      await s.red.deploy([{ id: 'emptytab', type: 'tab', label: 'Flow 1' }]);
      await s.open();
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples');
      const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await tree.locator('.red-ui-treeList-label', { hasText: PKG }).click();
      await tree.locator('.red-ui-treeList-label', { hasText: ex.name }).click();
      await page.click('#red-ui-clipboard-dialog-ok');
      await page.waitForSelector('#red-ui-clipboard-dialog-ok', { state: 'hidden' });
      const tabLabel = ex.nodes.find((n) => n.type === 'tab')?.label;
      await page.locator('.red-ui-tab', { hasText: tabLabel }).first().click();
      const invalid = await page.evaluate(() => {
        const bad: string[] = [];
        (window as any).RED.nodes.eachNode((n: any) => {
          if (!n.valid) bad.push(`${n.type} ${n.id}`);
        });
        (window as any).RED.nodes.eachConfig((n: any) => {
          if (n.valid === false) bad.push(`${n.type} ${n.id}`);
        });
        return bad;
      });
      assert.deepEqual(invalid, [], 'invalid nodes after import');
      await showSidebar(page, 'debug');
      const logFrom = s.red.log.length;
      await deploy(page);
      await page.waitForTimeout(1500);
      await s.shot(`10-example-${ex.name.replace(/[^\w-]+/g, '_')}`);
      assert.deepEqual(await problems(page), []);
      const log = s.red.log.slice(logFrom);
      assert.deepEqual(log.match(/\[(error|warn)\].*/g) ?? [], [], log);
    });
  }
});
