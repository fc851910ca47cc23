/**
 * The opt-out list of one account (tenant): numbers that must never be texted, on a durable append log
 * in the Node-RED user directory (`<userDir>/agentless-sms/accounts/<accountId>/opt-outs.jsonl`).
 *
 * Opt-outs are per tenant, not per sender: a person who texted STOP to one number of a brand has told
 * the brand, so every sender of the account honours it.
 *
 * The last change per number is kept, opt-ins included, with the time it happened: a retried or
 * late webhook carrying an older STOP must not undo a newer START (and vice versa). `set` resolves only
 * once the change is on disk, so a receiver can acknowledge an inbound STOP knowing it will hold after
 * a crash.
 */
import path from 'path';
import { AppendLog } from '../store/append-log';
import { storePath } from '../store/store-path';
import { SmsError } from '../util/errors';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { normalizeRecipient } from '../phone/number';

export interface OptOutEntry {
  /** E.164. */
  number: string;
  optedOut: boolean;
  /** When the change happened (ms since epoch; the event's own time for webhooks). */
  at: number;
  /** Where it came from: `inbound:STOP`, `command`, `csv`, ... */
  source: string;
}

interface Record_ {
  n: string;
  o: 0 | 1;
  at: number;
  src: string;
}

export interface OptOutStoreOptions {
  clock: Clock;
  fsync?: boolean;
  /** Compact when the log has at least this many lines and twice as many as live entries. */
  compactMinRecords?: number;
  /** Where repairs of the file (a torn last record, skipped lines) are reported. */
  logger?: Logger;
}

export interface SetResult {
  /** The number's state changed (false: it already was so, or the change was older than the last one). */
  changed: boolean;
  /** Ignored because a newer change for this number is already recorded. */
  stale: boolean;
  optedOut: boolean;
}

/**
 * An account's opt-out list: `OptOutStore` in the user directory, or the Redis list shared by every
 * instance (src/coordination). `isOptedOut` answers from memory; a shared list also offers `refresh`
 * to read one number from the shared store right before a message is sent.
 */
export interface OptOutList {
  isOptedOut(number: string): boolean;
  readonly size: number;
  list(): OptOutEntry[];
  set(number: string, optedOut: boolean, meta: { at?: number; source: string }): Promise<SetResult>;
  addMany(numbers: string[], source: string): Promise<{ added: number; unchanged: number }>;
  close(): Promise<void>;
  /** Shared lists: bring one number up to date from the shared store (throws store_unavailable). */
  refresh?(number: string): Promise<void>;
}

export function optOutFile(userDir: string, accountId: string): string {
  return path.join(storePath(userDir, 'accounts', accountId), 'opt-outs.jsonl');
}

export class OptOutStore implements OptOutList {
  private readonly entries = new Map<string, OptOutEntry>();
  private optedOutCount = 0;
  private compacting: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly log: AppendLog<Record_> | null,
    private readonly opts: OptOutStoreOptions,
  ) {}

  /** Open the list; `file` null keeps it in memory only (no user directory). Throws store_unavailable. */
  static async open(file: string | null, opts: OptOutStoreOptions): Promise<OptOutStore> {
    if (file === null) return new OptOutStore(null, opts);
    try {
      const accept = (r: unknown) => typeof (r as Record_ | null)?.n === 'string' && typeof (r as Record_).at === 'number';
      const { log, records } = await AppendLog.open<Record_>(file, { fsync: opts.fsync, accept, logger: opts.logger });
      const store = new OptOutStore(log, opts);
      for (const r of records) {
        store.apply({ number: r.n, optedOut: r.o === 1, at: r.at, source: String(r.src ?? '') });
      }
      return store;
    } catch (err) {
      throw new SmsError('store_unavailable', `Cannot open the opt-out list: ${(err as Error).message}`, { retryable: true });
    }
  }

  /** `number` must already be E.164 (see normalizeOptOutNumber). */
  isOptedOut(number: string): boolean {
    return this.entries.get(number)?.optedOut === true;
  }

  get size(): number {
    return this.optedOutCount;
  }

  /** The numbers currently opted out, oldest change first. */
  list(): OptOutEntry[] {
    return [...this.entries.values()].filter((e) => e.optedOut).sort((a, b) => a.at - b.at);
  }

  /** Record an opt-out (true) or opt-in (false); resolves once durable. Throws store_unavailable. */
  async set(number: string, optedOut: boolean, meta: { at?: number; source: string }): Promise<SetResult> {
    if (this.closed) throw new SmsError('store_unavailable', 'The opt-out list is closed', { retryable: true });
    // A change made during compaction could land in the file being replaced: wait for it.
    while (this.compacting) await this.compacting;
    const at = meta.at ?? this.opts.clock.now();
    const prev = this.entries.get(number);
    if (prev && prev.at > at) return { changed: false, stale: true, optedOut: prev.optedOut };
    if (prev && prev.optedOut === optedOut) {
      // Same state: nothing to write, but the newer time still orders later events.
      prev.at = at;
      return { changed: false, stale: false, optedOut };
    }
    const entry: OptOutEntry = { number, optedOut, at, source: meta.source.slice(0, 64) };
    // Applied in memory first, so concurrent changes for one number are ordered by the checks above
    // in call order; an opt-out is honoured by sends even while its write is in flight.
    this.apply(entry);
    if (this.log) {
      try {
        await this.log.append({ n: number, o: optedOut ? 1 : 0, at, src: entry.source });
      } catch (err) {
        // Not durable: undo, unless a later change already replaced it.
        if (this.entries.get(number) === entry) {
          if (prev) this.apply(prev);
          else this.remove(number);
        }
        throw new SmsError('store_unavailable', `Cannot record the opt-out change: ${(err as Error).message}`, { retryable: true });
      }
    }
    this.maybeCompact();
    return { changed: true, stale: false, optedOut };
  }

  /** Add many opt-outs (CSV import) with one group commit. */
  async addMany(numbers: string[], source: string): Promise<{ added: number; unchanged: number }> {
    const at = this.opts.clock.now();
    const results = await Promise.all([...new Set(numbers)].map((n) => this.set(n, true, { at, source })));
    const added = results.filter((r) => r.changed).length;
    return { added, unchanged: numbers.length - added };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compacting) await this.compacting.catch(() => {});
    await this.log?.close();
  }

  private apply(e: OptOutEntry): void {
    const prev = this.entries.get(e.number);
    if (prev?.optedOut) this.optedOutCount--;
    this.entries.set(e.number, e);
    if (e.optedOut) this.optedOutCount++;
  }

  private remove(number: string): void {
    if (this.entries.get(number)?.optedOut) this.optedOutCount--;
    this.entries.delete(number);
  }

  private maybeCompact(): void {
    if (!this.log || this.compacting) return;
    const min = this.opts.compactMinRecords ?? 1000;
    if (this.log.size < min || this.log.size < 2 * this.entries.size) return;
    const log = this.log;
    this.compacting = (async () => {
      // Changes already applied in memory are written first; the snapshot then holds all of them.
      await log.drain();
      const snapshot = [...this.entries.values()].map((e) => ({ n: e.number, o: (e.optedOut ? 1 : 0) as 0 | 1, at: e.at, src: e.source }));
      await log.compact(snapshot);
    })()
      .catch(() => {
        /* the log stays valid (compaction is atomic); the next change tries again */
      })
      .finally(() => {
        this.compacting = null;
      });
  }

  /** For tests: wait for a compaction in progress. */
  async idle(): Promise<void> {
    if (this.compacting) await this.compacting;
  }
}

/** Numbers in the list are E.164; throws invalid_number for anything that is not a valid number. */
export function normalizeOptOutNumber(input: unknown, defaultCountry?: string): string {
  return normalizeRecipient(input, defaultCountry).e164;
}

// ---- CSV import / export ----

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

export interface CsvImport {
  numbers: string[];
  rejected: { line: number; value: string; reason: string }[];
}

/**
 * One number per line in the first column (quoted or not); other columns are ignored, as is a header
 * line whose first cell holds no digits. Numbers are normalized like recipients; each line that is not a
 * valid number is reported with its line number instead of failing the whole import.
 */
export function parseOptOutCsv(text: string, defaultCountry?: string): CsvImport {
  if (text.length > MAX_IMPORT_BYTES) throw new SmsError('invalid_request', `The CSV is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
  const out: CsvImport = { numbers: [], rejected: [] };
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((line, i) => {
    const value = firstCell(line).trim();
    if (value === '') return;
    if (i === 0 && !/\d/.test(value)) return; // header
    try {
      out.numbers.push(normalizeOptOutNumber(value, defaultCountry));
    } catch (err) {
      out.rejected.push({ line: i + 1, value: value.slice(0, 40), reason: (err as Error).message });
    }
  });
  return out;
}

function firstCell(line: string): string {
  if (!line.startsWith('"')) {
    const comma = line.search(/[,;\t]/);
    return comma === -1 ? line : line.slice(0, comma);
  }
  let cell = '';
  for (let i = 1; i < line.length; i++) {
    if (line[i] === '"') {
      if (line[i + 1] === '"') {
        cell += '"';
        i++;
      } else break;
    } else cell += line[i];
  }
  return cell;
}

export function toOptOutCsv(entries: OptOutEntry[]): string {
  const rows = ['number,opted_out_at,source'];
  for (const e of entries) rows.push([e.number, new Date(e.at).toISOString(), csvSafe(e.source)].join(','));
  return rows.join('\r\n') + '\r\n';
}

/** Quote, and defuse spreadsheet formulas (a cell starting with = + - @ runs as one in Excel). */
function csvSafe(v: string): string {
  const s = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return `"${s.replace(/"/g, '""')}"`;
}
