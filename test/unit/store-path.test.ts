/**
 * Store file names from node ids: a plain id (the characters Node-RED uses, starting with a letter, digit
 * or `_` but not `id-`, at most 128 characters) keeps its name, anything else is `id-` and 32 hex digits of its SHA-256,
 * and no id leads outside `<userDir>/agentless-sms`.
 */
import assert from 'node:assert';
import { createHash } from 'crypto';
import path from 'path';
import { storeName, storePath } from '../../src/store/store-path';

const hashed = (id: string) => 'id-' + createHash('sha256').update(id).digest('hex').slice(0, 32);

describe('store: file names from node ids', () => {
  it('keeps a plain id of up to 128 characters as it is', () => {
    for (const id of ['3f1b2c4d.9e8a7b', 'a1b2c3d4e5f60718', 'sender_1', 'A-z.0_9', 'x'.repeat(128)]) assert.strictEqual(storeName(id), id);
  });

  it('names every other id by its SHA-256: a dot or dash first, id- first, over 128 characters, other characters', () => {
    for (const id of ['.hidden', '..', 'id-abc', 'x'.repeat(129), '../../etc/passwd', 'a/b', 'a b', 'ä', '', '-lead', 'con:1']) {
      assert.strictEqual(storeName(id), hashed(id), JSON.stringify(id));
    }
    assert.match(storeName('../x'), /^id-[0-9a-f]{32}$/);
  });

  it('resolves every id inside <userDir>/agentless-sms/<kind>', () => {
    const userDir = path.resolve('/tmp/user-dir');
    for (const id of ['../../../../tmp/x', '/etc/passwd', '..', 'ok-id', '\u0000']) {
      const p = storePath(userDir, 'senders', id, '.jsonl');
      assert.strictEqual(path.dirname(p), path.join(userDir, 'agentless-sms', 'senders'), JSON.stringify(id));
    }
  });
});
