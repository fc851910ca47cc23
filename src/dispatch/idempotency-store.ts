/**
 * Remembers the first successful result per `msg.sms.idempotencyKey` for a retention window, so a
 * repeated message is answered without texting twice. Durable on an append log when given a
 * directory; expired keys are dropped on load and by compaction.
 */
import path from 'path';
import { AppendLog } from '../store/append-log';
import type { SendResult } from '../providers/types';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import { linesInSlices } from '../util/next-turn';
import { OldestFirst } from '../util/oldest-first';
import { storeError } from './send-queue';

interface KeyRecord {
  k: string;
  /** When the first send succeeded (epoch ms). */
  t: number;
  r: SendResult;
}

export interface IdempotencyStoreOptions {
  retentionMs: number;
  clock: Clock;
  fileName?: string;
  fsync?: boolean;
  compactMinRecords?: number;
  logger?: Logger;
}

/**
 * What a claim on a key answers: this job may send (`claimed`), another job holds the key right now
 * (`busy`: wait for its result), or the key already has a result (the message is a duplicate).
 */
export type KeyClaim = { claimed: true } | { busy: true } | { result: SendResult };

/**
 * The idempotency keys of a sender: local (`IdempotencyStore`) or shared through Redis. A job claims its
 * key atomically before its request, so two messages with one key never both go out (also from two
 * instances at the same moment); the claim becomes the result (`put`) or is let go (`release`).
 */
export interface IdempotencyKeys {
  open(): Promise<void>;
  /** The first result for `key` within retention; a shared store answers asynchronously. */
  get(key: string): SendResult | undefined | Promise<SendResult | undefined>;
  /** Claim `key` for `jobId` (again `claimed` for the job that holds it). Throws store_unavailable. */
  claim(key: string, jobId: string): KeyClaim | Promise<KeyClaim>;
  /** Let go of `jobId`'s claim when it ends without a result; a result stays. */
  release(key: string, jobId: string): void | Promise<void>;
  /** Record the first result (it replaces the claim). */
  put(key: string, result: SendResult): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

export class IdempotencyStore implements IdempotencyKeys {
  /** Key -> its first result, oldest first (keys are remembered in the order they were sent). */
  private readonly keys = new Map<string, KeyRecord>();
  private readonly order = new OldestFirst(this.keys);
  /** Keys whose job is being sent, and by which job (memory only: after a crash that job is ambiguous). */
  private readonly claims = new Map<string, string>();
  private log: AppendLog<KeyRecord> | null = null;
  private compacting: Promise<void> | null = null;
  private readonly file: string | null;
  private readonly retentionMs: number;
  private readonly clock: Clock;
  private readonly fsync: boolean;
  private readonly compactMinRecords: number;
  private readonly logger: Logger;

  constructor(dir: string | null, opts: IdempotencyStoreOptions) {
    this.file = dir === null ? null : path.join(dir, opts.fileName ?? 'idempotency.jsonl');
    this.retentionMs = opts.retentionMs;
    this.clock = opts.clock;
    this.fsync = opts.fsync ?? true;
    this.compactMinRecords = opts.compactMinRecords ?? 1000;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Throws SmsError store_unavailable when the file cannot be opened. */
  open(): Promise<void> {
    // Once, also when two dispatchers share the store; a failed open is tried again.
    if (!this.opened) {
      this.opened = this.load();
      this.opened.catch(() => {
        this.opened = null;
      });
    }
    return this.opened;
  }

  private opened: Promise<void> | null = null;

  private async load(): Promise<void> {
    if (!this.file) return;
    try {
      const { log, records } = await AppendLog.open<KeyRecord>(this.file, { fsync: this.fsync, accept: isKeyRecord, logger: this.logger });
      this.log = log;
      const cutoff = this.clock.now() - this.retentionMs;
      for (const r of records) {
        // The first result wins: a key is never overwritten while it is retained.
        if (r.t > cutoff && !this.keys.has(r.k)) this.order.set(r.k, r);
      }
    } catch (err) {
      throw storeError(err);
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** The first result for `key` if it was sent within the retention window. */
  get(key: string): SendResult | undefined {
    const r = this.keys.get(key);
    if (!r) return undefined;
    if (r.t <= this.clock.now() - this.retentionMs) {
      this.keys.delete(key);
      return undefined;
    }
    return r.r;
  }

  /** Decided synchronously, so two jobs of this process cannot both claim a key. */
  claim(key: string, jobId: string): KeyClaim {
    const result = this.get(key);
    if (result) return { result };
    const holder = this.claims.get(key);
    if (holder !== undefined && holder !== jobId) return { busy: true };
    this.claims.set(key, jobId);
    return { claimed: true };
  }

  release(key: string, jobId: string): void {
    if (this.claims.get(key) === jobId) this.claims.delete(key);
  }

  /** Remember the first result; in memory at once, on disk when resolved (store_unavailable on failure). */
  async put(key: string, result: SendResult): Promise<void> {
    if (this.get(key)) return;
    const rec: KeyRecord = { k: key, t: this.clock.now(), r: result };
    this.order.set(key, rec);
    if (!this.log) return;
    try {
      // Not held up by a running compaction (see AppendLog.compactWith): a keyed message's outcome
      // waits for this record.
      await this.log.append(rec);
    } catch (err) {
      throw storeError(err);
    }
    this.maybeCompact();
  }

  async close(): Promise<void> {
    try {
      if (this.compacting) await this.compacting;
      await this.log?.close();
    } catch (err) {
      this.logger.warn(`idempotency store: close failed: ${(err as Error).message}`);
    }
    this.log = null;
  }

  private maybeCompact(): void {
    const log = this.log;
    if (!log || log.size < this.compactMinRecords) return;
    // Expired keys leave from the front, also while a compaction runs (puts no longer wait for it). This
    // once walked every key on every put: 530 µs per put at 60,000 keys, growing with them.
    const cutoff = this.clock.now() - this.retentionMs;
    for (let o = this.order.oldest(); o && o[1].t <= cutoff; o = this.order.oldest()) this.keys.delete(o[0]);
    if (this.compacting || log.size <= 2 * this.keys.size) return;
    // The snapshot in slices, as the send queue's; puts go on meanwhile and follow it in the new file.
    this.compacting = log
      .compactWith(() => linesInSlices(this.keys.values(), (r) => JSON.stringify(r)))
      .catch((err) => this.logger.warn(`idempotency store: compaction failed: ${(err as Error).message}`))
      .finally(() => {
        this.compacting = null;
      });
  }
}

function isKeyRecord(r: unknown): r is KeyRecord {
  const x = r as KeyRecord | null;
  return typeof x === 'object' && x !== null && typeof x.k === 'string' && typeof x.t === 'number' && typeof x.r === 'object' && x.r !== null;
}
