/**
 * The account's notification channel against the sandbox's notification service over real HTTP and a
 * real websocket on loopback: channel and subscriptions, heartbeats, a drop and a reconnection, the
 * socket_closing roll-over, renewal before a (short) channel lifetime ends, an expired channel, and a
 * hostile peer (invalid JSON, an oversize frame, a flood) kept within bounds.
 */
import assert from 'node:assert';
import { SandboxServer } from '../../src/sandbox/server';
import { GenesysCloudProvider } from '../../src/providers/genesys-cloud';
import { unlimitedBudget } from '../../src/providers/types';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';
import { NotificationHub, type ChannelEvent, type ChannelState, type ChannelUser, type HubOptions } from '../../src/notifications/hub';
import { queueTopic } from '../../src/notifications/queue-follower';
import { conversation, messageDetails, topicFrame } from '../helpers/genesys-event-fixtures';

const QUEUE = 'q-1';
const TOPIC = queueTopic(QUEUE);

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
async function until(what: string, fn: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

class User implements ChannelUser {
  events: ChannelEvent[] = [];
  states: ChannelState[] = [];
  resumed: number[] = [];
  inFlight = 0;
  peakInFlight = 0;
  constructor(
    private readonly t: string[] = [TOPIC],
    private readonly delayMs = 0,
  ) {}
  topics() {
    return this.t;
  }
  async onEvent(e: ChannelEvent) {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    if (this.delayMs) await sleep(this.delayMs);
    this.inFlight--;
    this.events.push(e);
  }
  onState(s: ChannelState) {
    if (this.states[this.states.length - 1] !== s) this.states.push(s);
  }
  onResumed(since: number) {
    this.resumed.push(since);
  }
  get state() {
    return this.states[this.states.length - 1];
  }
  ids() {
    return this.events.map((e) => (e.value as { metadata?: { CorrelationId?: string } }).metadata?.CorrelationId);
  }
}

describe('notification channel (hub) against the sandbox', function () {
  this.timeout(20_000);
  const sandbox = new SandboxServer({});
  let url = '';
  let hub: NotificationHub | null = null;

  before(async () => {
    url = await sandbox.start();
  });
  after(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.notifications.settings.heartbeatMs = 30_000;
    sandbox.notifications.settings.channelTtlSeconds = 86_400;
  });
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  function makeHub(o: Partial<HubOptions> = {}): NotificationHub {
    const provider = new GenesysCloudProvider(
      { provider: 'sandbox', region: 'mypurecloud.com', apiBaseUrl: url, authBaseUrl: url },
      { clientId: 'a', clientSecret: 'b' },
      { budget: unlimitedBudget, clock: systemClock, logger: silentLogger },
      'sandbox',
    );
    hub = new NotificationHub({ api: async () => provider.notifications(), clock: systemClock, logger: silentLogger, backoffMs: 50, maxBackoffMs: 200, ...o });
    return hub;
  }
  const push = (n: number, prefix: string) =>
    sandbox.control({ notifications: { frames: Array.from({ length: n }, (_, i) => topicFrame(conversation([messageDetails(`${prefix}-${i}`, 'sent')]), TOPIC, `${prefix}-${i}`)) } });
  const channels = () => [...sandbox.notifications.channels.values()];

  it('creates one channel, subscribes the topics of all its users, and hands each frame to the users of its topic', async function () {
    const h = makeHub();
    const a = new User();
    const b = new User([queueTopic('q-2')]);
    h.register(a);
    h.register(b);
    await until('connected', () => a.state === 'connected' && channels()[0]?.ws !== null);
    await until('both topics', () => channels()[0]?.topics.size === 2);
    assert.strictEqual(channels().length, 1, 'one channel per account');
    push(3, 'x');
    await until('3 events', () => a.events.length === 3);
    assert.deepStrictEqual(a.ids(), ['x-0', 'x-1', 'x-2']);
    assert.strictEqual(b.events.length, 0);
    // Heartbeats and pongs are not events.
    sandbox.control({ notifications: { frames: [{ topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } }] } });
    await until('heartbeat', () => h.stats.heartbeats === 1);
    assert.strictEqual(a.events.length, 3);
    // The last user out closes the socket.
    await h.deregister(a);
    await until('topic dropped', () => channels()[0]?.topics.size === 1);
    await h.deregister(b);
    await until('socket closed', () => channels()[0]?.ws === null);
  });

  it('a dropped socket is reconnected with backoff; frames after it arrive once, and the gap is reported', async function () {
    const h = makeHub();
    const u = new User();
    h.register(u);
    await until('connected', () => u.state === 'connected');
    const channelId = h.channelId;
    push(2, 'before');
    await until('2 events', () => u.events.length === 2);
    sandbox.control({ notifications: { drop: true } });
    await until('reconnecting', () => u.states.includes('reconnecting'));
    await until('connected again', () => u.state === 'connected' && channels()[0]?.ws !== null);
    assert.strictEqual(h.channelId, channelId, 'the same channel is still valid');
    assert.strictEqual(u.resumed.length, 1);
    push(2, 'after');
    await until('4 events', () => u.events.length === 4);
    assert.deepStrictEqual(u.ids(), ['before-0', 'before-1', 'after-0', 'after-1']);
    assert.strictEqual(h.stats.connects, 2);
  });

  it('v2.system.socket_closing moves to a new channel, subscribed and connected before the old socket goes', async function () {
    const h = makeHub();
    const u = new User();
    h.register(u);
    await until('connected', () => u.state === 'connected');
    const first = h.channelId;
    sandbox.control({ notifications: { socketClosing: true, closeAfterMs: 2000 } });
    await until('new channel', () => h.channelId !== first && u.state === 'connected');
    const next = sandbox.notifications.channels.get(h.channelId!);
    assert.ok(next?.topics.has(TOPIC), 're-subscribed');
    assert.ok(!u.states.includes('reconnecting'), 'no gap: the new socket was open before the old one closed');
    assert.strictEqual(u.resumed.length, 0);
    push(1, 'later');
    await until('event on the new channel', () => u.events.length === 1);
    // A peer repeating the warning does not make a channel per frame.
    const created = h.stats.channelsCreated;
    sandbox.control({ notifications: { frames: Array.from({ length: 50 }, () => ({ topicName: 'v2.system.socket_closing', eventBody: { message: 'closing' } })) } });
    push(1, 'after-flood');
    await until('event after the repeated warnings', () => u.events.length === 2);
    await sleep(200);
    assert.ok(h.stats.channelsCreated - created <= 1, `channels created: ${h.stats.channelsCreated - created}`);
  });

  it('renews the channel before its end (short lifetime in the sandbox) and re-subscribes', async function () {
    sandbox.notifications.settings.channelTtlSeconds = 2;
    const h = makeHub();
    const u = new User();
    h.register(u);
    await until('connected', () => u.state === 'connected');
    const first = h.channelId;
    await until('renewed', () => h.channelId !== first && u.state === 'connected', 5000);
    assert.ok(sandbox.notifications.channels.get(h.channelId!)?.topics.has(TOPIC));
    assert.ok(!u.states.includes('reconnecting'));
    assert.ok(h.stats.renewals >= 1);
    await until('old channel gone', () => !sandbox.notifications.channels.has(first!) || sandbox.notifications.channels.get(first!)?.ws === null);
    push(1, 'renewed');
    await until('event after renewal', () => u.events.length === 1);
  });

  it('an expired channel (socket closed, connectUri refused) is replaced by a new one', async function () {
    const h = makeHub();
    const u = new User();
    h.register(u);
    await until('connected', () => u.state === 'connected');
    const first = h.channelId;
    sandbox.control({ notifications: { expire: true } });
    await until('new channel', () => h.channelId !== undefined && h.channelId !== first && u.state === 'connected');
    assert.ok(sandbox.notifications.channels.get(h.channelId!)?.topics.has(TOPIC));
  });

  it('a silent socket (no heartbeat) is pinged, then closed and reconnected', async function () {
    const h = makeHub({ heartbeatTimeoutMs: 600 });
    const u = new User();
    h.register(u);
    await until('connected', () => u.state === 'connected');
    sandbox.control({ notifications: { silent: true } });
    // The ping is answered with a pong: that counts as life, so the socket stays.
    await sleep(900);
    assert.strictEqual(h.stats.connects, 1, 'a pong keeps the socket');
    assert.ok(h.stats.heartbeats >= 1);
    // A peer that answers nothing at all: simulated by a sandbox that drops pings (close the server side's handler).
    const ch = channels()[0];
    ch.ws!.removeAllListeners('message');
    await until('reconnected after silence', () => h.stats.connects >= 2, 5000);
    assert.ok(u.states.includes('reconnecting'));
  });

  it('an API that refuses the channel shows failed (in words) after repeated attempts and keeps trying', async function () {
    sandbox.control({ faults: [{ status: 403, count: 100, path: '/api/v2/notifications/channels$' }] });
    const h = makeHub({ failAfter: 3, backoffMs: 10, maxBackoffMs: 30 });
    const u = new User();
    h.register(u);
    await until('failed', () => u.state === 'failed');
    sandbox.control({ clearFaults: true });
    await until('connected after all', () => u.state === 'connected');
  });

  it('the sandbox models the service limits: 20 channels per client (the oldest goes), 1,000 topics, known topics only', async function () {
    const provider = new GenesysCloudProvider(
      { provider: 'sandbox', region: 'mypurecloud.com', apiBaseUrl: url, authBaseUrl: url },
      { clientId: 'a', clientSecret: 'b' },
      { budget: unlimitedBudget, clock: systemClock, logger: silentLogger },
      'sandbox',
    );
    const api = provider.notifications();
    const made = [];
    for (let i = 0; i < 21; i++) made.push(await api.createChannel());
    assert.strictEqual(sandbox.notifications.channels.size, 20);
    assert.ok(!sandbox.notifications.channels.has(made[0].id), 'the 21st removed the oldest');
    assert.match(made[20].connectUri, /^ws:\/\/127\.0\.0\.1:\d+\/channels\//);
    assert.ok(Date.parse(made[20].expires!) > Date.now() + 23 * 3600 * 1000);
    const id = made[20].id;
    assert.deepStrictEqual(await api.setSubscriptions(id, [TOPIC]), [{ id: TOPIC, state: 'Permitted' }]);
    await assert.rejects(api.setSubscriptions(id, ['v2.users.u.presence']), (e: { code: string; httpStatus: number }) => e.httpStatus === 400);
    const many = Array.from({ length: 1001 }, (_, i) => queueTopic(`q-${i}`));
    await assert.rejects(api.setSubscriptions(id, many), (e: { httpStatus: number }) => e.httpStatus === 400);
    await assert.rejects(api.setSubscriptions('nope', [TOPIC]), (e: { code: string }) => e.code === 'not_found');
    await provider.close();
  });

  describe('a hostile peer is bounded', function () {
    it('invalid JSON, non-objects and over-deep frames are counted and dropped', async function () {
      const h = makeHub();
      const u = new User();
      h.register(u);
      await until('connected', () => u.state === 'connected');
      const junk = ['{', 'null', '[1,2]', '"x"', '['.repeat(100) + ']'.repeat(100), '\u0000\u0001', 'a'.repeat(1000)];
      sandbox.control({ notifications: { frames: Array.from({ length: 700 }, (_, i) => junk[i % junk.length]) } });
      push(1, 'good');
      await until('good event', () => u.events.length === 1);
      assert.strictEqual(h.stats.invalidFrames, 700);
      assert.deepStrictEqual(u.ids(), ['good-0']);
    });

    it('a frame larger than maxFrameBytes closes the socket before it is buffered; the channel reconnects', async function () {
      const h = makeHub({ maxFrameBytes: 64 * 1024 });
      const u = new User();
      h.register(u);
      await until('connected', () => u.state === 'connected');
      sandbox.control({ notifications: { frames: [JSON.stringify({ topicName: TOPIC, eventBody: { pad: 'x'.repeat(200 * 1024) } })] } });
      await until('reconnected', () => h.stats.connects >= 2 && u.state === 'connected');
      assert.strictEqual(h.stats.oversizeFrames, 1, 'closed for the frame size, not for another reason');
      assert.strictEqual(h.stats.invalidFrames, 0);
      assert.strictEqual(u.events.length, 0);
      push(1, 'fine');
      await until('event after', () => u.events.length === 1);
    });

    it('a flood is paced: events waiting for the user never exceed maxInFlight, and none is lost', async function () {
      const h = makeHub({ maxInFlight: 16, maxFramesPerSecond: 100_000 });
      const u = new User([TOPIC], 2);
      h.register(u);
      await until('connected', () => u.state === 'connected');
      push(2000, 'f');
      await until('all 2000', () => u.events.length === 2000, 15_000);
      assert.ok(u.peakInFlight <= 16, `peak in flight ${u.peakInFlight}`);
      assert.ok(h.stats.pauses > 0, 'the socket was paused');
      assert.strictEqual(new Set(u.ids()).size, 2000);
    });

    it('more frames per second than allowed pause the socket until the next second', async function () {
      const h = makeHub({ maxFramesPerSecond: 200 });
      const u = new User();
      h.register(u);
      await until('connected', () => u.state === 'connected');
      push(500, 'r');
      await until('all 500', () => u.events.length === 500, 10_000);
      // 500 frames at 200 a second: the socket was paused at each spent window, and nothing was lost.
      assert.ok(h.stats.pauses >= 2, `pauses ${h.stats.pauses}`);
      assert.strictEqual(new Set(u.ids()).size, 500);
    });
  });
});
