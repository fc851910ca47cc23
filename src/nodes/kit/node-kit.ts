/**
 * What every node entry file needs from Node-RED, in one place: a typed property evaluation, the input
 * handler that finishes each message exactly once, a debounced status, the node's logger and the
 * runtime settings the package reads. Entry files stay wiring only: they build a plain object from
 * these and hand it the node's events.
 */
import type { Node, NodeAPI, NodeMessageInFlow, NodeStatus } from 'node-red';
import type { Clock } from '../../util/clock';
import { systemClock } from '../../util/clock';
import type { RedisPackageNames } from '../../coordination/redis-libraries';

export { nodeLogger } from './logger';

export type Msg = NodeMessageInFlow & { sms?: unknown; error?: unknown; [k: string]: unknown };
export type SendFn = (msg: Msg | (Msg | null)[]) => void;
export type DoneFn = (err?: Error) => void;

/** A node's status in words: an i18n key (resolved with RED._) or a text already resolved. */
export type StatusText = Omit<NodeStatus, 'text'> & { text: string };

/** Settings the package reads from Node-RED's settings.js. */
export interface PackageSettings {
  userDir?: string;
  /** Where http nodes and the admin API are mounted (false: disabled). */
  httpNodeRoot?: string | false;
  httpAdminRoot?: string | false;
  /** Node-RED's own: when set, webhook requests must pass them on every request (see RouteRegistry). */
  httpNodeAuth?: unknown;
  httpAdminMiddleware?: unknown;
  httpNodeMiddleware?: unknown;
  /** TEST ONLY hooks under `agentlessSms` (see the entry files that read them); not product settings. */
  agentlessSms?: { budgetWindowMs?: number; complianceClock?: { now?: () => number }; redisPackages?: RedisPackageNames };
}

export function packageSettings(RED: NodeAPI): PackageSettings {
  return RED.settings as unknown as PackageSettings;
}

/**
 * TEST ONLY: `settings.agentlessSms.complianceClock` ({ now() }) replaces the wall clock the quiet-hours
 * window is evaluated with, so runtime tests can stand just before a window opens without waiting for
 * it. Not a product setting; do not use it in production.
 */
export function complianceClockOverride(RED: NodeAPI): Clock | undefined {
  const hook = packageSettings(RED).agentlessSms?.complianceClock;
  const now = hook?.now;
  return typeof now === 'function' ? { now: () => now.call(hook), setTimer: systemClock.setTimer } : undefined;
}

/** RED.util.evaluateNodeProperty as a promise (a flow/global context read may be asynchronous). */
export function evaluateProperty(RED: NodeAPI, node: Node, value: string, type: string, msg: Msg): Promise<unknown> {
  // The same call as evaluatePropertyNow; a throw there (an immediate error) becomes the rejection.
  return new Promise((resolve) => resolve(evaluatePropertyNow(RED, node, value, type, msg)));
}

/**
 * `evaluateProperty` without a promise when Node-RED answers at once (every type but a context store
 * that reads asynchronously): the same call and callback, its answer returned (or its error thrown)
 * straight away, or a promise when the answer comes later. Several properties are read with
 * `evaluateProperties`, which evaluates all of them like Promise.all (the first error wins).
 */
export function evaluatePropertyNow(RED: NodeAPI, node: Node, value: string, type: string, msg: Msg): unknown {
  let answered = false;
  let error: Error | null = null;
  let result: unknown;
  let later: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, r: unknown) => {
    if (later) return err ? later.reject(err) : later.resolve(r);
    answered = true;
    error = err;
    result = r;
  });
  if (!answered) return new Promise((resolve, reject) => (later = { resolve, reject }));
  if (error) throw error;
  return result;
}

/** Several properties (`[value, type]`), each as evaluatePropertyNow; a promise only if one of them answers later. */
export function evaluateProperties(RED: NodeAPI, node: Node, props: [string, string][], msg: Msg): unknown[] | Promise<unknown[]> {
  const out: unknown[] = [];
  let waiting = false;
  for (const [value, type] of props) {
    let v: unknown;
    try {
      v = evaluatePropertyNow(RED, node, value, type, msg);
    } catch (err) {
      v = Promise.reject(err);
    }
    // Anything with a then is waited for, as Promise.all would.
    if (typeof (v as { then?: unknown } | null)?.then === 'function') waiting = true;
    out.push(v);
  }
  if (!waiting) return out;
  return Promise.all(out);
}

/**
 * Wires an async input handler. The handler answers every message itself; the catch is the last
 * resort against a bug there, because the runtime only catches synchronous throws.
 */
export function onInput(node: Node, handle: (msg: Msg, send: SendFn, done: DoneFn) => Promise<void>): void {
  node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
    handle(msg as Msg, send, done).catch((err: unknown) => done(err instanceof Error ? err : new Error(String(err))));
  });
}

/** Wires close: `close` runs once, and the runtime is told when it settles (whether or not it failed). */
export function onClose(node: Node, close: (removed: boolean) => Promise<void> | void): void {
  node.on('close', (removed: boolean, done: () => void) => {
    Promise.resolve()
      .then(() => close(removed))
      .then(
        () => done(),
        () => done(),
      );
  });
}

/**
 * A status that redraws at most once per `ms`: at thousands of messages a second one update per
 * 250 ms is plenty. `render` is asked at draw time and may answer null (nothing to show).
 */
export class DebouncedStatus {
  private timer: ReturnType<Clock['setTimer']> | null = null;
  private closed = false;

  constructor(
    private readonly node: Node,
    private readonly render: () => StatusText | null,
    private readonly ms = 250,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Ask for a redraw (coalesced with any already pending). */
  readonly request = (): void => {
    if (this.timer || this.closed) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      if (this.closed) return;
      const s = this.render();
      if (s) this.node.status(s);
    }, this.ms);
  };

  /** Draw now, without waiting (the state a node starts in). */
  drawNow(): void {
    const s = this.render();
    if (s) this.node.status(s);
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
  }
}
