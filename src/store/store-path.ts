/**
 * Where a node's durable files live: `<userDir>/agentless-sms/<kind>/<name>`, with `name` derived from
 * the node id. Node ids come from the flow file, which anyone who can deploy (or import a flow) writes,
 * so an id is never put into a path as it is: `../../../../tmp/x` must not reach outside the user
 * directory.
 *
 * An id made of the characters Node-RED itself uses (hex, `.`, `-`, `_`, letters; not starting with a
 * dot) keeps its own name, so stores written by earlier versions are found again after an upgrade.
 * Any other id is named by its SHA-256 (`id-<hex>`), which cannot collide with a plain id. The result
 * is checked to stay inside `<userDir>/agentless-sms` whatever the input.
 */
import { createHash } from 'crypto';
import path from 'path';

export const STORE_ROOT = 'agentless-sms';

export type StoreKind = 'senders' | 'accounts' | 'webhooks';

const PLAIN_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A file or directory name for a node id: the id itself when it is plain, otherwise a hash of it. */
export function storeName(id: string): string {
  if (PLAIN_ID.test(id) && !id.startsWith('id-')) return id;
  return 'id-' + createHash('sha256').update(String(id)).digest('hex').slice(0, 32);
}

/**
 * `<userDir>/agentless-sms/<kind>/<storeName(id)><suffix>`, resolved; throws if it would leave the
 * user directory (it cannot with the names above: the check keeps it so if they change).
 */
export function storePath(userDir: string, kind: StoreKind, id: string, suffix = ''): string {
  const root = path.resolve(userDir, STORE_ROOT);
  const full = path.resolve(root, kind, storeName(id) + suffix);
  if (!isInside(root, full)) throw new Error(`refusing a store path outside the user directory for node ${JSON.stringify(id)}`);
  return full;
}

/** Whether `p` is strictly inside `dir` (both resolved). */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
