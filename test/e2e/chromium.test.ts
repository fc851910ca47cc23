import assert from 'node:assert';
import { requireChromium } from './editor';

describe('browser harness', function () {
  it('fails saying how to install Chromium when it is missing', function () {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    try {
      assert.throws(() => requireChromium(), /Chromium not found at \/nonexistent\/chromium: apt-get install -y chromium/);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });
});
