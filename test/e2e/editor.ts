/**
 * Browser harness for the editor tests: a real Node-RED (RedProcess) and Debian's headless Chromium
 * driven by playwright-core. Collects console errors and page errors, and saves screenshots under
 * test-artifacts/e2e/.
 */
import fs from 'fs';
import path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RedProcess, ROOT } from '../helpers/red-process';

/** Debian's chromium; CHROMIUM_PATH may point elsewhere. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Fails with the install command when the browser is missing (checked before anything starts). */
export function requireChromium(): string {
  const p = chromiumPath();
  if (!fs.existsSync(p)) throw new Error(`Chromium not found at ${p}: apt-get install -y chromium`);
  return p;
}
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

// Flags that keep Chromium quiet and offline in a container (no GPU, no sandbox, no background requests).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export class EditorSession {
  // No palette catalogue: the palette manager would otherwise fetch the Flow Library from the internet.
  readonly red = new RedProcess('agentless-e2e-', { editorTheme: { tours: false, palette: { catalogues: [] } } });
  browser!: Browser;
  page!: Page;
  /** Console errors and uncaught page errors seen so far. */
  readonly errors: string[] = [];

  async start(): Promise<void> {
    const executablePath = requireChromium();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await this.red.start();
    this.browser = await chromium.launch({ executablePath, args: FLAGS });
    this.page = await this.browser.newPage({ viewport: { width: 1600, height: 1000 } });
    this.page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`console: ${m.text()}`);
    });
    this.page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
    await this.open();
  }

  async open(): Promise<void> {
    await this.page.goto(`http://127.0.0.1:${this.red.port}/`);
    // The palette is filled once every node set has loaded.
    await this.page.waitForSelector('.red-ui-palette-node[data-palette-type="inject"]', { timeout: 60_000 });
    await this.page.waitForFunction(() => !document.querySelector('#red-ui-loading-progress') || (document.querySelector('#red-ui-loading-progress') as HTMLElement).offsetParent === null);
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.red.dispose();
  }
}
