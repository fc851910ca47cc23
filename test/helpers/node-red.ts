/**
 * The Node-RED release the tests run on: the devDependency, or the installed `node-red` package directory
 * named by AGENTLESS_TEST_NODE_RED (CI runs the runtime suites on other releases this way, without
 * touching package-lock.json). The test helper (helpers/flow.ts) and the child-process tests
 * (helpers/red-process.ts) both load it from here.
 */
import fs from 'fs';
import path from 'path';

const chosen = process.env.AGENTLESS_TEST_NODE_RED;
/** The `node-red` package directory. */
export const NODE_RED_DIR = chosen ? path.resolve(chosen) : path.dirname(require.resolve('node-red/package.json'));
if (!fs.existsSync(path.join(NODE_RED_DIR, 'red.js'))) {
  throw new Error(`AGENTLESS_TEST_NODE_RED=${chosen}: no node-red package there (expected .../node_modules/node-red with red.js)`);
}
/** The command-line entry (`node red.js -u dir -s settings.js`). */
export const NODE_RED_CLI = path.join(NODE_RED_DIR, 'red.js');
export const NODE_RED_VERSION: string = JSON.parse(fs.readFileSync(path.join(NODE_RED_DIR, 'package.json'), 'utf8')).version;
/** The runtime module the test helper loads (`lib/red.js`). */
export const NODE_RED_MAIN = require.resolve(NODE_RED_DIR);

if (chosen) console.log(`  Node-RED ${NODE_RED_VERSION} (${NODE_RED_DIR}) on Node ${process.version}`);
