/**
 * Live numbers of every sender for the editor's sidebar, gathered only while an editor watches.
 *
 * An editor holds a lease by calling watch() every few seconds. While a lease is held a timer samples
 * each sender's dispatcher stats, keeps a short history (one point per `historyStepMs`, `historyMs`
 * long) and publishes a snapshot. When the last lease runs out the timer stops and the history is
 * dropped, so a closed editor costs nothing: no timer, no sampling, no publishing.
 */
import type { DispatcherStats } from '../dispatch/dispatcher';
import type { Clock, TimerHandle } from '../util/clock';
import type { SenderRuntime } from '../send/sender';

/** Comms topic the editor's sidebar subscribes to, and the admin route that holds the lease. */
export const COMMS_TOPIC = 'agentless-sms/senders';
export const WATCH_PATH = '/agentless-sms/sidebar/watch';

/** What the monitor needs to know about one sender; the caller finds them (through Node-RED). */
export interface SenderProbe {
  id: string;
  name: string;
  ratePerSecond: number;
  /** null when the sender has no dispatcher (misconfigured). */
  stats: DispatcherStats | null;
  configError?: string;
}

/** A running sender as the sidebar lists it; `name` is the node's name when it has one. */
export function probeSender(id: string, name: string | undefined, rt: SenderRuntime): SenderProbe {
  const probe: SenderProbe = {
    id,
    name: name || rt.settings.fromAddress || rt.settings.channelUuid || id,
    ratePerSecond: rt.settings.ratePerSecond,
    stats: rt.kind === 'ready' ? rt.dispatcher.stats() : null,
  };
  if (rt.kind === 'config-error') probe.configError = rt.error.message;
  return probe;
}

export interface SenderPoint {
  t: number;
  sent: number;
  failed: number;
  queued: number;
}

export interface SenderSnapshot {
  id: string;
  name: string;
  queued: number;
  inFlight: number;
  sent: number;
  failed: number;
  circuit: string;
  /** Epoch ms until which the account is paused by a 429, when it is. */
  rateLimitedUntil?: number;
  /** How many rate-limit pauses began while the sidebar watched. */
  rateLimitPauses: number;
  /** Messages sent per second over the last `rateWindowMs`. */
  rate: number;
  ratePerSecond: number;
  storeOk: boolean;
  lastError?: string;
  configError?: string;
  history: SenderPoint[];
}

export interface MonitorSnapshot {
  t: number;
  senders: SenderSnapshot[];
}

export interface SenderMonitorOptions {
  clock: Clock;
  listSenders: () => SenderProbe[];
  publish: (snapshot: MonitorSnapshot) => void;
  /** How often to sample and publish while watched (default 2 s). */
  tickMs?: number;
  /** How long one watch() call holds the lease (default 30 s). */
  leaseMs?: number;
  historyStepMs?: number;
  historyMs?: number;
  rateWindowMs?: number;
}

interface Track {
  recent: { t: number; sent: number }[];
  history: SenderPoint[];
  pauses: number;
  paused: boolean;
}

export class SenderMonitor {
  private readonly o: Required<Omit<SenderMonitorOptions, 'clock' | 'listSenders' | 'publish'>>;
  private leaseUntil = 0;
  private timer: TimerHandle | null = null;
  private tracks = new Map<string, Track>();

  constructor(private readonly opts: SenderMonitorOptions) {
    this.o = {
      tickMs: opts.tickMs ?? 2000,
      leaseMs: opts.leaseMs ?? 30_000,
      historyStepMs: opts.historyStepMs ?? 5000,
      historyMs: opts.historyMs ?? 600_000,
      rateWindowMs: opts.rateWindowMs ?? 10_000,
    };
  }

  /** Whether an editor holds a lease (and so whether a timer runs). */
  get watching(): boolean {
    return this.timer !== null;
  }

  /** Take or extend the lease; returns a fresh snapshot (also published). */
  watch(): MonitorSnapshot {
    this.leaseUntil = this.opts.clock.now() + this.o.leaseMs;
    const snap = this.sample();
    this.opts.publish(snap);
    if (!this.timer) this.schedule();
    return snap;
  }

  /** Stop now (Node-RED stopping, or the last editor closed the tab). */
  stop(): void {
    this.leaseUntil = 0;
    this.timer?.cancel();
    this.timer = null;
    this.tracks.clear();
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimer(() => {
      this.timer = null;
      if (this.opts.clock.now() >= this.leaseUntil) {
        this.stop();
        return;
      }
      this.opts.publish(this.sample());
      this.schedule();
    }, this.o.tickMs);
  }

  private sample(): MonitorSnapshot {
    const now = this.opts.clock.now();
    const seen = new Set<string>();
    const senders: SenderSnapshot[] = [];
    for (const p of this.opts.listSenders()) {
      seen.add(p.id);
      let tr = this.tracks.get(p.id);
      if (!tr) this.tracks.set(p.id, (tr = { recent: [], history: [], pauses: 0, paused: false }));
      const s = p.stats;
      const sent = s?.sent ?? 0;
      const failed = s?.failed ?? 0;
      const queued = s ? s.queued + s.inFlight : 0;
      const paused = !!s?.rateLimitedUntil && s.rateLimitedUntil > now;
      if (paused && !tr.paused) tr.pauses++;
      tr.paused = paused;

      tr.recent.push({ t: now, sent });
      while (tr.recent.length > 1 && tr.recent[1].t <= now - this.o.rateWindowMs) tr.recent.shift();
      const oldest = tr.recent[0];
      const span = now - oldest.t;
      const rate = span > 0 ? ((sent - oldest.sent) * 1000) / span : 0;

      // One point per step-sized bucket of time (the latest sample in it), whatever the tick rate.
      const last = tr.history[tr.history.length - 1];
      const point = { t: now, sent, failed, queued };
      if (last && Math.floor(last.t / this.o.historyStepMs) === Math.floor(now / this.o.historyStepMs)) tr.history[tr.history.length - 1] = point;
      else tr.history.push(point);
      while (tr.history.length && tr.history[0].t < now - this.o.historyMs) tr.history.shift();

      const snap: SenderSnapshot = {
        id: p.id,
        name: p.name,
        queued: s?.queued ?? 0,
        inFlight: s?.inFlight ?? 0,
        sent,
        failed,
        circuit: s?.circuit ?? 'closed',
        rateLimitPauses: tr.pauses,
        rate: Math.round(rate * 100) / 100,
        ratePerSecond: p.ratePerSecond,
        storeOk: s?.storeOk ?? false,
        history: tr.history.slice(),
      };
      if (paused) snap.rateLimitedUntil = s!.rateLimitedUntil;
      if (s?.lastError) snap.lastError = s.lastError;
      if (p.configError) snap.configError = p.configError;
      senders.push(snap);
    }
    for (const id of [...this.tracks.keys()]) if (!seen.has(id)) this.tracks.delete(id);
    senders.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return { t: now, senders };
  }
}
