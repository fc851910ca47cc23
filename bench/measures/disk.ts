/**
 * The disk under the stores: how long an fdatasync of one appended line takes, at a steady 20 a second
 * (a paced sender's rate in the rate measure), in the temporary directory the bench's Node-RED stores
 * live in. Every paced request waits for its start record's sync before it leaves, and a sender never
 * makes up time it lost (its window counts departures), so a sync that takes hundreds of milliseconds
 * shows in the rate rows; this says how often the disk did that in the same run. Taken at the start
 * and at the end of the run, with nothing else running.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { percentile } from '../lib/stats';

export interface DiskProbe {
  syncs: number;
  perSecond: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  /** Syncs that took longer than 20 ms (a paced request's interval at 50/s). */
  over20Ms: number;
}

const LINE = JSON.stringify({ id: 'x'.repeat(36), state: 'start', at: 0, pad: 'y'.repeat(200) }) + '\n';

export async function probeDisk(syncs: number, perSecond = 20): Promise<DiskProbe> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-disk-'));
  const fd = fs.openSync(path.join(dir, 'probe.jsonl'), 'a', 0o600);
  const took: number[] = [];
  try {
    const interval = 1000 / perSecond;
    const t0 = Date.now();
    for (let i = 0; i < syncs; i++) {
      const wait = t0 + i * interval - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      fs.writeSync(fd, LINE);
      const a = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
      took.push(Number(process.hrtime.bigint() - a) / 1e6);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    syncs,
    perSecond,
    medianMs: percentile(took, 50),
    p99Ms: percentile(took, 99),
    maxMs: Math.max(...took),
    over20Ms: took.filter((t) => t > 20).length,
  };
}
