/**
 * A scratch file for records that are already durable elsewhere but need not stay in memory: lines are
 * appended in batches (one write per tick, no fsync: losing this file loses nothing) and read back by
 * position. Opened empty, removed on close; after a crash the next open starts it afresh.
 *
 * A failed write only means the records stay in memory: their callbacks are not called.
 */
import { closeSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'fs';
import { FILE_MODE } from './durable-dir';

/** How much a sequential reader takes from the file at a time. */
const READ_WINDOW = 1024 * 1024;

export class SpillFile {
  private size = 0;
  private pending: { line: string; placed: (at: number, len: number) => void }[] = [];
  private scheduled = false;
  private broken = false;

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

  read(at: number, len: number): string {
    if (this.fd === null) throw new Error('spill file closed');
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, at + got);
      if (n === 0) throw new Error('spill file shorter than expected');
      got += n;
    }
    return buf.toString('utf8');
  }

  /**
   * A reader for many lines in file order (a snapshot of the whole queue): one read per MiB instead of
   * one per line. A line outside the window it holds moves the window there; a longer line is read
   * by itself.
   */
  reader(): (at: number, len: number) => string {
    let buf: Buffer | null = null;
    let base = 0;
    let filled = 0;
    return (at, len) => {
      if (buf && at >= base && at + len <= base + filled) return buf.toString('utf8', at - base, at - base + len);
      if (len > READ_WINDOW) return this.read(at, len);
      if (this.fd === null) throw new Error('spill file closed');
      buf ??= Buffer.allocUnsafe(READ_WINDOW);
      base = at;
      filled = 0;
      for (let n = 1; n > 0 && filled < READ_WINDOW; filled += n) n = readSync(this.fd, buf, filled, READ_WINDOW - filled, base + filled);
      if (filled < len) throw new Error('spill file shorter than expected');
      return buf.toString('utf8', 0, len);
    };
  }

  /** Nothing in it is needed any more: start from an empty file. */
  clear(): void {
    if (this.fd === null || this.pending.length) return;
    try {
      ftruncateSync(this.fd, 0);
      this.size = 0;
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
  }
}
