/**
 * Where a signed-in account keeps its refresh token between requests, restarts and crashes.
 *
 * Why a vault beside Node-RED's credentials: the runtime writes flows_cred.json only on a deploy, and the
 * platform may hand back a new refresh token on every refresh (the old one then stops working). The new
 * one must be on disk before it is used, or a kill -9 right after a rotation strands the account with a
 * dead token. So the vault writes an encrypted record (AES-256-GCM, key derived from the same
 * credentialSecret Node-RED encrypts its credentials with, bound to the account id) atomically and
 * fsync'ed, and the account also hands the new token to the runtime's credential store so the next
 * deploy writes it into flows_cred.json too. Never a plain file.
 *
 * Which token wins at start: the record lists fingerprints (keyed hashes, not tokens) of every refresh
 * token of its chain. When the deployed credential is one of them, the record's newest token wins; a
 * credential the record does not know (pasted, or a sign-in deployed from elsewhere) starts a new chain.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import path from 'path';
import { FILE_MODE, ensureDir, syncDir } from '../store/durable-dir';
import { storePath } from '../store/store-path';

export interface SignedInUser {
  id: string;
  name: string;
}

export interface TokenRecord {
  refreshToken: string;
  /** Fingerprints of the refresh tokens this record replaces (its whole chain, newest included). */
  chain: string[];
  user?: SignedInUser;
  updatedAt: number;
  /** Shared stores only (Redis): the current access token, so other instances need not refresh. */
  accessToken?: string;
  accessExpiresAt?: number;
}

/** How many fingerprints a chain keeps (a deploy can only hold one of the most recent tokens). */
const CHAIN_MAX = 32;

export function extendChain(chain: string[], ...fingerprints: string[]): string[] {
  const out = [...chain.filter((f) => !fingerprints.includes(f)), ...fingerprints];
  return out.slice(-CHAIN_MAX);
}

/**
 * The account's token store: the local file vault, or a shared one (Redis) that several instances use.
 * `exclusive` runs one refresh at a time: within the process, and across instances for shared stores.
 */
export interface TokenStore {
  readonly shared: boolean;
  fingerprint(token: string): string;
  read(): Promise<TokenRecord | null>;
  /** Durable when it resolves. */
  write(record: TokenRecord): Promise<void>;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  close?(): Promise<void>;
}

/** Encryption of token records with a key from Node-RED's credentialSecret, bound to one account. */
export class TokenCipher {
  private readonly key: Buffer;
  private readonly macKey: Buffer;

  constructor(
    secret: string,
    private readonly accountId: string,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'agentless-sms', 'token-vault:aes-256-gcm', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', secret, 'agentless-sms', 'token-vault:fingerprint', 32));
  }

  fingerprint(token: string): string {
    return createHmac('sha256', this.macKey).update(this.accountId).update('\0').update(token).digest('hex').slice(0, 32);
  }

  seal(record: TokenRecord): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(`agentless-sms:${this.accountId}`));
    const data = Buffer.concat([c.update(JSON.stringify(record), 'utf8'), c.final()]);
    return JSON.stringify({ v: 1, alg: 'aes-256-gcm', iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') });
  }

  /** null for anything garbled, foreign (another account or secret) or of an unknown shape. */
  open(text: string): TokenRecord | null {
    try {
      const box = JSON.parse(text) as { v?: number; iv?: string; tag?: string; data?: string };
      if (box.v !== 1 || typeof box.iv !== 'string' || typeof box.tag !== 'string' || typeof box.data !== 'string') return null;
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(box.iv, 'base64'));
      d.setAAD(Buffer.from(`agentless-sms:${this.accountId}`));
      d.setAuthTag(Buffer.from(box.tag, 'base64'));
      const plain = Buffer.concat([d.update(Buffer.from(box.data, 'base64')), d.final()]).toString('utf8');
      const r = JSON.parse(plain) as TokenRecord;
      if (!r || typeof r.refreshToken !== 'string' || !Array.isArray(r.chain)) return null;
      return r;
    } catch {
      return null;
    }
  }
}

/** One refresh at a time in this process: later callers wait for the earlier ones. */
export class LocalMutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Beside the account's other files; a hostile node id cannot lead outside the user directory. */
export function tokenVaultFile(userDir: string, accountId: string): string {
  return path.join(storePath(userDir, 'accounts', accountId), 'auth.vault');
}

/** The local vault: one encrypted file per account in the user directory. */
export class FileTokenStore implements TokenStore {
  readonly shared = false;
  private readonly mutex = new LocalMutex();

  constructor(
    readonly file: string,
    private readonly cipher: TokenCipher,
  ) {}

  fingerprint(token: string): string {
    return this.cipher.fingerprint(token);
  }

  async read(): Promise<TokenRecord | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    return this.cipher.open(text);
  }

  async write(record: TokenRecord): Promise<void> {
    // Access tokens are short-lived and stay in memory; only what must survive is written.
    const { accessToken: _a, accessExpiresAt: _e, ...keep } = record;
    const dir = path.dirname(this.file);
    // A directory made here is synced into its parent: otherwise a crash could lose the whole vault,
    // and with it a rotated refresh token the platform no longer accepts the old one of.
    ensureDir(dir, true);
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const fh = await fsp.open(tmp, 'w', FILE_MODE);
      try {
        await fh.writeFile(this.cipher.seal(keep), 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, this.file);
    } catch (err) {
      // A failed write (disk full, the target unwritable) leaves the old vault as it was and no
      // half-written sealed copy of the chain beside it.
      await fsp.rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    // The rename itself must survive a crash: sync the directory entry.
    await syncDir(dir);
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn);
  }
}

/**
 * Without a credential secret (credentialSecret: false) nothing can be encrypted: the chain is kept in
 * memory only, and the account warns that a rotated refresh token will not survive a restart.
 */
export class MemoryTokenStore implements TokenStore {
  readonly shared = false;
  private record: TokenRecord | null = null;
  private readonly mutex = new LocalMutex();
  private readonly salt = randomBytes(16);

  fingerprint(token: string): string {
    return createHmac('sha256', this.salt).update(token).digest('hex').slice(0, 32);
  }
  async read(): Promise<TokenRecord | null> {
    return this.record ? { ...this.record } : null;
  }
  async write(record: TokenRecord): Promise<void> {
    this.record = { ...record };
  }
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn);
  }
}
