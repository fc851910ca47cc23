/**
 * A scratch file for records that are already durable elsewhere but need not stay in memory: lines are
 * appended in batches (one write per tick, no fsync: losing this file loses nothing) and read back by
 * position. Opened empty, removed on close; after a crash the next open starts it afresh.
 *
 * A failed write only means the records stay in memory: their callbacks are not called.
 */
import { closeSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'fs';
import { FILE_MODE } from './durable-dir';

/** How much `read` takes from the file at a time. */
const READ_WINDOW = 1024 * 1024;

export class SpillFile {
  private size = 0;
  private pending: { line: string; placed: (at: number, len: number) => void }[] = [];
  private scheduled = false;
  private broken = false;
  /** The bytes read last (see read), and where they are in the file. */
  private window: Buffer | null = null;
  private windowAt = 0;
  private windowLen = 0;

  private constructor(
    private fd: number | null,
    readonly file: string,
  ) {}

  /** Never throws: a spill file that cannot be created is one that is never used. */
  static open(file: string): SpillFile {
    try {
      return new SpillFile(openSync(file, 'w+', FILE_MODE), file);
    } catch {
      return new SpillFile(null, file);
    }
  }

  append(line: string, placed: (at: number, len: number) => void): void {
    if (this.fd === null || this.broken) return;
    this.pending.push({ line, placed });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (this.fd === null || !batch.length) return;
    const buf = Buffer.from(batch.map((b) => b.line).join('\n') + '\n');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.size + off);
    } catch {
      this.broken = true;
      return;
    }
    let at = this.size;
    for (const b of batch) {
      const len = Buffer.byteLength(b.line);
      b.placed(at, len);
      at += len + 1;
    }
    this.size += buf.length;
  }

  /**
   * A line back by its place. Lines are mostly read in file order (jobs nearing the front of the queue,
   * a snapshot of all of it), so a MiB is read at a time and the next lines come from that window: one
   * read system call per few thousand lines instead of one each. A line outside the window moves it
   * there; a longer line is read by itself.
   */
  read(at: number, len: number): string {
    if (this.fd === null) throw new Error('spill file closed');
    const w = this.window;
    if (w && at >= this.windowAt && at + len <= this.windowAt + this.windowLen) return w.toString('utf8', at - this.windowAt, at - this.windowAt + len);
    const big = len > READ_WINDOW;
    const buf = big ? Buffer.allocUnsafe(len) : (this.window ??= Buffer.allocUnsafe(READ_WINDOW));
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(this.fd, buf, got, buf.length - got, at + got);
    if (got < len) throw new Error('spill file shorter than expected');
    if (!big) {
      this.windowAt = at;
      this.windowLen = got;
    }
    return buf.toString('utf8', 0, len);
  }

  /** Nothing in it is needed any more: start from an empty file. */
  clear(): void {
    if (this.fd === null || this.pending.length) return;
    try {
      ftruncateSync(this.fd, 0);
      this.size = 0;
      // The places restart at 0: what the window holds is no longer there.
      this.windowLen = 0;
    } catch {
      /* keeps growing; still correct */
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
      unlinkSync(this.file);
    } catch {
      /* already gone */
    }
    this.fd = null;
    this.pending = [];
    this.window = null;
  }
}
