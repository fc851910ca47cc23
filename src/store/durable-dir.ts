/**
 * Directories and file modes for everything this package keeps on disk. A new file or directory is
 * only durable once its entry is synced into its parent: without that, a crash can lose a file whose
 * contents were fsync'ed, and with it every record acknowledged from it.
 * Files are created 0600 and directories 0700: they hold phone numbers, message contents and tokens.
 */
import { promises as fsp, existsSync, mkdirSync, openSync, closeSync, fsyncSync, chmodSync, statSync } from 'fs';
import path from 'path';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Create `dir` and missing parents 0700, each made durable in its parent (when `fsync`). */
export function ensureDir(dir: string, fsync: boolean): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: DIR_MODE });
    } catch (err) {
      // Made meanwhile by another writer: it exists, which is all this needs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fsync) syncDirSync(path.dirname(d));
  }
  // The store's own directory, also when it was made before modes were enforced.
  try {
    if ((statSync(dir).mode & 0o777) !== DIR_MODE) chmodSync(dir, DIR_MODE);
  } catch {
    /* not ours to change (e.g. another owner): the file modes still hold */
  }
}

/**
 * Make a new entry (create, rename) in `dir` itself durable. Some file systems refuse fsync on a
 * directory, which is harmless there.
 */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported here */
  }
}

export function syncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported here */
  }
}
