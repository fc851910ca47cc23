/**
 * The built package (nodes/) as the node tests load it. Loading refuses a build older than src/: a test
 * that ran against stale compiled code would pass or fail for reasons the source no longer holds.
 */
import fs from 'fs';
import path from 'path';

export const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { srcHash, STAMP_FILE } = require(path.join(root, 'scripts', 'build-stamp.js')) as { srcHash(root: string): string; STAMP_FILE: string };

let checked = false;

/** Throws unless nodes/ was built from the src/ tree as it is now. */
export function assertFreshBuild(): void {
  if (checked) return;
  const stampFile = path.join(root, 'nodes', STAMP_FILE);
  let built: string | undefined;
  try {
    built = (JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { src?: string }).src;
  } catch {
    throw new Error('nodes/ has no build stamp: run `npm run build` before the node tests');
  }
  if (built !== srcHash(root)) throw new Error('nodes/ is older than src/: run `npm run build` before the node tests');
  checked = true;
}

/** What a node file exports: Node-RED calls it with the runtime API. */
export type NodeModule = (RED: any) => void;

/** The module Node-RED loads for a node type (package.json "node-red"), from a fresh build. */
export function builtNode(type: string): NodeModule {
  assertFreshBuild();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(root, 'nodes', `${type}.js`)) as NodeModule;
}
