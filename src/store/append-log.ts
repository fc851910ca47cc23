/**
 * A durable append-only log of JSON records, one per line, in the Node-RED user directory.
 *
 * Why a log and not SQLite: measured here, an fsync'ed JSONL append with group commit is fast
 * (thousands of records per second, far more when batched) and needs no native build. Appends made
 * in the same tick share one write + fdatasync (group commit); `append` resolves only once its record
 * is on disk, so callers acknowledge nothing that a crash could lose. `compact` atomically replaces the
 * file with a snapshot (write temp, fsync, rename, fsync the directory). Appends go on meanwhile: they
 * are committed to the current file as usual and copied after the snapshot into the new one, and only
 * the last step (the copy's tail, one fsync, the rename) holds them back.
 *
 * What can go wrong on disk, and what the log does about it:
 * - A crash mid-append, a full disk or a file-size limit leaves a last line without its newline. Open
 *   repairs the tail: it keeps every complete record, cuts the torn one off the file (so the next
 *   record does not get glued onto it) and logs it. A torn record was never acknowledged.
 * - A write can be short (the disk filled up in the middle of it) without an error. That is a failed
 *   write: the batch is rejected and the file is cut back to the last acknowledged byte before anything
 *   else is appended, so a later successful write never lands on a half record.
 * - A line that is not JSON, or JSON of the wrong shape (`null`), is skipped and logged instead of
 *   keeping the store from opening.
 * - New files and directories are fsync'ed into their parent directory, so an acknowledged record is
 *   not lost with a file entry that never reached the disk.
 * Files are created 0600 and directories 0700: the records hold phone numbers and message contents.
 */
import { promises as fsp, existsSync, readFileSync, openSync, closeSync, fsyncSync, ftruncateSync, writeSync, fdatasync as fdatasyncCb } from 'fs';
import path from 'path';
import { FILE_MODE, ensureDir, syncDir } from './durable-dir';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';

/** Lines of a snapshot (or of what was committed meanwhile) written to the new file at a time. */
const COMPACT_CHUNK_LINES = 4096;
/** A compaction's new file is synced each time this much has been written to it. */
const SYNC_EVERY_BYTES = 2 * 1024 * 1024;
/**
 * Bytes a compaction lets through to the current file (see `compactWith`): a quarter of the file's size
 * when it starts, at least 1 MiB. Appends beyond wait for it to end, so the file grows by at most that
 * much past the size that started the compaction. At the dedupe bounds a compaction takes a few hundred
 * milliseconds; a quarter of its file (26 MB there) is some 40,000 events, more than a receiver takes
 * in that time.
 */
export function allowanceWhileCompacting(bytesAtStart: number): number {
  return Math.max(1024 * 1024, Math.floor(bytesAtStart / 4));
}

export interface AppendLogOptions {
  /** Set false only for benchmarks of the non-durable path: appends are then not fsync'ed. */
  fsync?: boolean;
  /**
   * Whether a parsed line is a record of this log. Lines it refuses are skipped and logged. Default:
   * any JSON object (not null, not an array).
   */
  accept?: (record: unknown) => boolean;
  /** Where repairs and skipped lines are reported (never with the record's content). */
  logger?: Logger;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class AppendLog<T> {
  readonly file: string;
  private handle: fsp.FileHandle | null = null;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private lines = 0;
  /** Bytes of the file that hold acknowledged records (everything after is a failed write). */
  private length = 0;
  /** A write or sync failed: cut the file back to `length` before the next write. */
  private dirty = false;
  /** While a compaction runs: the lines committed to the current file since it began, in order. */
  private sinceSnapshot: string[] | null = null;
  private sinceBytes = 0;
  private sinceAllowance = 0;
  /** Settles when the running compaction ends (for appends past its allowance). */
  private compactionEnd: Promise<void> | null = null;
  /** The new file is replacing the current one: no batch is written until it has. */
  private switching: Promise<void> | null = null;
  private readonly fsync: boolean;
  private closed = false;

  private constructor(file: string, opts: AppendLogOptions) {
    this.file = file;
    this.fsync = opts.fsync !== false;
  }

  /** Open (creating directories as needed) and return the log with the records already in it. */
  static async open<T>(file: string, opts: AppendLogOptions = {}): Promise<{ log: AppendLog<T>; records: T[] }> {
    const log = new AppendLog<T>(file, opts);
    const logger = opts.logger ?? silentLogger;
    const accept = opts.accept ?? isObject;
    const dir = path.dirname(file);
    ensureDir(dir, log.fsync);
    const records: T[] = [];
    const existed = existsSync(file);
    if (existed) {
      const data = readFileSync(file);
      const end = data.lastIndexOf(0x0a) + 1;
      if (end < data.length) {
        // A torn last record: never acknowledged. Cut it off so the next append starts on a new line.
        logger.warn(`${path.basename(file)}: dropped a torn last record (${data.length - end} bytes without a line end)`);
        truncateFile(file, end, log.fsync);
      }
      let skipped = 0;
      let firstSkipped = 0;
      let lineNo = 0;
      let start = 0;
      while (start < end) {
        const nl = data.indexOf(0x0a, start);
        lineNo++;
        if (nl > start) {
          let ok = false;
          try {
            const r: unknown = JSON.parse(data.toString('utf8', start, nl));
            if (accept(r)) {
              records.push(r as T);
              ok = true;
            }
          } catch {
            /* not JSON: reported below */
          }
          if (!ok && skipped++ === 0) firstSkipped = lineNo;
        }
        start = nl + 1;
      }
      if (skipped) logger.warn(`${path.basename(file)}: skipped ${skipped} unreadable or malformed record(s), first at line ${firstSkipped}`);
      log.length = end;
      log.lines = records.length;
    }
    log.handle = await fsp.open(file, 'a', FILE_MODE);
    // Files written before modes were enforced, or under a lax umask.
    await log.handle.chmod(FILE_MODE).catch(() => {});
    if (!existed && log.fsync) await syncDir(dir);
    return { log, records };
  }

  /** Number of lines written since open or the last compaction (to decide when to compact). */
  get size(): number {
    return this.lines;
  }

  /** Bytes on disk since open or the last compaction (to compact by bytes). */
  get bytes(): number {
    return this.length;
  }

  append(record: T): Promise<void> {
    return this.appendLine(JSON.stringify(record));
  }

  /**
   * Append a record the caller has already serialized (one JSON text, no newline), so a record that
   * needs a special serialization is serialized once, not twice.
   */
  appendLine(json: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('log closed'));
    const line = json + '\n';
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const busy = this.flushing ?? this.switching ?? (this.sinceSnapshot && this.sinceBytes >= this.sinceAllowance ? this.compactionEnd : null);
    if (busy) {
      await busy;
      if (this.pending.length) this.schedule();
      return;
    }
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.flushing = (async () => {
      try {
        await this.writeBatch(batch);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err as Error);
      }
    })();
    await this.flushing;
    this.flushing = null;
    if (this.pending.length) this.schedule();
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('log closed');
    if (this.dirty) {
      // The last write failed part way: its bytes must not prefix the records written now.
      await handle.truncate(this.length);
      if (this.fsync) await handle.datasync();
      this.dirty = false;
    }
    const buf = Buffer.from(batch.length === 1 ? batch[0].line : batch.map((b) => b.line).join(''));
    try {
      // The write only copies into the page cache: done in place it costs microseconds, where a trip
      // through the thread pool would add a second hop to every commit. The fdatasync, which waits for
      // the disk, goes to the pool.
      const bytesWritten = writeSync(handle.fd, buf, 0, buf.length);
      if (bytesWritten !== buf.length) throw shortWrite(bytesWritten, buf.length);
      if (this.fsync) await fdatasync(handle.fd);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.length += buf.length;
    this.lines += batch.length;
    if (this.sinceSnapshot) {
      for (const b of batch) this.sinceSnapshot.push(b.line);
      this.sinceBytes += buf.length;
    }
  }

  /** Wait until everything appended so far is on disk (or failed). */
  async drain(): Promise<void> {
    while (this.pending.length || this.flushing || this.scheduled || this.switching) {
      if (this.flushing ?? this.switching) await (this.flushing ?? this.switching);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Replace the log with `records` atomically: a crash leaves either the old or the new file. */
  compact(records: T[]): Promise<void> {
    return this.compactLines(records.map((r) => JSON.stringify(r)));
  }

  /** `compact` with records the caller has already serialized (one JSON text each, no newline). */
  async compactLines(lines: string[]): Promise<void> {
    // The snapshot is of everything appended so far, which must not follow it again.
    await this.drain();
    return this.compactWith(() => Promise.resolve(lines));
  }

  /**
   * Replace the log with the snapshot `build` makes of what memory holds from now on (serialized lines,
   * as for `compactLines`; it may take several turns of the event loop). Appends go on meanwhile: each
   * is committed to the current file as usual, and the new file is the snapshot followed by every line
   * committed since this call, in their order. A record that changed while the snapshot was built is in
   * it as it was and again after it as it is, and the later line wins on replay, as in the log itself.
   */
  async compactWith(build: () => Promise<string[]>): Promise<void> {
    if (this.sinceSnapshot) throw new Error('a compaction is already running');
    const since: string[] = [];
    this.sinceSnapshot = since;
    this.sinceBytes = 0;
    this.sinceAllowance = allowanceWhileCompacting(this.length);
    let ended = (): void => {};
    this.compactionEnd = new Promise<void>((r) => (ended = r));
    try {
      await this.replaceWith(await build(), since);
    } finally {
      this.sinceSnapshot = null;
      this.sinceBytes = 0;
      this.compactionEnd = null;
      ended();
    }
  }

  private async replaceWith(lines: string[], since: string[]): Promise<void> {
    const tmp = this.file + '.tmp';
    let fh: fsp.FileHandle | null = null;
    let next: fsp.FileHandle | null = null;
    let length = 0;
    let unsynced = 0;
    const put = async (text: string): Promise<void> => {
      const buf = Buffer.from(text);
      const { bytesWritten } = await fh!.write(buf, 0, buf.length);
      if (bytesWritten !== buf.length) throw shortWrite(bytesWritten, buf.length);
      length += buf.length;
      unsynced += buf.length;
      // Synced as it goes, so that little of it is left unwritten when an append's own fdatasync forces
      // a journal commit meanwhile, which may have to write that data out first (ext4 orders data before
      // metadata). At the dedupe bounds (a 20 MB snapshot) the longest wait of an acknowledgement during
      // a compaction was 24-185 ms over seven runs without this, 29-33 ms over four with it.
      if (this.fsync && unsynced >= SYNC_EVERY_BYTES) {
        await fh!.datasync();
        unsynced = 0;
      }
    };
    let release = (): void => {};
    try {
      fh = await fsp.open(tmp, 'w', FILE_MODE);
      // In pieces: a snapshot of a long queue is tens of MB, and one string and one buffer of it would
      // hold the event loop (and the heap) for as long as it takes to build them.
      for (let i = 0; i < lines.length; i += COMPACT_CHUNK_LINES) await put(lines.slice(i, i + COMPACT_CHUNK_LINES).join('\n') + '\n');
      // Catch up with the appends made meanwhile while they keep going, and sync the bulk of the file,
      // so that little is left for the part below that holds them back (at the dedupe bounds the
      // snapshot is about 20 MB, whose fsync took tens of milliseconds).
      let copied = 0;
      const catchUp = async (): Promise<void> => {
        while (since.length > copied) {
          const part = since.slice(copied, copied + COMPACT_CHUNK_LINES);
          copied += part.length;
          await put(part.join(''));
        }
      };
      await catchUp();
      if (this.fsync) await fh.sync();
      await catchUp();
      this.switching = new Promise<void>((r) => (release = r));
      // The batch being committed to the current file is the last one it gets.
      if (this.flushing) await this.flushing;
      if (since.length > copied) await put(since.slice(copied).join(''));
      if (this.fsync) await fh.sync();
      // The append handle of the new file is opened before the rename, so that once the rename is done
      // nothing can fail that would leave appends going to the replaced file.
      next = await fsp.open(tmp, 'a', FILE_MODE);
      await fh.close();
      fh = null;
      await fsp.rename(tmp, this.file);
    } catch (err) {
      // The old file is untouched and still the log, with every append made meanwhile.
      await fh?.close().catch(() => {});
      await next?.close().catch(() => {});
      await fsp.unlink(tmp).catch(() => {});
      this.switching = null;
      release();
      throw err;
    }
    const old = this.handle;
    this.handle = next;
    this.length = length;
    this.lines = lines.length + since.length;
    this.dirty = false;
    // What is committed from now on goes to the new file itself.
    this.sinceSnapshot = null;
    try {
      if (this.fsync) await syncDir(path.dirname(this.file));
    } finally {
      this.switching = null;
      release();
      await old?.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    await this.handle?.close();
    this.handle = null;
  }
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasyncCb(fd, (err) => (err ? reject(err) : resolve())));
}

function isObject(r: unknown): boolean {
  return typeof r === 'object' && r !== null && !Array.isArray(r);
}

function shortWrite(written: number, wanted: number): NodeJS.ErrnoException {
  // write(2) returns a short count, not an error, when the disk fills up or a file-size limit is hit
  // in the middle of a write.
  const e: NodeJS.ErrnoException = new Error(`short write: ${written} of ${wanted} bytes (disk full or file size limit)`);
  e.code = 'ENOSPC';
  return e;
}

function truncateFile(file: string, length: number, fsync: boolean): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, length);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
