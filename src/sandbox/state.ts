/**
 * What the sandbox received and where each message stands. Status progression runs on timers the
 * sandbox owns, so a poll or a webhook sees the same life cycle a real platform reports.
 */
import { randomUUID } from 'crypto';
import { fateOf, Fate } from './rules';

export interface SandboxMessage {
  id: string;
  conversationId: string;
  platform: string;
  fromAddress: string;
  toAddress: string;
  textBody?: string;
  status: string;
  fate: Fate;
  receivedAt: string;
  timestamp: string;
  normalizedReceipts?: unknown[];
  history: { status: string; at: string }[];
  /** The id the simulated platform answered, when it is not `id` (CCAI chat id). */
  platformId?: string;
  /** Everything the platform was sent, as received (the sandbox phone shows it). */
  request: Record<string, unknown>;
  /** `inbound` for a reply the simulated recipient sent (status `received`); absent for our messages. */
  direction?: 'inbound';
}

export interface ProgressionTimes {
  queuedToSentMs: number;
  sentToFinalMs: number;
}

export type StatusListener = (m: SandboxMessage) => void;

export class SandboxState {
  readonly messages: SandboxMessage[] = [];
  private readonly byId = new Map<string, SandboxMessage>();
  private timers = new Set<NodeJS.Timeout>();
  private listeners: StatusListener[] = [];
  /** Bounded so a long-running sandbox cannot grow without limit. */
  maxMessages = 10_000;

  constructor(public times: ProgressionTimes) {}

  onStatus(fn: StatusListener): void {
    this.listeners.push(fn);
  }

  add(platform: string, fromAddress: string, toAddress: string, textBody: string | undefined, request: Record<string, unknown>, conversationId?: string): SandboxMessage {
    const now = new Date().toISOString();
    const m: SandboxMessage = {
      id: randomUUID(),
      conversationId: conversationId ?? randomUUID(),
      platform,
      fromAddress,
      toAddress,
      textBody,
      status: 'queued',
      fate: fateOf(toAddress),
      receivedAt: now,
      timestamp: now,
      history: [{ status: 'queued', at: now }],
      request,
    };
    this.messages.push(m);
    this.byId.set(m.id, m);
    if (this.messages.length > this.maxMessages) {
      const old = this.messages.shift();
      if (old) this.byId.delete(old.id);
    }
    this.emit(m);
    this.schedule(m);
    return m;
  }

  /** A reply from the recipient: kept (so it can be read by id) but not progressed and not reported as a status. */
  addInbound(fromAddress: string, toAddress: string, textBody: string, conversationId?: string): SandboxMessage {
    const now = new Date().toISOString();
    const m: SandboxMessage = {
      id: randomUUID(),
      conversationId: conversationId ?? randomUUID(),
      platform: 'genesys-cloud',
      fromAddress,
      toAddress,
      textBody,
      status: 'received',
      fate: 'deliver',
      receivedAt: now,
      timestamp: now,
      history: [{ status: 'received', at: now }],
      request: {},
      direction: 'inbound',
    };
    this.messages.push(m);
    this.byId.set(m.id, m);
    if (this.messages.length > this.maxMessages) {
      const old = this.messages.shift();
      if (old) this.byId.delete(old.id);
    }
    return m;
  }

  get(id: string): SandboxMessage | undefined {
    return this.byId.get(id);
  }

  private schedule(m: SandboxMessage): void {
    this.later(this.times.queuedToSentMs, () => {
      this.setStatus(m, 'sent');
      if (m.fate === 'no-receipt') return;
      this.later(this.times.sentToFinalMs, () => {
        if (m.fate === 'fail') {
          m.normalizedReceipts = [{ status: 'Failed', reasons: [{ code: 'carrier_rejected', message: 'The carrier rejected the message' }] }];
          this.setStatus(m, 'delivery-failed');
          return;
        }
        this.setStatus(m, 'delivery-success');
        if (m.fate === 'read') this.later(this.times.sentToFinalMs, () => this.setStatus(m, 'read'));
      });
    });
  }

  private setStatus(m: SandboxMessage, status: string): void {
    m.status = status;
    m.timestamp = new Date().toISOString();
    m.history.push({ status, at: m.timestamp });
    this.emit(m);
  }

  private emit(m: SandboxMessage): void {
    for (const fn of this.listeners) fn(m);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.messages.length = 0;
    this.byId.clear();
  }
}
